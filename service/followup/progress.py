"""Follow-up of a promise: what was done against what was promised, and what the public sees.

Public figures are aggregated (by settlement, else by H3 hexagon) and delayed: a planned site
or time never leaves the planner side, and an executed activity only shows once it is older
than the configured delay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import h3

#: H3 resolution 7: cells of about 5 km², coarse enough not to reveal a checkpoint's spot.
PUBLIC_H3_RESOLUTION = 7


@dataclass(frozen=True)
class ActivityProgress:
    """Progress of one promised activity."""

    activity_id: int | None
    kind: str
    count_min: int | None
    done: int
    expected_by_now: float | None
    status: str  # "klar", "i fas", "efter", "ingen miniminivå"

    @property
    def share_done(self) -> float | None:
        """Done as a share of the promised minimum."""
        return None if not self.count_min else self.done / self.count_min


def activity_progress(
    activity_id: int | None,
    kind: str,
    count_min: int | None,
    done: int,
    period: tuple[date | None, date | None],
    today: date,
) -> ActivityProgress:
    """Compare ``done`` with the promised minimum, pro rata over the period."""
    start, end = period
    expected = None
    if count_min and start and end and end >= start:
        elapsed = min(max((today - start).days + 1, 0), (end - start).days + 1)
        expected = count_min * elapsed / ((end - start).days + 1)
    if not count_min:
        status = "ingen miniminivå"
    elif done >= count_min:
        status = "klar"
    elif expected is None or done >= expected:
        status = "i fas"
    else:
        status = "efter"
    return ActivityProgress(activity_id, kind, count_min, done, expected, status)


@dataclass(frozen=True)
class ExecutedPoint:
    """The public-relevant part of an executed activity."""

    kind: str
    happened_at: datetime
    lat: float | None
    lon: float | None
    settlement: str


def public_aggregate(
    executed: Iterable[ExecutedPoint], now: datetime, delay: timedelta
) -> list[dict[str, object]]:
    """Executed activities older than ``delay``, counted by settlement or H3 cell.

    Nothing with a time or an exact point leaves this function: only the area, its kind of
    activity, a count and the month of the latest one.
    """
    cutoff = now - delay
    groups: dict[tuple[str, str, str], list[ExecutedPoint]] = {}
    for item in executed:
        if _naive(item.happened_at) > _naive(cutoff):
            continue
        if item.settlement:
            key = ("tätort", item.settlement, item.kind)
        elif item.lat is not None and item.lon is not None:
            cell = h3.latlng_to_cell(item.lat, item.lon, PUBLIC_H3_RESOLUTION)
            key = ("hexagon", cell, item.kind)
        else:
            key = ("kommun", "hela kommunen", item.kind)
        groups.setdefault(key, []).append(item)
    out: list[dict[str, object]] = []
    for (level, area, kind), items in sorted(groups.items()):
        entry: dict[str, object] = {
            "level": level,
            "area": area,
            "kind": kind,
            "count": len(items),
            "latest_month": max(_naive(i.happened_at) for i in items).strftime("%Y-%m"),
        }
        if level == "hexagon":
            entry["boundary"] = [[lon, lat] for lat, lon in h3.cell_to_boundary(area)]
        out.append(entry)
    return out


def count_done(executed: Sequence[ExecutedPoint], kind: str, until: datetime) -> int:
    """How many executed activities of ``kind`` happened up to ``until``."""
    return sum(1 for e in executed if e.kind == kind and _naive(e.happened_at) <= _naive(until))


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def promise_progress(
    activities: Iterable[tuple[int | None, str, int | None]],
    period: tuple[date | None, date | None],
    executed: Sequence[ExecutedPoint],
    until: datetime,
    today: date,
) -> list[ActivityProgress]:
    """Progress of each ``(id, kind, count_min)`` activity from the executed work up to ``until``.

    Executed work is counted by kind; when a promise has two activities of one kind, both
    see the same count (the record does not say which promise line it served).
    """
    return [
        activity_progress(aid, kind, count_min, count_done(executed, kind, until), period, today)
        for aid, kind, count_min in activities
    ]
