"""Tables of the planner's workplace: site field names and what happened to scheduled events.

Kept apart from :mod:`service.store.models` so the workplace can grow without touching the
core tables; registered with the same SQLModel metadata (migrations see them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from service.store.models import utcnow


class SiteLabel(SQLModel, table=True):
    """The field name of a plan site: road designation, road name, nearest settlement."""

    site_id: int = Field(foreign_key="plansite.id", primary_key=True, ondelete="CASCADE")
    road_ref: str = Field(default="", max_length=80)
    road_name: str = Field(default="", max_length=200)
    settlement: str | None = Field(default=None, max_length=120)


class PlanLayers(SQLModel, table=True):
    """Roads within and beyond reach of a plan's sites (simplified GeoJSON, WGS 84)."""

    plan_id: int = Field(foreign_key="checkpointplan.id", primary_key=True, ondelete="CASCADE")
    covered: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    uncovered: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    #: The planner's candidate sites, ``[lon, lat, road]`` each (None for older plans).
    candidates: list[Any] | None = Field(default=None, sa_column=Column(JSON))


class EventOutcome(SQLModel, table=True):
    """A scheduled checkpoint marked done (with the actual time), cancelled or moved."""

    event_id: int = Field(
        foreign_key="scheduledcheckpoint.id", primary_key=True, ondelete="CASCADE"
    )
    status: str = Field(max_length=20)  # done, cancelled, moved
    actual_at: datetime | None = None
    executed_id: int | None = Field(default=None, foreign_key="executedactivity.id")
    username: str = Field(default="", max_length=80)
    at: datetime = Field(default_factory=utcnow)


class NoticeMatch(SQLModel, table=True):
    """A planner's confirmation that a Polisen notice was a checkpoint of the plan."""

    executed_id: int = Field(
        foreign_key="executedactivity.id", primary_key=True, ondelete="CASCADE"
    )
    plan_id: int = Field(foreign_key="checkpointplan.id", index=True, ondelete="CASCADE")
    site_number: int
    username: str = Field(default="", max_length=80)
    at: datetime = Field(default_factory=utcnow)
