"""Polisen's event notices as executed work: the one conversion every caller uses.

``loftesplan followup --archive``, the store's import (``crud.import_police_events``), the
live poll and the national aggregate builder all turn notices into
:class:`~service.followup.progress.ExecutedPoint` records here, so a notice is placed and
counted the same way everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from geodata.events import PoliceEvent, geocode_events
from service.followup.progress import (
    ExecutedPoint,
    PromisedActivity,
    PromiseProgress,
    promise_progress,
)
from service.followup.spread import (
    DEFAULT_RADIUS_M,
    ExecutedSpread,
    cached_road_network,
    executed_spread,
    population_by_code,
)

#: Polisen's event types that record an activity of a promise kind.
POLISEN_EVENT_KINDS = {"Trafikkontroll": "traffic_control"}


@dataclass(frozen=True)
class PlacedNotice:
    """A notice with the executed record made from it and its metric point (or None)."""

    event: PoliceEvent
    record: ExecutedPoint
    x: float | None
    y: float | None
    level: str


def _number(value: object) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def place_notices(events: Iterable[PoliceEvent], municipality_code: str) -> list[PlacedNotice]:
    """Geocode the notices of one municipality that record promised work.

    Only notices of a type in :data:`POLISEN_EVENT_KINDS` are kept. The place is read from
    the notice text (never Polisen's fixed point for the municipality); a notice whose text
    names no place is kept with no place ("ej platsbestämd").
    """
    chosen = [e for e in events if e.type in POLISEN_EVENT_KINDS]
    if not chosen:
        return []
    placed: gpd.GeoDataFrame = geocode_events(chosen, municipality_code)
    out = []
    for i, event in enumerate(chosen):
        row = placed.iloc[i]
        level = str(row["level"])
        located = level not in ("municipality", "unresolved", "features")
        settlement = str(row["name"] or "") if level == "settlement" else ""
        geom = placed.geometry.iloc[i]
        has_point = located and geom is not None and not geom.is_empty
        record = ExecutedPoint(
            kind=POLISEN_EVENT_KINDS[event.type],
            happened_at=event.datetime,
            lat=_number(row["lat"]) if has_point else None,
            lon=_number(row["lon"]) if has_point else None,
            settlement=settlement[:80],
            place=event.summary[:300],
        )
        out.append(
            PlacedNotice(
                event,
                record,
                float(geom.x) if has_point else None,
                float(geom.y) if has_point else None,
                level,
            )
        )
    return out


@dataclass(frozen=True)
class ArchiveFollowUp:
    """A promise followed up against Polisen's notices: progress and executed spread."""

    municipality_code: str
    progress: PromiseProgress
    spread: ExecutedSpread
    notices: int
    source: str

    def to_json(self) -> dict[str, Any]:
        """The exact shape of ``loftesplan followup --json``."""
        start, end = self.progress.period
        spread = self.spread.to_dict()
        return {
            "period": {
                "start": None if start is None else start.isoformat(),
                "end": None if end is None else end.isoformat(),
            },
            "activities": [
                {"kind": a.kind, "count_min": a.count_min, "done": a.done, "status": a.status}
                for a in self.progress.activities
            ],
            "unplaced": self.progress.unplaced,
            "spread": {
                key: spread[key]
                for key in (
                    "settlements_reached",
                    "settlements_total",
                    "population_share",
                    "farthest_unreached_km",
                )
            },
        }


def archive_follow_up(
    activities: Sequence[PromisedActivity],
    municipality: str,
    period: tuple[date | None, date | None],
    archive: str | Path | None = None,
    today: date | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
) -> ArchiveFollowUp:
    """Follow a promise up against Polisen's notices in an archive (default the shared one).

    Only notices inside ``period`` are read and placed; a promise without a complete period
    counts nothing (its activities get "period saknas").
    """
    from geodata.events import read_archive
    from geodata.municipalities import find_municipality, settlements

    found = find_municipality(municipality)
    start, end = period
    placed: list[PlacedNotice] = []
    source = str(archive or "")
    if start is not None and end is not None:
        events = read_archive(
            archive,
            found.code,
            types=list(POLISEN_EVENT_KINDS),
            since=start,
            until=end + timedelta(days=1),
        )
        source = events.source
        placed = place_notices(events.events, found.code)
    now = datetime.now(UTC)
    progress = promise_progress(
        activities, period, [p.record for p in placed], now, today or now.date()
    )
    counted = {id(r) for r in progress.counted}
    xy = np.array(
        [(p.x, p.y) for p in placed if id(p.record) in counted and p.x is not None],
        dtype=float,
    ).reshape(-1, 2)
    spread = executed_spread(
        xy,
        settlements(found.code),
        population_by_code().get(found.code),
        radius_m,
        network=cached_road_network(found.code),  # along roads when the network is cached
    )
    return ArchiveFollowUp(found.code, progress, spread, len(placed), source)
