"""Nearest settlement names on Lantmäteriet's settlements and GeoNames (real data)."""

from __future__ import annotations

import geopandas as gpd

from geodata import WGS84
from geodata.municipalities import settlements
from geodata.nearby import nearest_settlements
from service.planning.field import road_designation


def test_a_point_inside_a_swedish_tatort_gets_its_name():
    towns = settlements("2560").dropna(subset=["population"]).head(3)
    points = gpd.GeoSeries(towns.geometry.representative_point(), crs=towns.crs).to_crs(WGS84)
    names = nearest_settlements([(p.x, p.y) for p in points])
    assert names == list(towns["name"])


def test_no_settlement_near_the_open_sea_gives_none():
    assert nearest_settlements([(-30.0, 50.0)]) == [None]


def test_road_designations_follow_swedish_numbering():
    assert road_designation("E 45") == "E45"
    assert road_designation("94") == "Rv 94"
    assert road_designation("342") == "Lv 342"
    assert road_designation("E 6;4") == "E6/Rv 4"
    assert road_designation(None) == ""
