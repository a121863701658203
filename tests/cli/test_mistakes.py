"""Every typical CLI mistake is one Swedish message and exit code 2, never a traceback.

Also: with the network cut (a resolver that fails, as on a police network without internet),
the commands answer within seconds and say what to do instead.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import POLISEN_ARCHIVE, STOCKHOLM

#: Text click or Python would print in English; none of it may reach the user.
ENGLISH = (
    "Traceback",
    "Usage:",
    "Error:",
    "Invalid value",
    "Missing option",
    "Missing argument",
    "No such",
    "Try '",
    "does not exist",
    "Did you mean",
    "Got unexpected",
    "requires an argument",
    "Input should be",
    "HTTPSConnectionPool",
)

MISTAKES: list[tuple[list[str], str]] = [
    (["checkpoint", "--kommun", "Åre", "--count", "10"], "Menade du checkpoints"),
    (["checkpoints", "--kommun", "Åre"], "--count saknas"),
    (["checkpoints", "--kommun", "Åre", "--count", "tio"], "'tio'"),
    (["checkpoints", "--kommun"], "--kommun behöver ett värde"),
    (
        ["checkpoints", "--kommun", "Åre", "--count", "10", "--map", "/nonexistent/x.html"],
        "Katalogen /nonexistent finns inte",
    ),
    (["checkpoints", "--kommun", "Åre", "--count", "10", "--out", "{tmp}"], "är en katalog"),
    (["checkpoints", "--kommun", "Åre", "--count", "10"], "data import osm"),
    (["checkpoints", "--kommun", "Atlantis", "--count", "10"], "Okänd kommun"),
    (["checkpoints", "--osm-file", "{tmp}/nosuch.osm.pbf", "--count", "3"], "nosuch.osm.pbf"),
    (["checkpoints", "--kommun", "Åre", "--count", "3", "--weighting", "fel"], "weighting"),
    (["walk", "--length-km", "2,5x", "--kommun", "Åre"], "'2,5x'"),
    (["walk", "--center", "north", "--osm-file", str(STOCKHOLM)], "LAT,LON"),
    (["walk", "--osm-file", str(STOCKHOLM)], "mittpunkt"),
    (["promise", "parse", "nosuch.txt"], "nosuch.txt"),
    (["promise", "pars", "x.txt"], "Menade du parse"),
    (["municipality"], "saknas"),
    (["municipality", "Atlantis"], "Okänd kommun"),
    (["municipality", "Åre", "--sourse", "scb"], "Menade du --source"),
    (["municipality", "Åre", "--source", "foo"], "gränskälla"),
    (["municipality", "Åre", "Strömsund"], "För många argument"),
    (["events"], "--kommun saknas"),
    (["events", "--kommun", "Åre", "--since", "2024-13-01"], "ÅÅÅÅ-MM-DD"),
    (["events", "--kommun", "Åre", "--archive", "{tmp}/nosuch.jsonl.gz"], "nosuch.jsonl.gz"),
    (["events", "--kommun", "Åre", "--online"], "--archive"),
    (["data", "frobnicate"], "Okänt kommando 'frobnicate'"),
    (["data", "fetch", "Hagfors"], "--osm-file"),
    (["geocode", "Storgatan"], "--kommun saknas"),
    (["places", "kyrkor", "--osm-file", str(STOCKHOLM)], "utskänkningsställen"),
    (["round", "venue", "--osm-file", str(STOCKHOLM), "--date", "11/12/2020"], "ÅÅÅÅ-MM-DD"),
    (["round", "venue", "--osm-file", str(STOCKHOLM), "--hours", "sex"], "'sex'"),
]


@pytest.mark.parametrize(("args", "expected"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_mistake_is_one_swedish_message_and_exit_2(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert expected in err, err
    # Progress lines may come first; the error itself is one or two lines.
    lines = err.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Fel: "))
    assert 1 <= len(lines) - start <= 2, err
    for english in ENGLISH:
        assert english not in result.output, (english, result.output)


def test_there_are_at_least_twenty_mistakes() -> None:
    assert len(MISTAKES) >= 20


def test_decimal_commas_are_numbers(tmp_path: Path) -> None:
    """'0,6' is read as 0.6 (the walk runs), and '3 430' style digit groups as one number."""
    out = tmp_path / "walk.geojson"
    result = CliRunner().invoke(
        app,
        [
            "walk",
            "--osm-file",
            str(STOCKHOLM),
            "--center",
            "59.3365,18.0700",
            "--radius-km",
            "0,6",
            "--length-km",
            "1,5",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file()


# --- network cut ---------------------------------------------------------------------------


@pytest.fixture
def network_cut(monkeypatch: pytest.MonkeyPatch, configure: Callable[..., object]) -> list[str]:
    """Online mode (no LOFTESPLAN_OFFLINE) on a machine whose resolver fails for every host."""
    from geodata import online

    online.forget()
    asked: list[str] = []

    def no_dns(host: str, *args: object, **kwargs: object) -> object:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    configure(offline=False)
    yield asked
    online.forget()


#: The acceptance bound: seconds of work with the network cut. Measured as this process's CPU
#: time, because the shared 2-core CI machine may run other jobs (wall time is printed and
#: bounded loosely: a resolver or HTTP wait would show there, CPU time would not).
LIMIT_S = 10.0
WALL_GUARD_S = 60.0


def _timed(args: list[str]) -> tuple[float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = CliRunner().invoke(app, args)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{' '.join(args)}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    assert wall < WALL_GUARD_S
    return cpu, result


def test_checkpoints_without_network_say_what_to_do_within_seconds(network_cut) -> None:
    seconds, result = _timed(["checkpoints", "--kommun", "Åre", "--count", "10"])
    assert seconds < LIMIT_S
    assert result.exit_code == 2, result.output
    assert "--osm-file" in result.stderr and "data import osm" in result.stderr
    assert "internetanslutning" in result.stderr
    for english in ENGLISH:
        assert english not in result.output
    # The probe asked the resolver once per service, then the process remembered the answer.
    assert network_cut and len(network_cut) == len(set(network_cut))


def test_municipality_and_events_answer_without_network(network_cut) -> None:
    seconds, result = _timed(["municipality", "Åre", "--json"])
    assert seconds < LIMIT_S and result.exit_code == 0, result.output
    assert '"lantmateriet"' in result.output
    seconds, result = _timed(["events", "--kommun", "Åre", "--archive", str(POLISEN_ARCHIVE)])
    assert seconds < LIMIT_S and result.exit_code == 0, result.output
    seconds, result = _timed(["events", "--kommun", "Åre", "--online"])
    assert seconds < LIMIT_S and result.exit_code == 2
    assert "internetanslutning" in result.stderr and "--archive" in result.stderr


def test_public_map_page_answers_without_network(network_cut, settings) -> None:
    from fastapi.testclient import TestClient

    from service.api.app import create_app
    from service.settings import Settings

    app_settings = Settings(**{**settings.model_dump(), "offline": False})
    with TestClient(create_app(app_settings)) as client:
        start = time.process_time()
        page = client.get("/kommun/Åre/karta")
        assert time.process_time() - start < LIMIT_S
    assert page.status_code == 200
