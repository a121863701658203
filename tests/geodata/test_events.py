"""Polisen's event notices: archive reading, filters, geocoding from text (real archive)."""

from __future__ import annotations

import gzip
import json
from datetime import date

import geopandas as gpd
import pytest
import shapely

from geodata.errors import DataUnavailableError, UnknownMunicipalityError
from geodata.events import executed_checkpoints, geocode_events, read_archive
from geodata.places import gazetteer
from tests.conftest import POLISEN_ARCHIVE, SEEDS

#: Events whose text names a settlement, labelled by reading summary and body (id: place).
LABELLED: dict[str, dict[int, str]] = {
    "2313": {
        380535: "Hoting",  # "bråk på en pub i Hoting"
        412071: "Jormvattnet",  # "Skoterolycka i Jormvattnet"
        412149: "Strömsund",  # "trafikkontroll på E45/Järnvägsgatan i Strömsund"
        419505: "Strömsund",  # "rattfylleri i centrala Strömsund"
        421901: "Hammerdal",  # "viltolycka på E45, Hammerdal"
        421985: "Näsviken",  # "I Näsviken kontrollerades tio förare"
        426558: "Hammerdal",  # "Hammerdal … Storgatan/Kyrkgatan"
        438969: "Hoting",  # "trafikkontroll i Hoting"
        442093: "Backe",  # "trafikkontroll på länsväg 346, Backe"
        446396: "Hammerdal",  # "E45 Hammerdal, resultat efter trafikkontroll"
        468790: "Hoting",  # "personbil i centrala Hoting"
        473199: "Hammerdal",  # "Brand i företagslokaler i Hammerdal"
        509876: "Gäddede",  # "Gäddede, … trafikkontroll vid Storgatan"
    },
    "2321": {
        411056: "Mörsil",  # "Trafikolycka på E14 Mörsil"
        426965: "Järpen",  # "Järpen, resultat efter nykterhetskontroll"
        438367: "Åre",  # "nykterhetskontroll på Årevägen i centrala Åre"
        440614: "Duved",  # "Fjällräddningsinsats i Duved"
        447681: "Undersåker",  # "Undersåker, personbil som kört på en älg"
        463125: "Mörsil",  # "E14 Mörsil, gott resultat efter nykterhetskontroll"
        465286: "Järpen",  # "trafikolycka mellan ett tåg och en lastbil i Järpen"
        469732: "Undersåker",  # "Singelolycka i Undersåker"
        486217: "Järpen",  # "Grovt rattfylleri i Järpen"
        501140: "Mörsil",  # "Mörsil, skadad man hittad utomhus"
        509479: "Hallen",  # "viltolycka på länsväg 321, Hallen"
        421286: "Storlien",  # "Trafikbrott i Storlien"
    },
    "2560": {
        439039: "Vidsel",  # "drograttfylleri på Lv 374, Vidsel"
        442679: "Vidsel",  # "Grov misshandel …, Vidsel"
        462496: "Älvsbyn",  # "nykterhetskontroll på Skolgatan i centrala Älvsbyn"
        478069: "Vidsel",  # "Vidsel, polisen stoppar ett fordon"
        513990: "Vidsel",  # "nykterhetskontroll på Östra Vidselsvägen, Vidsel"
        447222: "Älvsbyn",  # "personbil i centrala Älvsbyn"
    },
    "1783": {
        426162: "Ekshärad",  # "Rv62 i korsningen med lv239 i Ekshärad"
        426143: "Hagfors",  # "drograttfylleri i Hagfors"
        440060: "Ekshärad",  # "eftersöks kring Ekshärad"
        466555: "Uddeholm",  # "länsväg 246 i höjd med Uddeholm"
        483551: "Sunnemo",  # "länsväg 817 i Sunnemo"
        462022: "Hagfors",  # "grovt rattfylleri i Hagfors"
    },
    "1761": {
        423678: "Skoghall",  # "området Haga i Skoghall"
        427162: "Skoghall",  # "I Skoghall ser en anmälare …"
        440275: "Skoghall",  # "En trafikolycka har inträffat i Skoghall"
    },
}


@pytest.fixture(scope="module")
def seed_events() -> dict[str, list]:
    from geodata.events import in_municipality
    from geodata.municipalities import find_municipality

    everything = read_archive(POLISEN_ARCHIVE).events  # one pass for all five
    names = {code: find_municipality(code).name for code in SEEDS}
    return {c: [e for e in everything if in_municipality(e, n)] for c, n in names.items()}


def test_archive_filters_by_municipality_type_and_time(seed_events: dict[str, list]) -> None:
    are = seed_events["2321"]
    # 234 notices filed under "Åre" plus county notices whose title ends with ", Åre".
    assert len(are) >= 234
    assert all(e.location_name in ("Åre", "Jämtlands län") for e in are)
    controls = read_archive(
        POLISEN_ARCHIVE, "Åre", types=["Trafikkontroll"], since=date(2025, 1, 1)
    )
    assert controls.events and all(e.type == "Trafikkontroll" for e in controls)
    assert all(e.datetime.date() >= date(2025, 1, 1) for e in controls)
    assert {e.id for e in controls} < {e.id for e in are}


def test_labelled_events_geocode_near_the_named_settlement(seed_events: dict[str, list]) -> None:
    hits, total, misses = 0, 0, []
    for code, labels in LABELLED.items():
        gaz = gazetteer(code)
        events = [e for e in seed_events[code] if e.id in labels]
        assert {e.id for e in events} == set(labels), "labelled events missing from archive"
        placed = geocode_events(events, code)
        boundary = gaz.boundary.geometry
        for row in placed.itertuples():
            total += 1
            if row.geometry is not None:
                assert boundary.covers(row.geometry), f"{row.id} lies outside {gaz.name}"
            place = shapely.union_all(gaz.lookup(labels[row.id].casefold()).geometry.to_numpy())
            assert not place.is_empty, labels[row.id]
            if row.geometry is not None and place.dwithin(row.geometry, 2000):
                hits += 1
            else:
                misses.append((row.id, labels[row.id], row.level, row.name))
    rate = hits / total
    print(f"labelled hit rate {hits}/{total} = {rate:.0%}; misses {misses}")
    assert rate >= 0.85, misses


def test_no_event_point_outside_its_municipality(seed_events: dict[str, list]) -> None:
    for code, events in seed_events.items():
        checkpoints = executed_checkpoints(events, code)
        assert checkpoints.attrs["attribution"] == "Källa: Polisen"
        assert (checkpoints["type"] == "Trafikkontroll").all()
        assert checkpoints["level"].isin(["point", "street", "road", "settlement"]).all()
        boundary = gazetteer(code).boundary.geometry
        assert shapely.covers(boundary, checkpoints.geometry.to_numpy()).all()


def test_vague_event_falls_back_to_municipality_without_a_point(
    seed_events: dict[str, list],
) -> None:
    # 411093 "Narkotikabrott": the text names no place at all.
    event = next(e for e in seed_events["2321"] if e.id == 411093)
    row = geocode_events([event], "2321").iloc[0]
    assert row["level"] == "municipality"
    assert row.geometry is None and row["lat"] is None


def test_corrupt_lines_are_skipped_and_counted(tmp_path) -> None:
    with gzip.open(POLISEN_ARCHIVE, "rt", encoding="utf-8") as fh:
        good = [line for line, _ in zip(fh, range(200), strict=False)]
    strom = json.dumps(
        {
            "id": 1,
            "datetime": "2024-01-02 9:00:00 +01:00",
            "type": "Trafikkontroll",
            "name": "2 januari, Trafikkontroll, Strömsund",
            "summary": "Kontroll i Hoting",
            "location_name": "Strömsund",
            "lat": 63.85,
            "lon": 15.55,
            "url": None,
            "body": None,
        },
        ensure_ascii=False,
    )
    bad = ['{"id": 2, "datetime": "2024-01-0', "not json at all", '{"id": "x"}', "[]"]
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("".join(good[:100]) + "\n".join(bad) + "\n" + strom + "\n" + "".join(good[100:]))
    everything = read_archive(path)
    assert everything.skipped == len(bad)
    assert len(everything) == len(good) + 1
    only = read_archive(path, "Strömsund")
    assert only.skipped == len(bad) and 1 in {e.id for e in only}
    assert all(e.location_name in ("Strömsund", "Jämtlands län") for e in only)
    placed = geocode_events([e for e in only if e.id == 1], "Strömsund")
    assert placed.iloc[0]["name"] == "Hoting"


def test_truncated_archive_keeps_what_was_read(tmp_path) -> None:
    with gzip.open(POLISEN_ARCHIVE, "rb") as fh:
        head = fh.read(200_000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(head)[:-5000])
    result = read_archive(path)
    assert len(result) > 10 and result.skipped >= 1


def test_bad_inputs_raise_clear_errors(tmp_path) -> None:
    with pytest.raises(UnknownMunicipalityError):
        read_archive(POLISEN_ARCHIVE, "Atlantis")
    with pytest.raises(DataUnavailableError):
        read_archive(tmp_path / "missing.jsonl.gz", "Åre")
    empty = executed_checkpoints(
        gpd.GeoDataFrame({"type": [], "level": [], "confidence": []}, geometry=[], crs="EPSG:3006")
    )
    assert empty.empty
