"""Polisen's real notices matched to numbered checkpoint sites (algorithm unit test).

The sites are synthetic (built here at the points of Åre's real tätorter, on the E14 that
runs through them); the notices are Polisen's archived Trafikkontroll notices for Åre.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import geopandas as gpd

from geodata import WGS84
from geodata.events import load_events
from geodata.municipalities import settlements
from service.followup.polisen import place_notices
from service.planning.field import FieldSite, propose_notice_matches
from tests.conftest import POLISEN_ARCHIVE


def _synthetic_sites_in_are() -> list[FieldSite]:
    towns = settlements("2321").dropna(subset=["population"]).head(4)
    points = gpd.GeoSeries(towns.geometry.representative_point(), crs=towns.crs).to_crs(WGS84)
    return [
        FieldSite(number=i, lat=p.y, lon=p.x, road_ref="E14", settlement=name)
        for i, (p, name) in enumerate(zip(points, towns["name"], strict=True), start=1)
    ]


def _notices() -> list[tuple[int, datetime, str, str]]:
    loaded = load_events("2321", types=["Trafikkontroll"], archive=POLISEN_ARCHIVE)
    placed = place_notices(loaded.events, "2321")
    return [
        (i, n.record.happened_at, n.record.place, n.record.settlement) for i, n in enumerate(placed)
    ]


def test_notices_naming_a_sites_road_or_town_in_the_period_are_proposed():
    sites = _synthetic_sites_in_are()
    notices = _notices()
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, tzinfo=UTC)
    proposals = propose_notice_matches(sites, notices, start, end)
    assert proposals
    towns = {s.settlement for s in sites}
    for p in proposals:
        assert start <= p.happened_at <= end
        text = p.place.casefold()
        road = re.search(r"\be\s?14\b", text) is not None
        town = p.site.settlement.casefold() in text or "samma ort" in p.reason
        assert road or town, p
        if road:
            assert "samma väg (E14)" in p.reason
    # Every notice in the period that names one of the towns or the E14 is proposed.
    expected = {
        i
        for i, when, place, settlement in notices
        if start <= when <= end
        and (
            re.search(r"\bE\s?14\b", place, re.I)
            or settlement in towns
            or any(re.search(rf"\b{re.escape(t)}\b", place, re.I) for t in towns)
        )
    }
    assert {p.notice_id for p in proposals} == expected


def test_notices_outside_the_period_are_not_proposed():
    sites = _synthetic_sites_in_are()
    far = datetime(1990, 1, 1, tzinfo=UTC), datetime(1990, 12, 31, tzinfo=UTC)
    assert propose_notice_matches(sites, _notices(), *far) == []
