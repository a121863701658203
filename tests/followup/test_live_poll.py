"""The live poll of polisen.se, tested on the real archive: polling adds up to an import."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest

from service.followup.live import parse_api_events, poll_once
from service.followup.record import (
    apply_notices,
    build_aggregate,
    imported_aggregate_path,
    load_aggregate,
)
from tests.conftest import POLISEN_ARCHIVE, SEEDS

CUT = "2025-06-01"


def _seed_lines() -> list[dict]:
    """The archive's notices of the five seed municipalities (kommun or county level)."""
    names = set(SEEDS.values())
    out = []
    with gzip.open(POLISEN_ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            own = obj["location_name"] in names or (
                obj["location_name"].endswith(" län")
                and obj["name"].rsplit(",", 1)[-1].strip() in names
            )
            if own:
                # The live API gives the summary but not the archived body: compare like
                # with like.
                obj.pop("body", None)
                out.append(obj)
    return out


def _api_shape(obj: dict) -> dict:
    """An archive record as polisen.se's API sends it (``location`` with ``name``/``gps``)."""
    return {
        "id": obj["id"],
        "datetime": obj["datetime"],
        "name": obj["name"],
        "summary": obj["summary"],
        "url": obj.get("url"),
        "type": obj["type"],
        "location": {"name": obj["location_name"], "gps": f"{obj['lat']},{obj['lon']}"},
    }


@pytest.fixture(scope="module")
def seed_archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[dict]]:
    lines = _seed_lines()
    base = tmp_path_factory.mktemp("live")
    every, before = base / "alla.jsonl", base / "fore.jsonl"
    every.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in lines), "utf-8")
    early = [o for o in lines if o["datetime"][:10] < CUT]
    before.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in early), "utf-8")
    later = [o for o in lines if o["datetime"][:10] >= CUT]
    return every, before, later


def test_parser_reads_the_api_shape_and_skips_broken_records():
    payload = [_api_shape(o) for o in _seed_lines()[:50]]
    payload.insert(3, {"id": "x", "datetime": "igår"})
    payload.append("inte en händelse")
    events, skipped = parse_api_events(payload)
    assert skipped == 2 and len(events) == 50
    first = next(e for e in events if e.id == payload[0]["id"])
    assert first.location_name == payload[0]["location"]["name"]
    assert first.lat == pytest.approx(float(payload[0]["location"]["gps"].split(",")[0]))
    assert [e.datetime for e in events] == sorted(e.datetime for e in events)
    assert parse_api_events({"fel": "inte en lista"}) == ([], 0)


def test_polling_the_later_notices_gives_the_same_record_as_importing_them(seed_archive):
    every, before, later = seed_archive
    whole = build_aggregate(every)
    polled = build_aggregate(before)
    later.sort(key=lambda o: o["datetime"])
    added = 0
    for i in range(0, len(later), 100):  # the API returns the latest few hundred at a time
        events, skipped = parse_api_events([_api_shape(o) for o in later[i : i + 100]])
        assert skipped == 0
        added += apply_notices(polled, events)
        assert apply_notices(polled, events) == 0  # the same answer twice adds nothing
    assert added == len(later) > 0
    assert polled["notices"] == whole["notices"]
    assert polled["data_date"] == whole["data_date"]
    for code in SEEDS:
        mine, theirs = polled["municipalities"][code], whole["municipalities"][code]
        assert mine["counts"] == theirs["counts"], code
        assert mine["traffic"]["quarters"] == theirs["traffic"]["quarters"], code
        for year, block in theirs["traffic"]["years"].items():
            got = mine["traffic"]["years"][year]
            assert got["checks"] == block["checks"], (code, year)
            assert got["reached"] == block["reached"], (code, year)
            if block["farthest_unreached_km"] is not None:
                assert got["farthest_unreached_km"] == pytest.approx(
                    block["farthest_unreached_km"], abs=0.11
                )


def test_a_poll_writes_the_aggregate_that_then_supersedes_the_shipped_one(seed_archive):
    _every, _before, later = seed_archive
    shipped = load_aggregate()
    assert shipped["origin"] == "medföljande"
    newest = datetime.fromisoformat(shipped["last_datetime"])
    # Notices after the shipped record's end, as a poll would bring them (ids made unseen).
    events, _ = parse_api_events([_api_shape(o) for o in later[-20:]])
    for event in events:
        event.datetime = event.datetime.replace(year=newest.year + 1)
        event.id += 10**9
    assert poll_once(events) == 20
    assert imported_aggregate_path().is_file()
    fresh = load_aggregate()
    assert fresh["origin"] == "importerad" and fresh["notices"] == shipped["notices"] + 20
    assert poll_once(events) == 0


def test_data_import_polisen_rebuilds_the_record_that_supersedes_the_shipped_one(seed_archive):
    from typer.testing import CliRunner

    from service.cli import app

    every, _before, _later = seed_archive
    assert load_aggregate()["origin"] == "medföljande"
    for _ in range(2):  # idempotent: a second import gives the same record
        result = CliRunner().invoke(app, ["data", "import", "polisen", str(every)])
        assert result.exit_code == 0, result.output
        record = load_aggregate()
        assert record["origin"] == "importerad"
        assert record["notices"] == sum(1 for _ in every.open(encoding="utf-8"))
    assert "Sammanställningen" in result.output
    are = record["municipalities"]["2321"]["counts"]["Trafikkontroll"]
    assert sum(are.values()) == 19  # Åre's traffic checks in the archive (kommun and county)
    assert record["municipalities"]["0180"]["counts"] == {}  # Stockholm was not in the file
