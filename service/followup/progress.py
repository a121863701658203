"""Follow-up of a promise: what was done within the promise period against what was promised.

One function, :func:`promise_progress`, serves the API, the pages, the printable report and
``loftesplan followup``. Its rules:

* Only executed work dated inside the promise period (and before ``until``, the public delay)
  counts. A promise without a complete period says so (status "period saknas") and counts
  nothing rather than guessing.
* Each executed record is attributed to at most one promised activity: by kind first; among
  several activities of that kind, by a place match between the record's place and the
  activity's places; then by the planner's explicit choice (``ExecutedPoint.activity_id``);
  still undecided, the first of them that has not yet reached its minimum. Records that fit
  no activity are listed apart (``PromiseProgress.unmatched``); none is counted twice.
* Status words: before the period "ej påbörjad"; during it "i fas" or "efter" (done against
  the promised number spread evenly over the period); after it "uppfyllt" or "ej uppfyllt";
  an activity without a number "ingen miniminivå".
* Records with no place are counted for their activity but reported as "ej platsbestämda",
  never drawn as an area.

Public figures are aggregated (by settlement, else by H3 hexagon) and delayed: a planned site
or time never leaves the planner side, and an executed activity only shows once it is older
than the configured delay.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import h3

#: H3 resolution 7: cells of about 5 km², coarse enough not to reveal a checkpoint's spot.
PUBLIC_H3_RESOLUTION = 7
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")

STATUS_NOT_STARTED = "ej påbörjad"
STATUS_ON_TRACK = "i fas"
STATUS_BEHIND = "efter"
STATUS_MET = "uppfyllt"
STATUS_NOT_MET = "ej uppfyllt"
STATUS_NO_NUMBER = "ingen miniminivå"
STATUS_NO_PERIOD = "period saknas"
UNPLACED_LABEL = "ej platsbestämda"

#: Length in days of the units a promised number may be given per.
_PER_DAYS = {"year": 365.25, "term": 182.625, "month": 30.4375, "week": 7.0, "day": 1.0}


@dataclass(frozen=True)
class ExecutedPoint:
    """The public-relevant part of an executed activity.

    Attributes
    ----------
    kind
        Activity kind (``traffic_control`` ...).
    happened_at
        When it was done.
    lat, lon
        Where, when known (WGS 84).
    settlement
        The settlement it was done in, when known ("" otherwise).
    place
        The place as written (a notice's summary, a planner's note); used to match places.
    activity_id
        The promised activity a planner explicitly attributed it to, if any.
    """

    kind: str
    happened_at: datetime
    lat: float | None
    lon: float | None
    settlement: str
    place: str = ""
    activity_id: int | None = None

    @property
    def placed(self) -> bool:
        """Whether the record says where it happened (a settlement or a point)."""
        return bool(self.settlement) or (self.lat is not None and self.lon is not None)


@dataclass(frozen=True)
class PromisedActivity:
    """One promised activity as the follow-up needs it."""

    id: int | None
    kind: str
    count_min: int | None
    per: str | None = None
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActivityProgress:
    """Progress of one promised activity within the period.

    Attributes
    ----------
    promised
        The number promised over the whole period (``count_min`` times the number of years,
        months... when the text says "per år"); None without a number.
    expected_by_now
        The promised number spread evenly over the period up to today; None without one.
    unplaced
        Of ``done``, how many records give no place.
    """

    activity_id: int | None
    kind: str
    count_min: int | None
    per: str | None
    promised: int | None
    done: int
    expected_by_now: float | None
    status: str
    unplaced: int = 0

    @property
    def share_done(self) -> float | None:
        """Done as a share of the promised number."""
        return None if not self.promised else self.done / self.promised


@dataclass(frozen=True)
class PromiseProgress:
    """Every activity's progress, plus what was done that no activity claims."""

    period: tuple[date | None, date | None]
    activities: list[ActivityProgress]
    unmatched: dict[str, int] = field(default_factory=dict)
    unplaced: int = 0
    counted: list[ExecutedPoint] = field(default_factory=list)
    outside_period: int = 0

    @property
    def has_period(self) -> bool:
        """Whether the promise states both a start and an end."""
        return self.period[0] is not None and self.period[1] is not None


def promised_total(
    count_min: int | None, per: str | None, period: tuple[date | None, date | None]
) -> int | None:
    """The number promised over the whole period: "två per år" over three years is six."""
    start, end = period
    if count_min is None:
        return None
    if per not in _PER_DAYS or start is None or end is None or end < start:
        return count_min
    units = max(1, round(((end - start).days + 1) / _PER_DAYS[per]))
    return count_min * units


def status_of(
    promised: int | None,
    done: int,
    period: tuple[date | None, date | None],
    today: date,
) -> tuple[str, float | None]:
    """The Swedish status word and the number expected by ``today`` (pro rata)."""
    start, end = period
    if start is None or end is None or end < start:
        return STATUS_NO_PERIOD, None
    if not promised:
        return STATUS_NO_NUMBER, None
    days = (end - start).days + 1
    elapsed = min(max((today - start).days + 1, 0), days)
    expected = promised * elapsed / days
    if today < start:
        return STATUS_NOT_STARTED, expected
    if today > end:
        return (STATUS_MET if done >= promised else STATUS_NOT_MET), expected
    return (STATUS_ON_TRACK if done >= math.floor(expected) else STATUS_BEHIND), expected


def _words(text: str) -> set[str]:
    text = unicodedata.normalize("NFC", text).casefold()
    return {w for w in re.findall(r"[\wåäöéü]{4,}", text) if w not in _PLACE_STOPWORDS}


_PLACE_STOPWORDS = {"centrala", "hela", "kommunen", "kommun", "inom", "runt", "vid", "till"}


def _place_match(record: ExecutedPoint, activity: PromisedActivity) -> bool:
    if not activity.places:
        return False
    have = _words(f"{record.settlement} {record.place}")
    return any(_words(p) & have for p in activity.places)


def attribute(
    records: Iterable[ExecutedPoint], activities: Sequence[PromisedActivity]
) -> tuple[list[list[ExecutedPoint]], list[ExecutedPoint]]:
    """Give each record to at most one activity (kind, place, explicit choice, first short).

    Returns
    -------
    tuple
        Per activity (same order) the records attributed to it, and the records that fit none.
    """
    given: list[list[ExecutedPoint]] = [[] for _ in activities]
    unmatched: list[ExecutedPoint] = []
    totals = [
        a.count_min if a.count_min is not None else math.inf for a in activities
    ]  # "short of its minimum" uses the stated number
    for record in sorted(records, key=lambda r: _naive(r.happened_at)):
        candidates = [i for i, a in enumerate(activities) if a.kind == record.kind]
        if len(candidates) > 1:
            by_place = [i for i in candidates if _place_match(record, activities[i])]
            candidates = by_place or candidates
        if len(candidates) > 1 and record.activity_id is not None:
            chosen = [i for i in candidates if activities[i].id == record.activity_id]
            candidates = chosen or candidates
        if not candidates:
            unmatched.append(record)
            continue
        short = [i for i in candidates if len(given[i]) < totals[i]]
        given[(short or candidates)[0]].append(record)
    return given, unmatched


def promise_progress(
    activities: Iterable[PromisedActivity | tuple[int | None, str, int | None]],
    period: tuple[date | None, date | None],
    executed: Sequence[ExecutedPoint],
    until: datetime,
    today: date,
) -> PromiseProgress:
    """Progress of each promised activity from the executed work inside the period.

    Parameters
    ----------
    activities
        The promise's activities (``(id, kind, count_min)`` tuples are accepted too).
    period
        The promise period ``(start, end)``, both inclusive; either None counts nothing.
    executed
        Executed records of the municipality (any period; this function filters).
    until
        Records after this moment are not counted yet (the public delay).
    today
        The day the status is judged on.

    Returns
    -------
    PromiseProgress
    """
    acts = [
        a if isinstance(a, PromisedActivity) else PromisedActivity(a[0], a[1], a[2])
        for a in activities
    ]
    start, end = period
    in_period: list[ExecutedPoint] = []
    outside = 0
    if start is not None and end is not None:
        for record in executed:
            day = local_day(record.happened_at)
            if _naive(record.happened_at) > _naive(until):
                continue
            if start <= day <= end:
                in_period.append(record)
            else:
                outside += 1
    given, unmatched = attribute(in_period, acts)
    rows = []
    for activity, records in zip(acts, given, strict=True):
        promised = promised_total(activity.count_min, activity.per, period)
        status, expected = status_of(promised, len(records), period, today)
        rows.append(
            ActivityProgress(
                activity_id=activity.id,
                kind=activity.kind,
                count_min=activity.count_min,
                per=activity.per,
                promised=promised,
                done=len(records),
                expected_by_now=expected,
                status=status,
                unplaced=sum(1 for r in records if not r.placed),
            )
        )
    apart: dict[str, int] = {}
    for record in unmatched:
        apart[record.kind] = apart.get(record.kind, 0) + 1
    return PromiseProgress(
        period=period,
        activities=rows,
        unmatched=apart,
        unplaced=sum(1 for r in in_period if not r.placed),
        counted=in_period,
        outside_period=outside,
    )


@dataclass(frozen=True)
class PublicAggregate:
    """Executed work as the public sees it: counts per area, and how many gave no place."""

    areas: list[dict[str, object]]
    unplaced: int


def public_aggregate(
    executed: Iterable[ExecutedPoint], now: datetime, delay: timedelta
) -> PublicAggregate:
    """Executed activities older than ``delay``, counted by settlement or H3 cell.

    Nothing with a time or an exact point leaves this function: only the area, its kind of
    activity, a count and the month of the latest one. Records without a place are only
    counted (``unplaced``), never shown as an area.
    """
    cutoff = _naive(now - delay)
    groups: dict[tuple[str, str, str], list[ExecutedPoint]] = {}
    unplaced = 0
    for item in executed:
        if _naive(item.happened_at) > cutoff:
            continue
        if item.settlement:
            key = ("tätort", item.settlement, item.kind)
        elif item.lat is not None and item.lon is not None:
            cell = h3.latlng_to_cell(item.lat, item.lon, PUBLIC_H3_RESOLUTION)
            key = ("hexagon", cell, item.kind)
        else:
            unplaced += 1
            continue
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
    return PublicAggregate(out, unplaced)


def local_day(moment: datetime) -> date:
    """The Swedish calendar day of a moment (naive moments are UTC, as SQLite returns them)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(SWEDISH_TIME).date()


def _naive(moment: datetime) -> datetime:
    """Compare times as UTC wall clock (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
