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


def test_planned_versus_executed_settlement_spread_is_the_public_figure() -> None:
    from datetime import date as day

    from geodata.events import read_archive
    from service.followup.polisen import archive_follow_up, place_notices
    from service.followup.progress import PromisedActivity
    from service.followup.spread import settlement_spread
    from tests.conftest import POLISEN_ARCHIVE

    events = read_archive(POLISEN_ARCHIVE, "2321", types=["Trafikkontroll"])
    placed = place_notices([e for e in events if e.datetime.year == 2023], "2321")
    executed = [(n.record.lon, n.record.lat) for n in placed if n.record.lon is not None]
    planned = executed[:1]  # one planned site where the first executed check was
    spread = settlement_spread("2321", {"planned": planned, "executed": executed, "none": []})
    public = archive_follow_up(
        [PromisedActivity(1, "traffic_control", 100)], "2321", (day(2023, 1, 1), day(2023, 12, 31))
    ).spread.to_dict()
    assert spread["none"] is None
    executed_block = spread["executed"]
    assert executed_block is not None
    assert executed_block["settlements_reached"] == public["settlements_reached"] == 5
    assert executed_block["reached"] == public["reached"]
    assert spread["planned"] is not None
    assert spread["planned"]["settlements_reached"] < executed_block["settlements_reached"]
