"""Database tables (SQLModel). Persistence logic lives in :mod:`service.store.db`.

Coordinates are stored in WGS 84; geometry-rich objects (routes, plans) as GeoJSON text so
the same schema works on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


#: Roles a user can hold in a municipality workspace (see ``service.api.deps.require_role``).
ROLES = ("admin", "polis", "kommun", "läsare")


class User(SQLModel, table=True):
    """An account. What it may see and do comes only from its memberships."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    username: str = Field(index=True, unique=True, max_length=80)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """A user's role in a municipality workspace (one row per role held)."""

    __table_args__ = (UniqueConstraint("user_id", "workspace_id", "role"),)
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    user_id: int = Field(foreign_key="user.id", index=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    role: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token (sha-256 at rest): a sign-in session or a named API key."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(index=True, unique=True, max_length=64)
    name: str = Field(default="", max_length=80)
    kind: str = Field(default="session", max_length=20)  # session, key
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = Field(default=None, index=True)


class Workspace(SQLModel, table=True):
    """A municipality workspace: everything a kommun and its LPO plan together."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    municipality_code: str = Field(index=True, unique=True, max_length=4)
    municipality_name: str = Field(max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class PromiseRow(SQLModel, table=True):
    """A medborgarlöfte for a period."""

    __tablename__ = "promise"
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    title: str = Field(default="", max_length=300)
    warnings: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    period_start: date | None = None
    period_end: date | None = None
    partners: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    follow_up: list[Any] = Field(default_factory=list, sa_column=Column(JSON))
    source_text: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ActivityRow(SQLModel, table=True):
    """A promised activity, drafted by the parser and edited by a planner."""

    __tablename__ = "activity"
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    promise_id: int = Field(foreign_key="promise.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=40)
    count_min: int | None = None
    per: str | None = Field(default=None, max_length=20)
    responsible: str = Field(default="both", max_length=20)
    places: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    spread_municipality: bool = False
    focus: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    heading: str | None = Field(default=None, max_length=300)
    source: str = ""
    # Why the parser read it so (kind, count, responsible), for the planner's review.
    explanation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class CheckpointPlan(SQLModel, table=True):
    """A run of the checkpoint planner: parameters, status, chosen sites and metrics."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    promise_id: int | None = Field(default=None, foreign_key="promise.id")
    status: str = Field(default="queued", max_length=20)  # queued, running, done, failed
    error: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    provenance: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    map_html: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None


class PlanSite(SQLModel, table=True):
    """A chosen checkpoint site (an operational secret)."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    plan_id: int = Field(foreign_key="checkpointplan.id", index=True, ondelete="CASCADE")
    site_key: str = Field(max_length=40)
    lat: float
    lon: float
    reason: str = ""
    road: str = ""
    road_km_covered: float = 0.0
    sector: str = Field(default="", max_length=80)


class ScheduledCheckpoint(SQLModel, table=True):
    """A planned checkpoint event: site, date and time block (an operational secret)."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    plan_id: int = Field(foreign_key="checkpointplan.id", index=True, ondelete="CASCADE")
    site_id: int = Field(foreign_key="plansite.id", index=True)
    start: datetime
    end: datetime
    block: str = Field(default="", max_length=20)
    joint: bool = False


class ExecutedActivity(SQLModel, table=True):
    """Something that was actually done: a held checkpoint, walk, inspection or visit."""

    __table_args__ = (UniqueConstraint("source", "external_id"),)
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    kind: str = Field(default="traffic_control", max_length=40)
    happened_at: datetime = Field(index=True)
    lat: float | None = None
    lon: float | None = None
    place: str = ""
    settlement: str = ""
    controlled_drivers: int = Field(default=0, ge=0)
    suspected_dui: int = Field(default=0, ge=0)
    fines: int = Field(default=0, ge=0)
    source: str = Field(default="manual", max_length=20)  # manual, polisen
    external_id: str | None = Field(default=None, max_length=80)


class WalkRow(SQLModel, table=True):
    """A planned or held trygghetsvandring, with its rendered outputs."""

    __tablename__ = "walk"
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    name: str = Field(default="", max_length=200)
    walk_date: date | None = None
    length_km: float = 0.0
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    geojson: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    gpx: str = ""
    protocol_html: str = ""
    map_html: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class FindingRow(SQLModel, table=True):
    """An observation from a walk and its follow-up (the fields of ``findings.Finding``)."""

    __tablename__ = "finding"
    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    walk_id: int = Field(foreign_key="walk.id", index=True, ondelete="CASCADE")
    lat: float
    lon: float
    category: str = Field(max_length=40)
    description: str = ""
    severity: int = Field(default=2, ge=1, le=5)
    responsible: str = Field(default="kommun", max_length=40)
    action: str = ""
    deadline: date | None = None
    status: str = Field(default="öppen", max_length=20)  # öppen, planerad, åtgärdad
    created: date = Field(default_factory=date.today)
    updated: date = Field(default_factory=date.today)
    #: The sender's ``Idempotency-Key``: a resent finding returns this row, not a second one.
    idempotency_key: str | None = Field(default=None, unique=True, index=True, max_length=100)


class AuditEntry(SQLModel, table=True):
    """Who changed what, when."""

    id: int = Field(default=None, primary_key=True)  # set when the row is flushed
    at: datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(max_length=80)
    action: str = Field(max_length=20)  # create, update, delete
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
