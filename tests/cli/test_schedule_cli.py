"""``loftesplan schedule``: a real checkpoint plan (east Oslo) spread over a period."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import OSLO


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from geodata.settings import use_settings
    from service.settings import Settings

    base = tmp_path_factory.mktemp("schedule")
    out = base / "plan.geojson"
    with use_settings(Settings(cache_dir=base / "cache", data_dir=base / "data", offline=True)):
        result = CliRunner().invoke(
            app,
            [
                "checkpoints",
                "--osm-file",
                str(OSLO),
                "--count",
                "5",
                "--radius-km",
                "2",
                "--out",
                str(out),
            ],
        )
    assert result.exit_code == 0, result.output
    return out


def test_schedule_writes_json_calendar_and_excel(plan_file: Path, tmp_path: Path) -> None:
    ics, csv = tmp_path / "s.ics", tmp_path / "s.csv"
    args = ["schedule", str(plan_file), "--count", "12", "--start", "2027-01-01", "--end",
            "2027-06-30", "--ics", str(ics), "--csv", str(csv), "--json"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 12
    assert {r["site"] for r in rows} <= set(range(1, 6))
    days = [date.fromisoformat(r["start"][:10]) for r in rows]
    assert all(date(2027, 1, 1) <= d <= date(2027, 6, 30) for d in days)
    events = [c for c in Calendar.from_ical(ics.read_bytes()).walk() if c.name == "VEVENT"]
    assert len(events) == 12 and all("Trafikkontroll" in str(e["summary"]) for e in events)
    lines = csv.read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == 13 and lines[0].startswith("Nr;")
    # The same seed gives the same schedule.
    again = CliRunner().invoke(app, args)
    assert json.loads(again.stdout) == rows


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "2027-06-30", "--end", "2027-01-01"], "före den första"),
        (["--start", "2027-13-01", "--end", "2027-12-31"], "ÅÅÅÅ-MM-DD"),
        (["--start", "2027-01-01"], "--end saknas"),
    ],
)
def test_schedule_mistakes(plan_file: Path, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["schedule", str(plan_file), "--count", "3", *extra])
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_schedule_refuses_a_file_without_sites(tmp_path: Path) -> None:
    bad = tmp_path / "plan.geojson"
    bad.write_text("inte json", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["schedule", str(bad), "--count", "3", "--start", "2027-01-01", "--end", "2027-02-01"]
    )
    assert result.exit_code == 2 and "plan.geojson" in result.stderr, result.output
