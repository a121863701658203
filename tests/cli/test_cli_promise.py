"""``loftesplan promise parse`` on bad input, through the real entry point.

Each case ends within 2 s with one clear Swedish line and exit code 2, or with an empty
activity list and a warning: never a traceback.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

import matplotlib
import pytest

from tests.conftest import POLISEN_ARCHIVE, PROMISES


def run(monkeypatch: pytest.MonkeyPatch, capsys, *args: str) -> tuple[int, str, str, float]:
    """(exit code, stdout, stderr, seconds) of ``loftesplan promise parse ARGS``."""
    from service.cli import main

    monkeypatch.setattr(sys, "argv", ["loftesplan", "promise", "parse", *args])
    code = 0
    start = time.perf_counter()
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    seconds = time.perf_counter() - start
    out, err = capsys.readouterr()
    return code, out, err, seconds


def assert_user_error(code: int, out: str, err: str, seconds: float, words: str) -> None:
    assert code == 2, (out, err)
    assert "Traceback" not in out + err
    message = " ".join(err.split())  # the console wraps long lines
    assert message.startswith("Fel:") and message.count("Fel:") == 1, err
    assert words in message
    assert seconds < 2.0


def test_empty_file(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "tom.txt"
    path.write_text("", encoding="utf-8")
    assert_user_error(*run(monkeypatch, capsys, str(path)), "tom")


def test_pdf_file(monkeypatch, capsys) -> None:
    # A real PDF (an icon shipped with matplotlib), as if the promise were saved as PDF.
    pdf = Path(matplotlib.get_data_path()) / "images" / "home.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert_user_error(*run(monkeypatch, capsys, str(pdf)), "PDF")


def test_missing_file(monkeypatch, capsys, tmp_path: Path) -> None:
    assert_user_error(*run(monkeypatch, capsys, str(tmp_path / "saknas.txt")), "finns inte")


def test_five_megabyte_text(monkeypatch, capsys, tmp_path: Path) -> None:
    # A real promise repeated to 5 MB: far more than any promise page.
    text = (PROMISES / "are.txt").read_text(encoding="utf-8")
    path = tmp_path / "stor.txt"
    path.write_text(text * (5_000_000 // len(text) + 1), encoding="utf-8")
    assert path.stat().st_size >= 5_000_000
    assert_user_error(*run(monkeypatch, capsys, str(path)), "för stor")


def test_news_article_without_a_promise(monkeypatch, capsys, tmp_path: Path) -> None:
    # A real police notice about a traffic accident: Swedish prose that promises nothing.
    with gzip.open(POLISEN_ARCHIVE, "rt", encoding="utf-8") as lines:
        event = next(
            e
            for e in map(json.loads, lines)
            if e["type"] == "Trafikolycka" and len(e.get("body") or "") > 300
        )
    path = tmp_path / "nyhet.txt"
    path.write_text(f"{event['name']}\n\n{event['body']}\n", encoding="utf-8")
    code, out, err, seconds = run(monkeypatch, capsys, str(path), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["activities"] == []
    assert any("Inga aktiviteter" in w for w in data["warnings"])
    assert seconds < 2.0


def test_table_and_json_show_why(monkeypatch, capsys) -> None:
    path = str(PROMISES / "dev" / "lulea-2018.txt")
    code, out, err, _ = run(monkeypatch, capsys, path)
    assert code == 0, err
    assert "Varför" in out and "parentes" in out
    code, out, err, _ = run(monkeypatch, capsys, path, "--json")
    traffic = next(a for a in json.loads(out)["activities"] if a["kind"] == "traffic_control")
    # "Minst en trafikkontroll varje dygn i kommunen. (Polisen)", a 2018 promise
    assert traffic["count_min"] == 365
    assert traffic["explanation"]["kind"] == "lexikon: trafikkontroll"
    assert "365" in traffic["explanation"]["count"]
    assert traffic["explanation"]["responsible"] == "parentes: '(Polisen)'"
