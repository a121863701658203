"""The live poll of polisen.se's public events API, run as a background job of the service.

Every ``polisen_poll_minutes`` (a setting; 0 turns it off, and it never runs offline) the job
fetches the latest notices for the whole country, adds the new ones to the national aggregate
(:func:`service.followup.record.apply_notices`) and writes it to the data directory, where it
supersedes the aggregate shipped with the package.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from geodata.events import PoliceEvent
from geodata.events import parse_events as parse_api_events  # the one notice parser
from geodata.online import reachable
from geodata.settings import get_settings
from service.followup.record import (
    apply_notices,
    imported_aggregate_path,
    load_aggregate,
    write_aggregate,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def fetch_latest(timeout_s: float = 20.0) -> list[PoliceEvent]:
    """The latest notices for all of Sweden from polisen.se (about 500; setting polisen_url)."""
    import httpx

    url = get_settings().polisen_url
    if not reachable(url):
        return []
    response = httpx.get(
        url, timeout=timeout_s, headers={"User-Agent": "loftesplan (medborgarloften)"}
    )
    response.raise_for_status()
    events, skipped = parse_api_events(response.json())
    if skipped:
        log.warning("%d notiser från polisen.se kunde inte läsas", skipped)
    return events


def poll_once(events: list[PoliceEvent] | None = None) -> int:
    """One poll: fetch (unless ``events`` are given), add the new ones, write the aggregate.

    Returns
    -------
    int
        How many notices were new.
    """
    fetched = fetch_latest() if events is None else events
    aggregate = dict(load_aggregate())
    aggregate.pop("origin", None)
    added = apply_notices(aggregate, fetched, source="polisen.se (direkt)")
    if added:
        write_aggregate(aggregate, imported_aggregate_path())
    return added


def propose_to_plans(engine: Engine, events: list[PoliceEvent]) -> dict[int, int]:
    """Store polled notices for the active checkpoint plans, as their import button does.

    Returns
    -------
    dict
        Plan id -> open notice proposals (see :func:`service.store.workplace.match_polled_notices`).
    """
    from service.store.db import session_scope
    from service.store.workplace import match_polled_notices

    with session_scope(engine) as session:
        return match_polled_notices(session, events)


def start_live_poll(minutes: float, engine: Engine | None = None) -> threading.Event | None:
    """Start the poll in a daemon thread; the returned event stops it. None when off/offline.

    With the service's database ``engine``, each poll also proposes the new notices to the
    active checkpoint plans of their municipality (:func:`propose_to_plans`).
    """
    if minutes <= 0 or get_settings().offline:
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                fetched = fetch_latest()
                added = poll_once(fetched)
                log.info("polisen.se: %d nya notiser", added)
                if engine is not None and fetched:
                    proposals = propose_to_plans(engine, fetched)
                    log.info("polisen.se: förslag per plan %s", proposals)
            except Exception as exc:  # a failed poll must never stop the service
                log.warning("Polisens händelser kunde inte hämtas: %s", exc)
            stop.wait(minutes * 60)

    threading.Thread(target=run, name="polisen-live-poll", daemon=True).start()
    return stop
