"""Executed activities: what was actually done (planner side, exact places and times)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from pydantic import Field, field_validator
from sqlmodel import col, select

from service.api.deps import InputModel, SecretAccess, SessionDep, check_date_range
from service.followup.promises import ActivityKind
from service.store.crud import NotFoundError, get_or_404, import_police_events
from service.store.db import audit, get_row
from service.store.executed import known_settlement
from service.store.models import ActivityRow, ExecutedActivity, PromiseRow

SWEDISH_TIME = ZoneInfo("Europe/Stockholm")

router = APIRouter(prefix="/api/workspaces/{municipality}/executed", tags=["utfört"])


class ExecutedIn(InputModel):
    """An executed activity as a planner records it.

    ``kind`` is one of the promise vocabulary's activity kinds; ``settlement`` is kept only
    when it is one of the municipality's settlements (else the activity is unplaced).
    """

    kind: ActivityKind = ActivityKind.traffic_control
    happened_at: datetime = Field(description="Mellan år 2000 och 2099; utan zon: svensk tid")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    place: str = Field(default="", max_length=300)
    settlement: str = Field(default="", max_length=80)
    activity_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    controlled_drivers: int = Field(default=0, ge=0, le=1_000_000)
    suspected_dui: int = Field(default=0, ge=0, le=1_000_000)
    fines: int = Field(default=0, ge=0, le=1_000_000)
    external_id: str | None = Field(default=None, max_length=80)

    @field_validator("happened_at")
    @classmethod
    def _swedish_time_if_naive(cls, value: datetime) -> datetime:
        # Planners type local times ("2024-05-01T21:00"); the store keeps aware datetimes.
        aware = value if value.tzinfo else value.replace(tzinfo=SWEDISH_TIME)
        check_date_range(value.date(), "happened_at")
        return aware


@router.post("", status_code=201)
def record_executed(
    municipality: str, body: ExecutedIn, session: SessionDep, access: SecretAccess
) -> ExecutedActivity:
    """Record an executed activity."""
    workspace = access.workspace
    if (body.lat is None) != (body.lon is None):
        raise HTTPException(422, "Ange både lat och lon, eller ingen av dem.")
    if body.activity_id is not None:
        activity = get_or_404(session, ActivityRow, body.activity_id, "Aktivitet")
        if get_row(session, PromiseRow, activity.promise_id).workspace_id != workspace.id:
            raise NotFoundError(f"Aktivitet {body.activity_id} finns inte i {municipality}.")
    fields = body.model_dump(mode="json") | {"happened_at": body.happened_at}
    fields["settlement"] = known_settlement(workspace.municipality_code, body.settlement)
    row = ExecutedActivity(workspace_id=workspace.id, source="manual", **fields)
    session.add(row)
    session.flush()
    audit(
        session, username=access.user.username, action="create", entity="executed", entity_id=row.id
    )
    session.commit()
    return row


@router.get("")
def list_executed(
    municipality: str, session: SessionDep, access: SecretAccess
) -> list[ExecutedActivity]:
    """All executed activities of a municipality, newest first."""
    workspace = access.workspace
    query = (
        select(ExecutedActivity)
        .where(col(ExecutedActivity.workspace_id) == workspace.id)
        .order_by(col(ExecutedActivity.happened_at).desc())
    )
    return list(session.exec(query))


@router.post("/import-polisen")
def import_polisen(
    municipality: str, session: SessionDep, access: SecretAccess, online: bool = False
) -> dict[str, int]:
    """Import Polisen's traffic-check notices for the municipality as executed checkpoints."""
    workspace = access.workspace
    counts = import_police_events(session, workspace, online=online)
    audit(
        session,
        username=access.user.username,
        action="create",
        entity="executed",
        entity_id=None,
        detail={"import": "polisen", **counts},
    )
    session.commit()
    return counts
