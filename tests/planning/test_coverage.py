"""Spread metrics: a hand-checkable synthetic line, and real Oslo data against the planner."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata import METRIC_CRS
from geodata.network import Network, Provenance
from service.planning.coverage import spread_metrics

X0, Y0 = 600_000.0, 6_600_000.0


def synthetic_line_network() -> Network:
    """SYNTHETIC: A-B-C-D, three straight 1 km edges, plus an isolated 500 m edge E-F."""
    xy = {1: (0, 0), 2: (1000, 0), 3: (2000, 0), 4: (3000, 0), 5: (0, 5000), 6: (500, 5000)}
    ids = list(xy)
    nodes = gpd.GeoDataFrame(
        {"x": [X0 + xy[i][0] for i in ids], "y": [Y0 + xy[i][1] for i in ids]},
        geometry=[shapely.Point(X0 + xy[i][0], Y0 + xy[i][1]) for i in ids],
        index=ids,
        crs=METRIC_CRS,
    ).rename_axis("node")
    pairs = [(1, 2), (2, 3), (3, 4), (5, 6)]
    lines = [shapely.LineString([nodes.geometry[a], nodes.geometry[b]]) for a, b in pairs]
    edges = gpd.GeoDataFrame(
        {
            "u": [a for a, _ in pairs],
            "v": [b for _, b in pairs],
            "length": [line.length for line in lines],
            "highway": ["secondary"] * 4,
            "maxspeed": [36.0, 36.0, 36.0, 36.0],  # 10 m/s: 1 km per 100 s
            "name": None,
            "ref": None,
            "tunnel": False,
            "bridge": False,
        },
        geometry=lines,
        crs=METRIC_CRS,
    )
    return Network(nodes, edges, "drive", Provenance("test", "synthetic", None))


def _sites(*xs: float) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(X0 + x, Y0) for x in xs], crs=METRIC_CRS)


def test_metrics_hand_checked_on_synthetic_line() -> None:
    net = synthetic_line_network()
    m = spread_metrics(net, _sites(0), radius=1500.0)
    # Pieces of 250 m with midpoints 125, 375, ... 2875 m from A; six lie within 1500 m.
    assert m["road_km_total"] == pytest.approx(3.5)
    assert m["road_km_covered"] == pytest.approx(1.5)
    assert m["share_road_km_covered"] == pytest.approx(1.5 / 3.5)
    assert m["largest_gap_km"] == pytest.approx(2.875)
    assert m["road_km_unreachable"] == pytest.approx(0.5)
    assert m["road_km_per_site_mean"] == pytest.approx(3.0)
    assert m["share_population_covered"] is None


def test_two_sites_split_the_road_evenly() -> None:
    net = synthetic_line_network()
    m = spread_metrics(net, _sites(0, 3000), radius=1500.0)
    assert m["road_km_covered"] == pytest.approx(3.0)
    assert m["largest_gap_km"] == pytest.approx(1.375)
    assert m["road_km_per_site_mean"] == pytest.approx(1.5)
    assert m["road_km_per_site_cv"] == pytest.approx(0.0, abs=1e-9)


def test_time_radius_and_settlements_on_synthetic_line() -> None:
    net = synthetic_line_network()
    settlements = gpd.GeoDataFrame(
        {"name": ["Nära", "Fjärran"], "population": [3000, 1000]},
        geometry=[shapely.Point(X0 + 500, Y0 + 50), shapely.Point(X0 + 2900, Y0 + 50)],
        crs=METRIC_CRS,
    )
    # 100 s at 10 m/s is 1000 m: covers pieces up to 875 m, so "Nära" but not "Fjärran".
    m = spread_metrics(net, _sites(0), radius=100.0, settlements=settlements, mode="time")
    assert m["road_km_covered"] == pytest.approx(1.0)
    assert m["settlements_reached"] == 1
    assert m["settlements_total"] == 2
    assert m["share_population_covered"] == pytest.approx(0.75)


def test_no_sites_gives_zero_coverage() -> None:
    net = synthetic_line_network()
    m = spread_metrics(net, gpd.GeoSeries([], crs=METRIC_CRS), radius=1000.0)
    assert m["road_km_covered"] == 0.0
    assert m["largest_gap_km"] is None
    assert m["road_km_unreachable"] == pytest.approx(3.5)


def test_metrics_agree_with_planner_on_real_oslo(oslo_plan) -> None:
    """Two independent paths: tiled bounded Dijkstra (planner) vs multi-source (metrics)."""
    plan = oslo_plan
    m = spread_metrics(plan.network, plan.sites, plan.radius, pieces=plan.pieces)
    hit = np.zeros(len(plan.pieces), dtype=bool)
    hit[plan.coverage[plan.solution.selected].indices] = True
    assert m["road_km_covered"] == pytest.approx(plan.pieces.length[hit].sum() / 1000, rel=1e-6)
    assert 0 < m["share_road_km_covered"] < 1
    assert m["largest_gap_km"] > plan.radius / 1000  # something is uncovered
    assert m["road_km_unreachable"] == 0.0  # largest component only
    assert m["road_km_per_site_mean"] * len(plan.sites) == pytest.approx(m["road_km_total"])


def test_metrics_for_executed_points_far_from_roads_are_ignored(oslo_plan) -> None:
    far = gpd.GeoSeries([shapely.Point(0, 0)], crs=METRIC_CRS)
    m = spread_metrics(oslo_plan.network, far, 1500.0)
    assert m["sites_used"] == 0
    assert m["road_km_covered"] == 0.0
