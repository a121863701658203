"""Place registers on the real central Stockholm extract: OSM places, own register, match."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geodata.errors import InvalidInputError
from geodata.osm import load_features
from geodata.registers import (
    KINDS,
    import_register,
    kind_label,
    match_register,
    places_of_kind,
    read_addresses,
    resolve_kind,
    split_address,
)
from tests.conftest import STOCKHOLM


@pytest.fixture(scope="module")
def features() -> gpd.GeoDataFrame:
    return load_features(None, osm_file=STOCKHOLM, use_cache=False)


@pytest.fixture(scope="module")
def venues(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return places_of_kind("venue", features=features)


@pytest.fixture(scope="module")
def addresses() -> gpd.GeoDataFrame:
    return read_addresses(STOCKHOLM)


def test_at_least_100_licensed_venues(venues: gpd.GeoDataFrame) -> None:
    assert len(venues) >= 100
    assert set(venues["type_label"]) <= {"restaurang", "bar", "pub", "nattklubb", "ölträdgård"}
    assert venues["place_id"].is_unique
    assert (venues.geometry.geom_type == "Point").all()
    assert "serveringstillstånd" in venues.attrs["note"]
    assert "OpenStreetMap" in venues.attrs["attribution"]
    assert "2020" in venues.attrs["attribution"]  # data date of the extract


@pytest.mark.parametrize(
    ("alias", "kind"),
    [
        ("utskänkningsställen", "venue"),
        ("Serveringsställen", "venue"),
        ("skolor", "school"),
        ("paketombud", "parcel_locker"),
        ("båthamnar", "marina"),
        ("fritidsgardar", "youth_centre"),
        ("parker", "park"),
        ("youth_centre", "youth_centre"),
    ],
)
def test_swedish_kind_names(alias: str, kind: str) -> None:
    assert resolve_kind(alias) == kind


def test_unknown_kind_lists_known_kinds() -> None:
    with pytest.raises(InvalidInputError) as err:
        resolve_kind("kyrkor")
    for kind in KINDS:
        assert kind_label(kind) in str(err.value)


def test_other_kinds_come_from_their_own_layer(features: gpd.GeoDataFrame) -> None:
    for kind in ("school", "park", "parcel_locker", "marina", "youth_centre"):
        found = places_of_kind(kind, features=features)
        assert len(found) == int((features["kind"] == kind).sum())
    assert len(places_of_kind("parker", features=features)) > 0


def test_split_address() -> None:
    assert split_address("Birger Jarlsgatan 23 B, 111 45 Stockholm") == ("Birger Jarlsgatan", "23b")
    assert split_address("Olof Palmes Gata 11") == ("Olof Palmes Gata", "11")
    assert split_address("Stureplan") == ("Stureplan", "")


def _misspell(name: str) -> str:
    """Swap two inner letters: a typo a clerk might make."""
    i = len(name) // 2
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]


@pytest.fixture(scope="module")
def register_rows(venues: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame) -> pd.DataFrame:
    """Real venue names with the real address nearest to them (within 20 m) in the file."""
    addr = addresses.to_crs(venues.crs)
    named = venues[venues["name"].fillna("").str.len() >= 6]
    idx, dist = addr.sindex.nearest(named.geometry, return_distance=True)
    close = dist < 20
    rows = pd.DataFrame(
        {
            "place_id": named["place_id"].to_numpy()[idx[0][close]],
            "name": named["name"].to_numpy()[idx[0][close]],
            "street": addr["street"].to_numpy()[idx[1][close]],
            "number": addr["housenumber"].to_numpy()[idx[1][close]],
        }
    ).drop_duplicates("name")
    assert len(rows) >= 12
    return rows.head(12).reset_index(drop=True)


def test_register_imported_matched_and_unplaced_reported(
    tmp_path: Path, venues: gpd.GeoDataFrame, addresses: gpd.GeoDataFrame, register_rows
) -> None:
    rows = register_rows.copy()
    rows.loc[[1, 4, 7], "name"] = rows.loc[[1, 4, 7], "name"].map(_misspell)
    lines = [f"{r.name};{r.street} {r.number};;Stockholm" for r in rows.itertuples()]
    # Not in the file: an invented street, and a real street with a number it does not have.
    lines.append("Krogen Påhittad;Påhittegatan 5;;Stockholm")
    lines.append(f"Baren Borta;{rows.street[0]} 987;;Stockholm")
    path = tmp_path / "serveringstillstånd.csv"
    # Excel on Swedish Windows writes cp1252 with semicolons.
    path.write_bytes(("Namn;Adress;Postnummer;Ort\n" + "\n".join(lines)).encode("cp1252"))

    register = import_register(path, addresses=addresses, online=False)
    assert len(register.rows) == 14
    unplaced = register.unplaced
    assert list(unplaced["name"]) == ["Krogen Påhittad", "Baren Borta"]
    assert list(unplaced["row"]) == [14, 15]  # lines in the file
    reasons = list(unplaced["reason"])
    assert "gatan" in reasons[0] and "husnumret" in reasons[1]

    table = match_register(register, venues)
    matched = table[table["status"] == "matched"]
    expected = dict(zip(rows["name"], rows["place_id"], strict=True))
    got = dict(zip(matched["register_name"], matched["osm_id"], strict=True))
    assert got == expected  # every real row, misspelt or not, found its own venue
    assert (matched["distance_m"] <= 75).all()
    assert matched.set_index("register_name").loc[rows.name[1], "score"] < 100
    only_register = table[table["status"] == "only_register"]
    assert set(only_register["register_name"]) == {"Krogen Påhittad", "Baren Borta"}
    assert only_register["reason"].notna().all()
    assert (table["status"] == "only_osm").sum() == len(venues) - 12


def test_register_comma_utf8_and_file_geocoding(tmp_path: Path, register_rows) -> None:
    rows = register_rows.head(3)
    path = tmp_path / "reg.csv"
    body = "\n".join(f'"{r.name}","{r.street} {r.number}"' for r in rows.itertuples())
    path.write_text("name,gatuadress\n" + body, encoding="utf-8")
    register = import_register(path, osm_file=STOCKHOLM, online=False)
    assert register.rows["placed"].all()
    assert set(register.rows["geocoder"]) == {"osm-adress"}


def test_register_misspelt_street_is_still_placed(tmp_path: Path, addresses, register_rows) -> None:
    row = register_rows.iloc[0]
    street = _misspell(row.street)
    path = tmp_path / "reg.csv"
    path.write_text(f"namn;adress\n{row['name']};{street} {row.number}\n", encoding="utf-8")
    register = import_register(path, addresses=addresses, online=False)
    assert bool(register.rows["placed"].iloc[0])


def test_register_missing_columns_named(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text("namn;telefon\nBaren;08-123\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="adress"):
        import_register(path, online=False)
    with pytest.raises(InvalidInputError, match="Hittar inte"):
        import_register(tmp_path / "saknas.csv")


def test_register_from_excel(tmp_path: Path, addresses, register_rows) -> None:
    pytest.importorskip("openpyxl")
    rows = register_rows.head(4)
    path = tmp_path / "reg.xlsx"
    pd.DataFrame(
        {"Namn": rows["name"], "Gatuadress": rows["street"] + " " + rows["number"], "Ort": "Sthlm"}
    ).to_excel(path, index=False)
    register = import_register(path, addresses=addresses, online=False)
    assert list(register.rows["name"]) == list(rows["name"])
    assert register.rows["placed"].all()
    points = register.rows.to_crs(3006).geometry
    assert np.isfinite(points.x).all()
