"""The follow-up measures spread along roads as soon as the municipality's network is cached."""

from __future__ import annotations

from geodata.municipalities import municipality_boundary, settlements
from geodata.osm import cache, load_network
from service.followup.spread import cached_road_network, executed_spread
from tests.conftest import STOCKHOLM


def test_a_cached_network_switches_spread_to_roads_and_is_never_fetched() -> None:
    assert cached_road_network("0180") is None  # empty cache: straight line, nothing fetched
    network = load_network(None, "drive", STOCKHOLM, use_cache=False)
    # Cache the real Norrmalm roads under Stockholm's Lantmäteriet boundary, as `data fetch`
    # would after downloading them.
    cache.save_network(municipality_boundary("0180", source="lantmateriet"), network)
    cached = cached_road_network("0180")
    assert cached is not None and len(cached.edges) == len(network.edges)
    towns = settlements("0180").head(3)
    checks = network.nodes[["x", "y"]].to_numpy(float)[:2]
    assert executed_spread(checks, towns, None, network=cached).mode == "väg"
    assert executed_spread(checks, towns, None).mode == "fågelväg"
