"""Executed spread measured along the road network (the branch used when a network is cached)."""

from __future__ import annotations

import numpy as np

from geodata.municipalities import settlements
from geodata.osm import load_network
from service.followup.spread import executed_spread
from tests.conftest import STOCKHOLM


def test_road_distances_are_at_least_the_straight_line_on_real_roads() -> None:
    network = load_network(None, "drive", STOCKHOLM, use_cache=False)
    towns = settlements("Stockholm").head(5)
    checks = network.nodes[["x", "y"]].to_numpy(float)[[0, len(network.nodes) // 2]]
    by_road = executed_spread(checks, towns, None, 5000.0, network=network)
    straight = executed_spread(checks, towns, None, 5000.0)
    assert by_road.mode != straight.mode
    assert by_road.checks == straight.checks == 2
    for road, line in zip(by_road.settlements, straight.settlements, strict=True):
        assert road.name == line.name
        assert line.distance_m is not None
        # A road is never shorter than the straight line (1 m slack for snapping to nodes).
        if road.distance_m is not None and np.isfinite(road.distance_m):
            assert road.distance_m >= line.distance_m - 1.0
