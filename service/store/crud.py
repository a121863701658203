"""Entity-level persistence: library models in, table rows out (and back).

Routers call these; they never build rows themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from geodata.area import Area
from geodata.errors import InvalidInputError, LoftesplanError
from service.followup.findings import Finding, FindingCollection
from service.followup.progress import ExecutedPoint, PromisedActivity, promise_progress
from service.followup.promises import KIND_LABELS_SV, Activity, FollowUp, Partners, Promise
from service.planning.schedule import (
    LOCAL_TIME,
    ScheduledEvent,
    SchedulePolicy,
    schedule_checkpoints,
)
from service.store.db import get_row
from service.store.models import (
    ActivityRow,
    CheckpointPlan,
    ExecutedActivity,
    FindingRow,
    PlanSite,
    PromiseRow,
    ScheduledCheckpoint,
    WalkRow,
    Workspace,
)
from service.usecases import CoverageRequest

#: Activity kinds' Swedish labels looked up by the stored kind text.
_KIND_LABEL: dict[str, str] = {str(kind): label for kind, label in KIND_LABELS_SV.items()}
if TYPE_CHECKING:
    from geodata.events import PoliceEvent


class NotFoundError(LoftesplanError, LookupError):
    """A row that does not exist (404)."""

    status_code = 404


class ConflictError(LoftesplanError):
    """A request that does not fit the row's current state (409)."""

    status_code = 409


#: Row ids are 64-bit signed integers in SQLite and PostgreSQL (bigint).
MAX_ROW_ID = 2**63 - 1


def get_or_404(
    session: Session, model: type, row_id: int, label: str, deferred: Sequence[str] = ()
) -> Any:
    """A row by id, or a 404 the planner understands.

    ``deferred`` columns are read only if used (a done plan's map is megabytes of HTML).
    """
    # An id outside the integer column's range cannot exist; the driver would raise an
    # OverflowError (a 500) if asked for it.
    options = [defer(getattr(model, name)) for name in deferred]
    row = session.get(model, row_id, options=options) if 0 < row_id <= MAX_ROW_ID else None
    if row is None:
        raise NotFoundError(f"{label} {row_id} finns inte.")
    return row


def workspace_id_or_404(session: Session, model: Any, row_id: int, label: str) -> int:
    """The workspace id of a row by id, or the same 404 as :func:`get_or_404`.

    Reads that one column: the access check runs on every request naming a plan or a walk,
    and their rows carry maps and protocols of up to megabytes.
    """
    found = None
    if 0 < row_id <= MAX_ROW_ID:
        found = session.exec(select(model.workspace_id).where(model.id == row_id)).first()
    if found is None:
        raise NotFoundError(f"{label} {row_id} finns inte.")
    return int(found)


def save_promise(session: Session, workspace: Workspace, promise: Promise, text: str = "") -> int:
    """Store a (parsed or edited) promise with its activities; returns its id."""
    row = PromiseRow(
        workspace_id=workspace.id,
        title=promise.title or "",
        warnings=list(promise.warnings),
        period_start=promise.period_start,
        period_end=promise.period_end,
        partners=promise.partners.model_dump(),
        follow_up=jsonable_encoder(promise.follow_up),
        source_text=text,
    )
    session.add(row)
    session.flush()
    for activity in promise.activities:
        session.add(ActivityRow(promise_id=row.id, **activity.model_dump(mode="json")))
    session.flush()
    return row.id


def activities_of(session: Session, promise_id: int) -> list[ActivityRow]:
    """A promise's activities in stored order."""
    query = (
        select(ActivityRow)
        .where(col(ActivityRow.promise_id) == promise_id)
        .order_by(col(ActivityRow.id))
    )
    return list(session.exec(query))


def load_promise(session: Session, promise_id: int) -> dict[str, Any]:
    """A stored promise as JSON-ready data (the Promise fields plus ids)."""
    row = get_or_404(session, PromiseRow, promise_id, "Medborgarlöfte")
    workspace = get_row(session, Workspace, row.workspace_id)
    promise = Promise(
        municipality_code=workspace.municipality_code,
        municipality_name=workspace.municipality_name,
        period_start=row.period_start,
        period_end=row.period_end,
        partners=Partners(**row.partners),
        activities=[],
        follow_up=[FollowUp(**f) for f in row.follow_up],
        title=row.title or None,
        warnings=row.warnings,
    )
    data = promise.model_dump(mode="json")
    data["id"] = row.id
    data["activities"] = [
        {"id": a.id, **Activity.model_validate(a, from_attributes=True).model_dump(mode="json")}
        for a in activities_of(session, row.id)
    ]
    return data


def update_activity(session: Session, activity_id: int, changes: dict[str, Any]) -> ActivityRow:
    """Apply a planner's edits to an activity, validated through the library model."""
    row = get_or_404(session, ActivityRow, activity_id, "Aktivitet")
    current = Activity.model_validate(row, from_attributes=True).model_dump()
    edited = Activity.model_validate({**current, **changes}).model_dump(mode="json")
    for key, value in edited.items():
        setattr(row, key, value)
    promise = get_row(session, PromiseRow, row.promise_id)
    promise.updated_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    return row


def executed_of(session: Session, workspace_id: int) -> list[ExecutedActivity]:
    """Executed activities of a workspace, oldest first."""
    query = (
        select(ExecutedActivity)
        .where(col(ExecutedActivity.workspace_id) == workspace_id)
        .order_by(col(ExecutedActivity.happened_at))
    )
    return list(session.exec(query))


def executed_points(session: Session, municipality_code: str) -> list[ExecutedPoint]:
    """The public-relevant part of a municipality's executed activities, oldest first.

    Reads the seven columns only: every public answer recomputed after a write runs this, and
    building ORM objects for each row cost most of that (300 rows: ~7 ms, now ~1 ms).
    """
    row = ExecutedActivity
    query = (
        sa.select(
            col(row.kind),
            col(row.happened_at),
            col(row.lat),
            col(row.lon),
            col(row.settlement),
            col(row.place),
            col(row.activity_id),
        )
        .join(Workspace, col(Workspace.id) == col(row.workspace_id))
        .where(col(Workspace.municipality_code) == municipality_code)
        .order_by(col(row.happened_at))
    )
    return [ExecutedPoint(*r) for r in session.connection().execute(query)]


def workspace_promises(session: Session, municipality_code: str) -> list[PromiseRow]:
    """Promises stored for a municipality, newest period first."""
    query = (
        select(PromiseRow)
        .join(Workspace)
        .where(col(Workspace.municipality_code) == municipality_code)
        .order_by(col(PromiseRow.period_start).desc(), col(PromiseRow.id).desc())
    )
    return list(session.exec(query))


def progress_of(
    session: Session,
    promise: PromiseRow,
    executed: list[ExecutedPoint],
    until: datetime,
    today: date,
) -> dict[str, Any]:
    """Progress (JSON-ready, Swedish labels) of a stored promise within its period.

    ``activities`` has one row per promised activity; ``unplaced`` counts the records of the
    period that give no place; ``unmatched`` the records no activity claims, per kind.
    """
    rows = activities_of(session, promise.id)
    progress = promise_progress(
        [PromisedActivity(a.id, a.kind, a.count_min, a.per, tuple(a.places)) for a in rows],
        (promise.period_start, promise.period_end),
        executed,
        until,
        today,
    )
    return {
        "activities": [
            {
                "activity_id": p.activity_id,
                "kind": p.kind,
                "label": _KIND_LABEL.get(p.kind, p.kind),
                "count_min": p.count_min,
                "per": p.per,
                "promised": p.promised,
                "done": p.done,
                "expected_by_now": (
                    None if p.expected_by_now is None else round(p.expected_by_now, 1)
                ),
                "status": p.status,
            }
            for p in progress.activities
        ],
        "unplaced": progress.unplaced,
        "unmatched": [
            {"kind": k, "label": _KIND_LABEL.get(k, k), "count": n}
            for k, n in progress.unmatched.items()
        ],
    }


def import_police_events(
    session: Session,
    workspace: Workspace,
    archive: str | None = None,
    online: bool = False,
    events: Sequence[PoliceEvent] | None = None,
) -> dict[str, int]:
    """Store Polisen's ``Trafikkontroll`` notices as executed checkpoints, once each.

    The notices are read from ``archive`` (or polisen.se when ``online``), or given as
    ``events`` (the live poll's notices for the whole country: those of the workspace's
    municipality are kept). They are placed by :func:`service.followup.polisen.place_notices`,
    the one conversion the CLI, the national aggregate and the live poll use too.
    """
    from geodata.events import EventSet, in_municipality, load_events
    from geodata.municipalities import find_municipality
    from service.followup.polisen import POLISEN_EVENT_KINDS, place_notices

    if events is None:
        loaded = load_events(
            workspace.municipality_code,
            types=list(POLISEN_EVENT_KINDS),
            archive=archive,
            online=online,
        )
    else:
        name = find_municipality(workspace.municipality_code).name
        kept = [e for e in events if e.type in POLISEN_EVENT_KINDS and in_municipality(e, name)]
        loaded = EventSet(kept, source="polisen.se (direkt)")
    known = set(
        session.exec(
            select(ExecutedActivity.external_id).where(
                col(ExecutedActivity.source) == "polisen",
                col(ExecutedActivity.workspace_id) == workspace.id,
            )
        )
    )
    fresh = [e for e in loaded.events if str(e.id) not in known]
    for notice in place_notices(fresh, workspace.municipality_code):
        record = notice.record
        session.add(
            ExecutedActivity(
                workspace_id=workspace.id,
                kind=record.kind,
                happened_at=record.happened_at,
                lat=record.lat,
                lon=record.lon,
                place=record.place,
                settlement=record.settlement,
                source="polisen",
                external_id=str(notice.event.id),
            )
        )
    session.flush()
    return {"read": len(loaded.events), "added": len(fresh), "skipped_lines": loaded.skipped}


def finding_from_row(row: FindingRow) -> Finding:
    """The library's finding for a stored row (the row id becomes the finding id)."""
    data = row.model_dump(exclude={"id", "walk_id"})
    return Finding(id=str(row.id), walk_id=str(row.walk_id), **data)


#: An ``Idempotency-Key``: a ``crypto.randomUUID()``, or 8–100 letters, digits, ``-`` and ``_``.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,100}")


def finding_sent_before(session: Session, walk: WalkRow, key: str | None) -> FindingRow | None:
    """The finding stored earlier on ``walk`` with the sender's ``key`` (None: key new or absent).

    A key already used on another walk is refused (409) without naming that walk or finding;
    a key that is not 8–100 letters, digits, ``-`` or ``_`` is refused (422).
    """
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidInputError(
            "Idempotency-Key ska vara 8–100 tecken: bokstäver a–z, siffror, - och _.",
            field="idempotency_key",
        )
    row = session.exec(select(FindingRow).where(col(FindingRow.idempotency_key) == key)).first()
    if row is not None and row.walk_id != walk.id:
        raise ConflictError(
            "Idempotency-Key har redan använts för ett annat fynd; skicka fyndet med en ny nyckel."
        )
    return row


def add_finding(
    session: Session, walk: WalkRow, fields: dict[str, Any], key: str | None = None
) -> FindingRow:
    """Validate a new finding through the library model and store it with the sender's key."""
    finding = FindingCollection().add(walk_id=str(walk.id), **fields)
    row = FindingRow(
        walk_id=walk.id, idempotency_key=key, **finding.model_dump(exclude={"id", "walk_id"})
    )
    session.add(row)
    session.flush()
    return row


def update_finding(session: Session, finding_id: int, changes: dict[str, Any]) -> FindingRow:
    """Apply follow-up changes with the library's status rules."""
    row = get_or_404(session, FindingRow, finding_id, "Fynd")
    collection = FindingCollection([finding_from_row(row)])
    updated = collection.update(str(row.id), **changes)
    for key, value in updated.model_dump(exclude={"id", "walk_id"}).items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    return row


def findings_of(session: Session, walk_id: int) -> FindingCollection:
    """A walk's findings as a library collection (for export and maps)."""
    rows = session.exec(
        select(FindingRow).where(col(FindingRow.walk_id) == walk_id).order_by(col(FindingRow.id))
    )
    return FindingCollection(finding_from_row(r) for r in rows)


@dataclass(frozen=True)
class StoredRoute:
    """The parts of a planned walk that maps need, read back from the store."""

    start: tuple[float, float]  # lon, lat
    coords_wgs84: np.ndarray
    attribution: str


def stored_route(walk: WalkRow) -> StoredRoute:
    """A stored walk's loop for drawing under its findings."""
    summary = walk.summary
    return StoredRoute(
        start=(summary["start"]["lon"], summary["start"]["lat"]),
        coords_wgs84=np.asarray(summary["route"], dtype=float),
        attribution=summary.get("attribution", ""),
    )


def plan_sites(session: Session, plan_id: int) -> list[PlanSite]:
    """A plan's chosen sites in stored order."""
    query = select(PlanSite).where(col(PlanSite.plan_id) == plan_id).order_by(col(PlanSite.id))
    return list(session.exec(query))


def replace_schedule(
    session: Session,
    plan: CheckpointPlan,
    count: int,
    start: date,
    end: date,
    policy: SchedulePolicy,
    joint_dates: list[date],
    seed: int,
) -> list[dict[str, Any]]:
    """Draw a new schedule for the plan's sites and store it in place of the old one."""
    sites = plan_sites(session, plan.id)
    if plan.status != "done" or not sites:
        raise InvalidInputError(f"Planen har inga platser ännu (status: {plan.status}).")
    events = schedule_checkpoints(
        [s.site_key for s in sites],
        count,
        start,
        end,
        sectors=[s.sector or s.site_key for s in sites],
        policy=policy,
        joint_dates=joint_dates,
        seed=seed,
    )
    for old in session.exec(
        select(ScheduledCheckpoint).where(col(ScheduledCheckpoint.plan_id) == plan.id)
    ):
        session.delete(old)
    by_key = {s.site_key: s for s in sites}
    for e in events:
        session.add(
            ScheduledCheckpoint(
                plan_id=plan.id,
                site_id=by_key[e.site_id].id,
                start=e.start,
                end=e.end,
                block=e.block,
                joint=e.joint,
            )
        )
    session.flush()
    return [e.__dict__ for e in events]


def schedule_of(session: Session, plan_id: int) -> list[ScheduledEvent]:
    """The stored schedule as library events (for ICS and CSV export)."""
    rows = session.exec(
        select(ScheduledCheckpoint, PlanSite)
        .join(PlanSite, col(ScheduledCheckpoint.site_id) == col(PlanSite.id))
        .where(col(ScheduledCheckpoint.plan_id) == plan_id)
        .order_by(col(ScheduledCheckpoint.start))
    )
    return [
        ScheduledEvent(
            order=i,
            site_id=site.site_key,
            sector=site.sector,
            start=_local(event.start),
            end=_local(event.end),
            block=event.block,
            joint=event.joint,
        )
        for i, (event, site) in enumerate(rows, start=1)
    ]


def plan_area(plan: CheckpointPlan, municipality_code: str) -> Area | None:
    """The area a plan was made for (None: the OSM file's own extent)."""
    params = plan.params
    if params.get("boundary"):
        return Area.from_geojson(params["boundary"])
    if params.get("whole_file"):
        return None
    from geodata.municipalities import municipality_boundary

    return municipality_boundary(municipality_code)


def coverage_request(session: Session, plan: CheckpointPlan) -> CoverageRequest:
    """What to measure for a plan: its planned sites and the executed checkpoints in its area.

    Only the inputs: :func:`service.usecases.measure_coverage` loads the network and measures.
    """
    from service.planning.checkpoints import NETWORK_CHOICES

    if plan.status != "done":
        raise InvalidInputError(f"Planen är inte klar (status: {plan.status}).")
    workspace = get_row(session, Workspace, plan.workspace_id)
    area = plan_area(plan, workspace.municipality_code)
    params = plan.params
    network = params.get("network", "road")
    kind = NETWORK_CHOICES[network]
    planned = [(s.lon, s.lat) for s in plan_sites(session, plan.id)]
    executed = [
        (e.lon, e.lat)
        for e in executed_of(session, workspace.id)
        if e.kind == _EXECUTED_KIND[kind] and e.lat is not None and area_contains(area, e)
    ]
    return CoverageRequest(
        area=area,
        osm_file=params.get("osm_file_path"),
        network=network,
        radius_km=params.get("radius_km"),
        radius_min=params.get("radius_min"),
        points={"planned": planned, "executed": executed},
    )


_EXECUTED_KIND = {
    "drive": "traffic_control",
    "snowmobile": "terrain_surveillance",
    "track": "terrain_surveillance",
}


def area_contains(area: Area | None, activity: ExecutedActivity) -> bool:
    """Whether an executed activity lies in the plan's area (a file's extent takes all)."""
    if area is None:
        return True
    if activity.lon is None or activity.lat is None:
        return False
    return area.contains_lonlat(activity.lon, activity.lat, tolerance_m=1000)


def _local(moment: datetime) -> datetime:
    """Swedish local time; SQLite hands back naive UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LOCAL_TIME)


def public_progress(
    session: Session, municipality_code: str, delay_hours: int
) -> list[dict[str, Any]]:
    """Each stored promise with its activities' progress, counting work older than the delay."""
    now = datetime.now(UTC)
    until = now - timedelta(hours=delay_hours)
    executed = executed_points(session, municipality_code)
    return [
        {
            "id": p.id,
            "title": p.title,
            "period_start": p.period_start,
            "period_end": p.period_end,
            **progress_of(session, p, executed, until, now.date()),
        }
        for p in workspace_promises(session, municipality_code)
    ]
