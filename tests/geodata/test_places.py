"""Gazetteer geocoder on real data: Lantmäteriet settlements, GeoNames, the Stockholm extract."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from typer.testing import CliRunner

from geodata import osm
from geodata.errors import UnknownMunicipalityError
from geodata.network import Network, Provenance
from geodata.places import gazetteer, geocode
from tests.conftest import STOCKHOLM

_TO_METRIC = Transformer.from_crs("EPSG:4326", "EPSG:3006", always_xy=True)


def _point(result) -> shapely.Point:
    return shapely.Point(*_TO_METRIC.transform(result.lon, result.lat))


def _settlement(code: str, name: str) -> shapely.Geometry:
    return shapely.union_all(gazetteer(code).lookup(name.casefold()).geometry.to_numpy())


@pytest.fixture(scope="module")
def stockholm() -> tuple[Network, gpd.GeoDataFrame]:
    return (
        osm.load_network(None, kind="walk", osm_file=STOCKHOLM),
        osm.load_features(None, osm_file=STOCKHOLM),
    )


@pytest.mark.parametrize(
    ("phrase", "code", "settlement"),
    [
        ("Hoting", "2313", "Hoting"),
        ("i Järpen", "2321", "Järpen"),
        ("centrala Åre by", "2321", "Åre"),
        ("Skoghall", "1761", "Skoghall"),
        ("Hammerdals", "2313", "Hammerdal"),  # genitive
        ("Hotings centrum", "2313", "Hoting"),
        ("Duved", "2321", "Duved"),  # GeoNames only: below the 1:1 million settlements
        ("Vidsel", "Älvsbyn", "Vidsel"),
        ("Ekshärad", "Hagfors", "Ekshärad"),
    ],
)
def test_settlements_resolve_inside_their_polygon(phrase: str, code: str, settlement: str) -> None:
    result = geocode(phrase, code)
    assert result.level == "settlement" and result.name == settlement
    point = _point(result)
    assert _settlement(gazetteer(result.municipality).code, settlement).dwithin(point, 500)
    assert gazetteer(result.municipality).boundary.geometry.covers(point)
    assert 0 < result.confidence <= 1


def test_street_without_osm_falls_back_to_settlement_and_says_so() -> None:
    result = geocode("Storgatan i Hoting", "Strömsund")
    assert result.level == "settlement" and result.name == "Hoting"
    assert result.confidence < geocode("Hoting", "Strömsund").confidence
    assert "Storgatan" in result.reason and "OSM" in result.reason


def test_municipality_only_gives_no_invented_point() -> None:
    for phrase in ("i hela kommunen", "Strömsunds kommun"):
        result = geocode(phrase, "2313")
        assert result.level == "municipality"
        assert result.lat is None and result.lon is None
        assert result.geometry is not None and result.geometry.area > 1e9


def test_unknown_phrase_is_unresolved_with_reason() -> None:
    result = geocode("Blåbärsskogen vid Månen", "Åre")
    assert result.level == "unresolved" and result.reason and result.lat is None
    # A real settlement of another municipality is not moved into this one.
    other = geocode("Skoghall", "Åre")
    assert other.level == "unresolved"
    empty = geocode("   ", "Åre")
    assert empty.level == "unresolved"


def test_kinds_and_roads_need_osm_data() -> None:
    assert "OSM" in geocode("skolor", "Åre").reason
    road = geocode("länsväg 342", "Strömsund")
    assert road.level == "unresolved" and "länsväg 342" in road.reason


def test_unknown_municipality_raises() -> None:
    with pytest.raises(UnknownMunicipalityError):
        geocode("Hoting", "Atlantis")


def test_streets_junctions_squares_and_kinds_from_stockholm(stockholm) -> None:
    network, features = stockholm
    boundary = gazetteer("0180").boundary.geometry
    street = geocode("Sveavägen", "Stockholm", network=network, features=features)
    assert street.level == "street" and street.source == "osm"
    sveav = shapely.union_all(network.edges[network.edges["name"] == "Sveavägen"].geometry)
    assert sveav.distance(_point(street)) < 1
    two_words = geocode("Birger Jarlsgatan i Stockholm", "0180", network=network, features=features)
    assert two_words.level == "street" and two_words.name.startswith("Birger Jarlsgatan")
    junction = geocode("Kungsgatan/Sveavägen", "0180", network=network, features=features)
    assert junction.level == "point" and junction.confidence >= 0.8
    kungsg = shapely.union_all(network.edges[network.edges["name"] == "Kungsgatan"].geometry)
    assert kungsg.distance(_point(junction)) < 60 and sveav.distance(_point(junction)) < 60
    square = geocode("Östermalmstorg", "0180", network=network, features=features)
    assert square.level == "point"
    torg = features[(features["name"] == "Östermalmstorg") & (features["kind"] == "square")]
    assert torg.geometry.iloc[0].dwithin(_point(square), 1)
    venues = geocode("utskänkningsställen", "0180", network=network, features=features)
    assert venues.level == "features" and venues.lat is None
    assert venues.count == int((features["kind"] == "venue").sum())
    for result in (street, two_words, junction, square):
        assert boundary.covers(_point(result))


def test_road_refs_absent_from_stockholm_extract_are_unresolved(stockholm) -> None:
    network, features = stockholm
    result = geocode("E4", "0180", network=network, features=features)
    assert result.level == "unresolved" and "E4" in result.reason


def test_road_ref_matching_on_a_synthetic_network() -> None:
    """Unit test of the ref matcher: a made-up road through Hoting tagged ``E 45;342``."""
    hoting = _settlement("2313", "Hoting").centroid
    line = shapely.LineString(
        [(hoting.x - 4000, hoting.y - 3000), (hoting.x + 4000, hoting.y + 3000)]
    )
    edges = gpd.GeoDataFrame(
        {"u": [1], "v": [2], "length": [line.length], "ref": ["E 45;342"], "name": [None]},
        geometry=[line],
        crs="EPSG:3006",
    )
    nodes = gpd.GeoDataFrame(
        {"x": [0.0, 0.0], "y": [0.0, 0.0]},
        geometry=list(shapely.points(line.coords)),
        index=[1, 2],
        crs="EPSG:3006",
    )
    synthetic = Network(nodes, edges, "drive", Provenance("synthetic", "test", None))
    near = geocode("E45 vid Hoting", "Strömsund", network=synthetic)
    assert near.level == "road" and near.name.startswith("E45")
    assert hoting.distance(_point(near)) < 1500
    county = geocode("länsväg 342", "2313", network=synthetic)
    assert county.level == "road"
    assert geocode("riksväg 50", "2313", network=synthetic).level == "unresolved"


def test_cli_geocode_json() -> None:
    import json

    from service.cli import app

    out = CliRunner().invoke(app, ["geocode", "Hoting", "--kommun", "2313", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert set(data) >= {"level", "lat", "lon", "name", "source", "confidence"}
    assert data["level"] == "settlement" and data["name"] == "Hoting"
    out = CliRunner().invoke(app, ["geocode", "Ingenstans", "--kommun", "2313", "--json"])
    assert json.loads(out.output)["level"] == "unresolved"
    assert "reason" in json.loads(out.output)
