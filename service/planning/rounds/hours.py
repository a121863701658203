"""Round inputs: date and time, and opening hours as open windows (opening-hours-py)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from geodata.errors import InvalidInputError

log = logging.getLogger(__name__)


SERVICE_MIN = 15.0
#: Longest round (hours) unless the caller says otherwise.
MAX_HOURS = 6.0
#: Places farther than this from the network (m) cannot be visited by the round.
MAX_SNAP_M = 400.0
MODES = ("drive", "walk")
#: Longest wait (minutes) outside a place that has not opened yet.
MAX_WAIT_MIN = 20.0


# --------------------------------------------------------------------------- opening hours


def parse_date_time(day: str | None, clock: str | None) -> datetime:
    """``"2020-12-11"``, ``"19:00"`` -> datetime; today and 18:00 where not given.

    Raises
    ------
    InvalidInputError
        On a date not written ÅÅÅÅ-MM-DD or a time not written HH:MM.
    """
    try:
        d = date.fromisoformat(day) if day else date.today()
    except ValueError as exc:
        raise InvalidInputError(
            f"Ogiltigt datum {day!r}: skriv ÅÅÅÅ-MM-DD, t.ex. 2025-03-14."
        ) from exc
    try:
        t = datetime.strptime(clock or "18:00", "%H:%M").time()
    except ValueError as exc:
        raise InvalidInputError(f"Ogiltig tid {clock!r}: skriv TT:MM, t.ex. 19:30.") from exc
    return datetime.combine(d, t)


def opening_windows(
    hours: pd.Series, start: datetime, horizon_s: float
) -> tuple[list[np.ndarray | None], np.ndarray]:
    """Open intervals (seconds after ``start``) of each place within the horizon.

    Returns
    -------
    windows
        Per place an ``(k, 2)`` array of open intervals, or None when hours are not tagged
        or cannot be parsed (the place may be visited at any time).
    state
        Per place ``"taggade"``, ``"saknas"`` or ``"ogiltiga"`` (Swedish, for output).
    """
    import opening_hours

    end = start + timedelta(seconds=horizon_s)
    windows: list[np.ndarray | None] = []
    state = []
    for text in hours.tolist():  # one parse per place: the library has no batch call
        if not isinstance(text, str) or not text.strip():
            windows.append(None)
            state.append("saknas")
            continue
        try:
            parsed = opening_hours.OpeningHours(text)
            spans = [
                ((a - start).total_seconds(), (b - start).total_seconds())
                for a, b, s, _ in parsed.intervals(start, end)
                if s == opening_hours.State.OPEN
            ]
        except (opening_hours.ParserError, ValueError) as exc:  # type: ignore[attr-defined]  # not in its stub
            log.info("unparseable opening_hours %r: %s", text, exc)
            windows.append(None)
            state.append("ogiltiga")
            continue
        windows.append(np.asarray(spans, dtype=float).reshape(-1, 2))
        state.append("taggade")
    return windows, np.asarray(state, dtype=object)
