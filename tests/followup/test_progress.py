"""Period-correct follow-up on the real Polisen archive and the real Åre promise."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from service.followup.polisen import archive_follow_up, place_notices
from service.followup.progress import (
    STATUS_BEHIND,
    STATUS_MET,
    STATUS_NO_NUMBER,
    STATUS_NO_PERIOD,
    STATUS_NOT_MET,
    STATUS_NOT_STARTED,
    STATUS_ON_TRACK,
    PromisedActivity,
    promise_progress,
    public_aggregate,
    status_of,
)
from service.followup.spread import population_by_code
from tests.conftest import POLISEN_ARCHIVE, PROMISES, run_loftesplan

YEAR_2023 = (date(2023, 1, 1), date(2023, 12, 31))


def followup_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run ``loftesplan followup ARGS`` through the real entry point."""
    return run_loftesplan(monkeypatch, capsys, "followup", *args)


def independent_are_count(year: str) -> int:
    """Åre's Trafikkontroll notices dated ``year``, read straight from the archive."""
    count = 0
    with gzip.open(POLISEN_ARCHIVE, "rt", encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            own = obj["location_name"] == "Åre" or (
                obj["location_name"].endswith(" län") and obj["name"].endswith(", Åre")
            )
            if own and obj["type"] == "Trafikkontroll" and obj["datetime"].startswith(year):
                count += 1
    return count


@pytest.fixture(scope="module")
def are_2023_notices():
    from geodata.events import read_archive

    events = read_archive(POLISEN_ARCHIVE, "2321", types=["Trafikkontroll"])
    return place_notices([e for e in events if e.datetime.year == 2023], "2321")


def test_are_2017_promise_counts_nothing_from_later_years(monkeypatch, capsys):
    code, out, err = followup_cli(
        monkeypatch, capsys, str(PROMISES / "are.txt"), "--kommun", "Åre", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["period"] == {"start": "2017-01-01", "end": "2017-12-31"}
    traffic = [a for a in result["activities"] if a["kind"] == "traffic_control"]
    assert traffic == [
        {"kind": "traffic_control", "count_min": 100, "done": 0, "status": "ej uppfyllt"}
    ]
    assert result["unplaced"] == 0
    assert set(result) == {"period", "activities", "unplaced", "spread"}
    assert set(result["spread"]) == {
        "settlements_reached",
        "settlements_total",
        "population_share",
        "farthest_unreached_km",
    }


def test_period_2023_counts_exactly_the_notices_of_2023(monkeypatch, capsys):
    code, out, err = followup_cli(
        monkeypatch,
        capsys,
        str(PROMISES / "are.txt"),
        "--kommun",
        "2321",
        "--period",
        "2023-01-01:2023-12-31",
        "--json",
    )
    assert code == 0, err
    result = json.loads(out)
    expected = independent_are_count("2023")
    assert expected > 0
    traffic = [a for a in result["activities"] if a["kind"] == "traffic_control"]
    assert [a["done"] for a in traffic] == [expected]
    assert traffic[0]["status"] == "ej uppfyllt"  # 2023 is over and far below 100
    # Other kinds have no notices: nothing borrowed from the traffic checks.
    assert all(a["done"] == 0 for a in result["activities"] if a["kind"] != "traffic_control")


def test_cli_text_output_is_swedish(monkeypatch, capsys):
    code, out, _ = followup_cli(
        monkeypatch,
        capsys,
        str(PROMISES / "are.txt"),
        "--kommun",
        "Åre",
        "--period",
        "2023-01-01:2023-12-31",
    )
    assert code == 0
    assert "Åre kommun · period 1 januari 2023 – 31 december 2023" in out
    assert "Ej platsbestämda" in out and "orter nådda" in out and "ej uppfyllt" in out


@pytest.mark.parametrize(
    "period", ["2023-13-01:2023-12-31", "2023-12-31:2023-01-01", "2023", "a:b:c"]
)
def test_bad_period_is_one_swedish_line(monkeypatch, capsys, period):
    code, out, err = followup_cli(
        monkeypatch, capsys, str(PROMISES / "are.txt"), "--kommun", "Åre", "--period", period
    )
    assert code == 2
    assert "period" in err.lower() and "Traceback" not in err + out


def test_two_activities_of_one_kind_never_count_a_record_twice(are_2023_notices):
    records = [n.record for n in are_2023_notices]
    assert len(records) == independent_are_count("2023")
    activities = [
        PromisedActivity(1, "traffic_control", 1, places=("Järpen",)),
        PromisedActivity(2, "traffic_control", 100),
    ]
    now = datetime.now(UTC)
    result = promise_progress(activities, YEAR_2023, records, now, now.date())
    done = [a.done for a in result.activities]
    assert sum(done) == len(records)
    # The one notice naming Järpen goes to the Järpen line, the rest to the other.
    jarpen = [r for r in records if r.settlement == "Järpen"]
    assert done == [len(jarpen), len(records) - len(jarpen)] and len(jarpen) == 1
    # An explicit choice decides between two lines with no place.
    chosen = [
        type(r)(**{**r.__dict__, "activity_id": 4}) if r.settlement == "Åre" else r for r in records
    ]
    plain = [PromisedActivity(3, "traffic_control", 1), PromisedActivity(4, "traffic_control", 1)]
    again = promise_progress(plain, YEAR_2023, chosen, now, now.date())
    assert sum(a.done for a in again.activities) == len(records)
    assert again.activities[1].done >= sum(1 for r in records if r.settlement == "Åre")


def test_records_no_activity_claims_are_listed_apart(are_2023_notices):
    records = [n.record for n in are_2023_notices]
    now = datetime.now(UTC)
    result = promise_progress(
        [PromisedActivity(1, "safety_walk", 1)], YEAR_2023, records, now, now.date()
    )
    assert result.activities[0].done == 0
    assert result.unmatched == {"traffic_control": len(records)}


def test_unplaced_notices_are_counted_apart_never_as_an_area(are_2023_notices):
    records = [n.record for n in are_2023_notices]
    unplaced = [n for n in are_2023_notices if n.level == "municipality"]
    assert unplaced, "Åre 2023 has a notice that names no place"
    now = datetime.now(UTC)
    result = promise_progress(
        [PromisedActivity(1, "traffic_control", 100)], YEAR_2023, records, now, now.date()
    )
    assert result.unplaced == len(unplaced) == result.activities[0].unplaced
    public = public_aggregate(records, now, timedelta(hours=48))
    assert public.unplaced == len(unplaced)
    assert sum(a["count"] for a in public.areas) == len(records) - len(unplaced)
    assert not [a for a in public.areas if a["level"] == "kommun" or a["area"] == "hela kommunen"]


def test_status_words_follow_the_period():
    period = (date(2017, 1, 1), date(2017, 12, 31))
    assert status_of(100, 0, period, date(2016, 12, 1))[0] == STATUS_NOT_STARTED
    assert status_of(100, 50, period, date(2017, 7, 1))[0] == STATUS_ON_TRACK
    assert status_of(100, 10, period, date(2017, 7, 1))[0] == STATUS_BEHIND
    assert status_of(100, 100, period, date(2018, 1, 1))[0] == STATUS_MET
    assert status_of(100, 99, period, date(2026, 1, 1))[0] == STATUS_NOT_MET
    assert status_of(None, 3, period, date(2017, 7, 1))[0] == STATUS_NO_NUMBER
    assert status_of(100, 3, (None, date(2025, 12, 31)), date(2025, 1, 1))[0] == STATUS_NO_PERIOD


def test_a_promise_without_a_period_counts_nothing(are_2023_notices):
    records = [n.record for n in are_2023_notices]
    now = datetime.now(UTC)
    result = promise_progress(
        [PromisedActivity(1, "traffic_control", 2)],
        (None, date(2025, 12, 31)),
        records,
        now,
        now.date(),
    )
    assert result.activities[0].done == 0 and result.activities[0].status == STATUS_NO_PERIOD
    assert not result.has_period


def test_spread_of_are_2023_checked_by_hand():
    """Åre 2023: notices name Järpen, Duved, Björnänge, Åre and Mörsil, plus one with no place.

    Within 5 km (straight line) of those checks lie the tätorter Åre, Järpen, Mörsil and
    Björnänge and the small settlement Svensta (next to Duved); Undersåker is 8,6 km from the
    nearest check; Storlien, by the Norwegian border, is the farthest (about 39 km).
    """
    result = archive_follow_up(
        [PromisedActivity(1, "traffic_control", 100)], "Åre", YEAR_2023, POLISEN_ARCHIVE
    )
    spread = result.spread
    reached = {s.name for s in spread.settlements if s.reached}
    assert reached == {"Åre", "Järpen", "Mörsil", "Björnänge", "Svensta"}
    assert spread.settlements_total == 14
    population = {s.name: s.population for s in spread.settlements}
    assert population["Åre"] == 3430
    expected = sum(population[n] or 0 for n in reached) / population_by_code()["2321"]
    assert spread.population_share == pytest.approx(expected)
    assert spread.farthest_unreached is not None
    assert spread.farthest_unreached.name == "Storlien"
    assert 35_000 < spread.farthest_unreached.distance_m < 45_000
    undersaker = next(s for s in spread.settlements if s.name == "Undersåker")
    assert not undersaker.reached and 5_000 < undersaker.distance_m < 10_000
