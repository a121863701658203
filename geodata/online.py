"""Is the network there? One short connectivity probe per host, remembered by the process.

Every online source (Overpass, Nominatim, polisen.se) asks :func:`reachable` before it
sends anything, so a machine without internet skips them at once instead of waiting for
DNS and HTTP time-outs. ``LOFTESPLAN_OFFLINE=1`` (the ``offline`` setting) skips the probe
and answers "no" for every host.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from geodata.errors import DataUnavailableError
from geodata.settings import get_settings

log = logging.getLogger(__name__)

#: The probe gives up after this long (DNS included).
PROBE_TIMEOUT_S = 2.0
#: A probe's answer is trusted this long (a long-running ``serve`` notices a new link).
PROBE_TTL_S = 300.0

_answers: dict[tuple[str, int], tuple[float, bool]] = {}
_lock = threading.Lock()


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


def _probe(host: str, port: int, timeout_s: float) -> bool:
    """Open one TCP connection to ``host:port``; DNS and connect both within ``timeout_s``."""
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append(True)
        except OSError as exc:
            log.info("Connectivity probe to %s:%s failed: %s", host, port, exc)
            outcome.append(False)

    # getaddrinfo has no timeout of its own: run the probe in a thread and stop waiting.
    worker = threading.Thread(target=attempt, name=f"probe-{host}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    return bool(outcome and outcome[0])


def reachable(url: str) -> bool:
    """True if the host of ``url`` answers (and the ``offline`` setting is off).

    Parameters
    ----------
    url
        Any URL of the service (only scheme, host and port are used).
    """
    if get_settings().offline:
        return False
    key = _host_port(url)
    if not key[0]:
        return False
    now = time.monotonic()
    with _lock:
        cached = _answers.get(key)
    if cached is not None and now - cached[0] < PROBE_TTL_S:
        return cached[1]
    answer = _remembered(key)
    if answer is None:
        answer = _probe(*key, PROBE_TIMEOUT_S)
        _remember(key, answer)
    with _lock:
        _answers[key] = (time.monotonic(), answer)
    return answer


def _probe_file() -> Path:
    return get_settings().cache_dir / "online-probe.json"


def _remembered(key: tuple[str, int]) -> bool | None:
    """A recent answer another process left in the cache (CLI runs follow each other)."""
    try:
        saved = json.loads(_probe_file().read_text(encoding="utf-8"))
        when, answer = saved[f"{key[0]}:{key[1]}"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return bool(answer) if 0 <= time.time() - float(when) < PROBE_TTL_S else None


def _remember(key: tuple[str, int], answer: bool) -> None:
    path = _probe_file()
    try:
        saved = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        saved = {}
    saved[f"{key[0]}:{key[1]}"] = [time.time(), answer]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved), encoding="utf-8")
    except OSError:
        log.info("Could not remember the probe answer in %s", path)


def forget() -> None:
    """Drop remembered probe answers (after the network changed; used by tests)."""
    with _lock:
        _answers.clear()
    try:
        _probe_file().unlink(missing_ok=True)
    except OSError:
        return


def offline_error(what: str, instead: str, *, field: str | None = None) -> DataUnavailableError:
    """The one Swedish error for "this needs internet and there is none".

    Parameters
    ----------
    what
        What could not be fetched ("OSM-data för Åre kommun").
    instead
        What to do instead, in planner's words (no command-line flags).
    field
        The request field that would supply the data (``"osm_file"``, ``"archive"``,
        ``"boundary"``), so the CLI can add the flag and the import command.
    """
    reason = (
        "offlineläge (LOFTESPLAN_OFFLINE): internet används inte"
        if get_settings().offline
        else "ingen internetanslutning"
    )
    return DataUnavailableError(f"{what} kan inte hämtas: {reason}. {instead}", field=field)


def require_overpass(what: str) -> None:
    """Raise the offline error at once unless Overpass is reachable.

    Lives here, not in the Overpass backend, so that callers can ask before importing OSMnx
    (several seconds of imports just to learn that there is no network).
    """
    if not reachable(get_settings().overpass_url):
        raise offline_error(
            what,
            "Använd en lokal OSM-fil eller data som hämtats tidigare.",
            field="osm_file",
        )
