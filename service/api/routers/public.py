"""Public endpoints: promise progress and executed work, aggregated and delayed.

Nothing here reads planned sites or scheduled events.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter
from sqlmodel import select

from geodata.municipalities import find_municipality
from service.api.deps import SessionDep, SettingsDep
from service.followup import ExecutedPoint, public_aggregate
from service.models import ExecutedActivity, Workspace

router = APIRouter(prefix="/api/public", tags=["publikt"])


def _executed_points(session: SessionDep, code: str) -> list[ExecutedPoint]:
    workspace = session.exec(select(Workspace).where(Workspace.municipality_code == code)).first()
    if workspace is None:
        return []
    rows = session.exec(
        select(ExecutedActivity).where(ExecutedActivity.workspace_id == workspace.id)
    )
    return [ExecutedPoint(r.kind, r.happened_at, r.lat, r.lon, r.settlement) for r in rows]


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
        "areas": public_aggregate(_executed_points(session, found.code), datetime.now(UTC), delay),
        "attribution": "Källa: Polisen och kommunen, via Löftesplan",
    }
