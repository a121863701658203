"""``loftesplan data import|list``: real data in the user data dir, found without ../shared."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import shapely
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import LANTMATERIET, POLISEN_ARCHIVE, SEEDS, STOCKHOLM


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_import_then_use_without_shared(configure: Callable[..., object], tmp_path: Path) -> None:
    configure(shared_dir=None, lantmateriet_dir=None, data_dir=tmp_path / "data")
    # Without the data: the embedded SCB boundary, and no event archive.
    assert json.loads(_run("municipality", "Åre", "--json").output)["boundary"]["source"] == "scb"
    missing = _run("events", "--kommun", "Åre")
    assert missing.exit_code == 2 and "data import polisen" in missing.stderr

    assert _run("data", "import", "lantmateriet", str(LANTMATERIET)).exit_code == 0
    assert _run("data", "import", "polisen", str(POLISEN_ARCHIVE)).exit_code == 0
    result = _run("data", "import", "osm", str(STOCKHOLM), "--name", "norrmalm")
    assert result.exit_code == 0, result.output
    rows = json.loads(_run("data", "list", "--json").output)
    names = {(r["kind"], r["name"]) for r in rows}
    assert {("lantmateriet", "ak_riks.zip"), ("lantmateriet", "mb_riks.zip")} <= names
    assert ("polisen", "events.jsonl.gz") in names and ("osm", "norrmalm.osm.bz2") in names
    for row in rows:
        assert row["bytes"] > 0 and row["imported"] and row["licence"] and row["source"]
    ak = next(r for r in rows if r["name"] == "ak_riks.zip")
    assert (
        ak["data_date"] == "2018-06-13"
        and ak["bytes"] == (LANTMATERIET / "ak_riks.zip").stat().st_size
    )

    info = json.loads(_run("municipality", "Åre", "--json").output)
    assert info["boundary"]["source"] == "lantmateriet"
    assert "Järpen" in {i["name"] for i in info["settlements"]["items"]}
    events = _run("events", "--kommun", "Åre", "--json")
    assert events.exit_code == 0, events.output
    from geodata.events import read_archive

    assert len(json.loads(events.stdout)) == len(read_archive(POLISEN_ARCHIVE, SEEDS["2321"]))


def test_imported_extract_is_cut_per_area(configure: Callable[..., object], tmp_path: Path) -> None:
    from geodata import osm
    from geodata.area import Area

    configure(data_dir=tmp_path / "data")
    assert _run("data", "import", "osm", str(STOCKHOLM)).exit_code == 0
    west = Area.from_wgs84(
        shapely.box(18.0602, 59.3343, 18.0700, 59.3422), name="Norrmalm väst", source="test"
    )
    network = osm.load_network(west, "walk")  # no --osm-file, offline: the imported file
    assert network.provenance.source == "file"
    assert "osm-extracts" in network.provenance.detail
    whole = osm.load_network(None, "walk", osm_file=STOCKHOLM)
    assert 0 < network.total_length_km < whole.total_length_km


def test_import_mistakes(tmp_path: Path) -> None:
    empty = _run("data", "import", "lantmateriet", str(tmp_path))
    assert empty.exit_code == 2 and "ak_riks.zip" in empty.stderr
    text = tmp_path / "x.txt"
    text.write_text("x", encoding="utf-8")
    assert _run("data", "import", "polisen", str(text)).exit_code == 2
    assert _run("data", "import", "osm", str(text)).exit_code == 2
    assert _run("data", "import", "osm", str(tmp_path / "nosuch.pbf")).exit_code == 2
