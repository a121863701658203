"""Public endpoints: promise progress and executed work, aggregated and delayed.

Nothing here reads planned sites or scheduled events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter

from geodata.municipalities import find_municipality
from service.api.deps import SessionDep, SettingsDep
from service.followup.progress import public_aggregate
from service.store import crud
from service.store.crud import executed_points

router = APIRouter(prefix="/api/public", tags=["publikt"])


@router.get("/{municipality}/executed")
def public_executed(
    municipality: str, session: SessionDep, settings: SettingsDep
) -> dict[str, object]:
    """Executed activities counted per settlement or hexagon, after the public delay."""
    found = find_municipality(municipality)
    delay = timedelta(hours=settings.public_delay_hours)
    return {
        "municipality": {"code": found.code, "name": found.name},
        "delay_hours": settings.public_delay_hours,
        **_public_areas(executed_points(session, found.code), delay),
        "attribution": "Källa: Polisen och kommunen, via Löftesplan",
    }


def _public_areas(executed: list, delay: timedelta) -> dict[str, object]:
    aggregate = public_aggregate(executed, datetime.now(UTC), delay)
    return {"areas": aggregate.areas, "unplaced": aggregate.unplaced}


@router.get("/{municipality}/progress")
def promise_progress(
    municipality: str, session: SessionDep, settings: SettingsDep
) -> dict[str, object]:
    """Each promise's activities: promised minimum, done so far (after the delay), status."""
    found = find_municipality(municipality)
    return {
        "municipality": {"code": found.code, "name": found.name},
        "promises": crud.public_progress(session, found.code, settings.public_delay_hours),
    }
