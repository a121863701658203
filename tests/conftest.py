"""Shared fixtures: real data from ``../shared`` beside the checkout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest

from geodata.settings import get_settings, use_settings
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(get_settings().shared_dir or ROOT.parent / "shared")
OSM_DIR = SHARED / "geodata" / "osm"
STOCKHOLM = OSM_DIR / "stockholm-norrmalm.osm.bz2"
T = TypeVar("T")
OSLO = OSM_DIR / "oslo-east-2019.osm.pbf"
RHEIN_NECKAR = OSM_DIR / "rhein-neckar-2016.osm.pbf"
PORTO = OSM_DIR / "porto-2015.osm.pbf"
LANTMATERIET = SHARED / "geodata" / "lantmateriet"
POLISEN_ARCHIVE = SHARED / "geodata" / "polisen" / "polisen-events-2022-2026.jsonl.gz"
PROMISES = SHARED / "promises"

#: The five seed municipalities of the real promise texts.
SEEDS = {
    "2321": "Åre",
    "2313": "Strömsund",
    "2560": "Älvsbyn",
    "1783": "Hagfors",
    "1761": "Hammarö",
}


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (OSM_DIR / "stockholm-norrmalm.osm.bz2").is_file():
        raise pytest.UsageError(
            f"The shared real data is missing: expected {SHARED} beside the checkout "
            "(or set LOFTESPLAN_SHARED_DIR)."
        )


def app_settings(base: Path, **changes: Any) -> Settings:
    """Offline settings on the shared real data with database, data and cache under ``base``.

    ``changes`` set other fields (e.g. ``max_body_bytes``).
    """
    return Settings(
        database_url=f"sqlite:///{base / 'loftesplan.db'}",
        data_dir=base / "data",
        cache_dir=base / "cache",
        shared_dir=SHARED,
        offline=True,
        **changes,
    )


@pytest.fixture(autouse=True)
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The one settings fixture: injected for every test (see :mod:`geodata.settings`).

    Each test gets its own cache and data dir, offline; real data still comes from
    ``../shared``. Tests that need other values use :func:`configure`.
    """
    injected = app_settings(tmp_path_factory.mktemp("loftesplan"))
    with use_settings(injected):
        yield injected


@pytest.fixture
def configure(settings: Settings) -> Iterator[Callable[..., Settings]]:
    """``configure(offline=False, ...)``: inject changed settings until the test ends."""
    with ExitStack() as stack:

        def change(**changes: object) -> Settings:
            changed = get_settings().model_copy(update=changes)
            stack.enter_context(use_settings(changed))
            return changed  # type: ignore[return-value]

        yield change


@pytest.fixture
def local_services(configure: Callable[..., Settings]) -> Iterator[object]:
    """The local stand-in for Overpass, Nominatim and polisen.se, with settings pointing at it.

    See :mod:`tests.local_services`: polisen.se answers from the shared archive, Overpass
    from the Stockholm extract, Nominatim with Lantmäteriet's municipality polygons.
    """
    from geodata import online
    from tests.local_services import (
        nominatim_from_lantmateriet,
        overpass_from_file,
        polisen_events,
        serve,
    )

    with serve() as services:
        services.route("/api/events", polisen_events(POLISEN_ARCHIVE))
        services.route("/api/interpreter", overpass_from_file(STOCKHOLM))
        services.route("/search", nominatim_from_lantmateriet())
        configure(
            offline=False,
            overpass_url=f"{services.url}/api/interpreter",
            nominatim_url=f"{services.url}/",
            polisen_url=f"{services.url}/api/events",
        )
        yield services
    online.forget()


def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    """Run ``loftesplan checkpoints ARGS`` through the real entry point; (exit code, out, err)."""
    return run_loftesplan(monkeypatch, capsys, "checkpoints", *args)


def run_loftesplan(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run ``loftesplan ARGS`` through the real entry point; (exit code, out, err)."""
    import sys

    from service.cli import main

    monkeypatch.setattr(sys, "argv", ["loftesplan", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


#: The municipalities the API tests write to: the seeds and Stockholm (the walk tests).
TEST_KOMMUNER = (*SEEDS, "0180")


def planner_token(
    engine,
    username: str,
    password: str = "planerar-losen",
    roles: tuple[str, ...] = ("polis", "kommun"),
    kommuner: tuple[str, ...] = TEST_KOMMUNER,
) -> str:
    """A new account with ``roles`` in each of ``kommuner``; its 12 h session token."""
    from service.store.accounts import create_user, grant
    from service.store.db import session_scope
    from service.store.security import issue_token

    with session_scope(engine) as session:
        user = create_user(session, username, password)
        for code in kommuner:
            for role in roles:
                grant(session, user, code, role)
        return issue_token(session, user, name="test")


def eventually(read: Callable[[], T], done: Callable[[T], bool], within_s: float) -> T:
    """Read until ``done`` holds or ``within_s`` seconds passed; the last answer read.

    Public answers may lag a write by ``public_cache_write_grace_s`` (1 s by default); a test
    of a write's effect on them waits for it this way instead of turning the grace off.
    """
    deadline = time.monotonic() + within_s
    answer = read()
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = read()
    return answer


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a new event loop in a thread of its own.

    The session's Playwright (sync API, :func:`browser`) keeps an event loop running in the main
    thread once a browser test has run, and ``asyncio.run`` refuses to start beside it.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's chromium via Playwright, launched once for every browser test."""
    from tests.browser import launch

    yield from launch()
