"""Persistence of the workplace: site field names, road layers and the field view of a plan."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from sqlmodel import Session, col, select

from geodata.errors import InvalidInputError
from service.planning.field import (
    FieldEvent,
    FieldSite,
    NoticeProposal,
    name_sites,
    propose_notice_matches,
)
from service.store.crud import NotFoundError, _local, import_police_events, plan_sites
from service.store.db import get_row
from service.store.models import (
    CheckpointPlan,
    ExecutedActivity,
    PlanSite,
    ScheduledCheckpoint,
    Workspace,
    utcnow,
)
from service.store.workplace_models import EventOutcome, NoticeMatch, PlanLayers, SiteLabel

if TYPE_CHECKING:
    from geodata.events import PoliceEvent


def _text(value: Any) -> str | None:
    """An OSM tag value as text: simplified edges may carry a list of values."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        texts = [v for v in value if isinstance(v, str)]
        return ";".join(texts) if texts else None
    return None


def store_site_labels(
    session: Session,
    sites: Sequence[PlanSite],
    refs: Sequence[Any],
    names: Sequence[Any],
) -> None:
    """Name stored sites (road designation, road name, settlement) for the field exports."""
    labels = name_sites(
        [(s.lon, s.lat) for s in sites],
        [_text(r) for r in refs],
        [(_text(n) or "").split(";")[0] for n in names],
    )
    for site, (ref, name, town) in zip(sites, labels, strict=True):
        session.add(SiteLabel(site_id=site.id, road_ref=ref, road_name=name, settlement=town))


def store_road_layers(
    session: Session,
    plan_id: int,
    covered: Any,
    uncovered: Any,
    candidates: list[list[Any]] | None = None,
) -> None:
    """Keep the covered and uncovered roads (shapely, WGS 84) for GeoPackage and field pack.

    ``candidates`` (``[lon, lat, road]`` each) are the sites the planner could choose from,
    offered on the plan page when the planner adds a site.
    """
    session.add(
        PlanLayers(
            plan_id=plan_id,
            covered=json.loads(shapely.to_geojson(covered)),
            uncovered=json.loads(shapely.to_geojson(uncovered)),
            candidates=candidates,
        )
    )


def nearest_candidates(
    session: Session, plan_id: int, lat: float, lon: float, n: int = 10
) -> list[dict[str, Any]]:
    """The plan's ``n`` candidate sites nearest to a point, nearest first.

    Each is ``{"index", "lat", "lon", "road", "metres"}``; ``index`` names it in
    :func:`candidate_point`. Empty for plans stored before candidates were kept.
    """
    row = session.get(PlanLayers, plan_id)
    if row is None or not row.candidates:
        return []
    points = np.asarray([c[:2] for c in row.candidates], dtype=float)
    dlat = np.radians(points[:, 1] - lat)
    dlon = np.radians(points[:, 0] - lon) * np.cos(np.radians(lat))
    metres = 6_371_000.0 * np.hypot(dlat, dlon)
    order = np.argsort(metres, kind="stable")[:n]
    return [
        {
            "index": int(i),
            "lon": float(points[i, 0]),
            "lat": float(points[i, 1]),
            "road": str(row.candidates[i][2] or ""),
            "metres": float(metres[i]),
        }
        for i in order
    ]


def candidate_point(session: Session, plan_id: int, index: int) -> tuple[float, float]:
    """``(lon, lat)`` of candidate ``index`` of the plan.

    Raises
    ------
    InvalidInputError
        If the plan has no such candidate.
    """
    row = session.get(PlanLayers, plan_id)
    if row is None or not row.candidates or not 0 <= index < len(row.candidates):
        raise InvalidInputError("Den valda kandidaten finns inte i planen.")
    lon, lat = row.candidates[index][:2]
    return float(lon), float(lat)


def stored_road_layers(session: Session, plan_id: int) -> tuple[Any, Any] | None:
    """``(covered, uncovered)`` road geometries (shapely, WGS 84), or None for older plans."""
    row = session.get(PlanLayers, plan_id)
    if row is None:
        return None
    return (
        shapely.from_geojson(json.dumps(row.covered)),
        shapely.from_geojson(json.dumps(row.uncovered)),
    )


def field_sites(session: Session, plan_id: int) -> list[FieldSite]:
    """A plan's sites numbered 1..K in stored order, with their field names."""
    sites = plan_sites(session, plan_id)
    labels = {
        label.site_id: label
        for label in session.exec(
            select(SiteLabel).where(col(SiteLabel.site_id).in_([s.id for s in sites]))
        )
    }
    missing = [s for s in sites if s.id not in labels]
    if missing:  # plans made before sites were named: name them now, from what is stored
        store_site_labels(session, missing, [None] * len(missing), [s.road for s in missing])
        session.commit()
        return field_sites(session, plan_id)
    return [
        FieldSite(
            number=i,
            lat=s.lat,
            lon=s.lon,
            road_ref=labels[s.id].road_ref,
            road_name=labels[s.id].road_name,
            settlement=labels[s.id].settlement,
            reason=s.reason,
            road_km_covered=s.road_km_covered,
        )
        for i, s in enumerate(sites, start=1)
    ]


def field_events(session: Session, plan_id: int) -> list[FieldEvent]:
    """The plan's scheduled events in time order, each at its numbered site, with status."""
    by_id = {
        s.id: f
        for s, f in zip(plan_sites(session, plan_id), field_sites(session, plan_id), strict=True)
    }
    rows = session.exec(
        select(ScheduledCheckpoint, EventOutcome)
        .join(EventOutcome, col(EventOutcome.event_id) == col(ScheduledCheckpoint.id), isouter=True)
        .where(col(ScheduledCheckpoint.plan_id) == plan_id)
        .order_by(col(ScheduledCheckpoint.start), col(ScheduledCheckpoint.id))
    )
    return [
        FieldEvent(
            event_id=event.id,
            site=by_id[event.site_id],
            start=_local(event.start),
            end=_local(event.end),
            block=event.block,
            joint=event.joint,
            status=outcome.status if outcome else "planned",
        )
        for event, outcome in rows
    ]


#: The executed activity a done event of a plan on each network counts as.
_EXECUTED_KIND = {
    "road": "traffic_control",
    "snowmobile": "terrain_surveillance",
    "track": "terrain_surveillance",
}


def mark_event(
    session: Session,
    plan: CheckpointPlan,
    event_id: int,
    status: str,
    moment: datetime | None,
    username: str,
) -> EventOutcome:
    """Record what happened to a scheduled event.

    ``done`` (at ``moment``, default the planned start) becomes an executed activity that
    counts in the follow-up; ``cancelled`` withdraws it; ``moved`` shifts the event to
    ``moment`` keeping its length. Marking again replaces the earlier mark.

    Raises
    ------
    NotFoundError
        If the event is not in the plan.
    InvalidInputError
        If a done time lies in the future, or a move has no new time.
    """
    event = session.get(ScheduledCheckpoint, event_id)
    if event is None or event.plan_id != plan.id:
        raise NotFoundError(f"Tillfälle {event_id} finns inte i planen.")
    outcome = session.get(EventOutcome, event_id) or EventOutcome(event_id=event_id, status=status)
    if outcome.executed_id is not None and status != "done":
        old = session.get(ExecutedActivity, outcome.executed_id)
        outcome.executed_id = None
        session.add(outcome)
        session.flush()
        if old is not None and old.source == "plan":  # a confirmed notice stays a notice
            session.delete(old)
    outcome.actual_at = None
    if status == "done":
        when = moment or _local(event.start)
        if when > datetime.now(UTC) + timedelta(minutes=5):
            raise InvalidInputError("Tiden för en utförd kontroll kan inte ligga i framtiden.")
        site = get_row(session, PlanSite, event.site_id)
        label = session.get(SiteLabel, site.id)
        kept = session.get(ExecutedActivity, outcome.executed_id or 0)
        if kept is not None and kept.source != "plan":  # a confirmed notice already counts
            outcome.status, outcome.username, outcome.at = status, username, utcnow()
            outcome.actual_at = kept.happened_at
            session.add(outcome)
            session.flush()
            return outcome
        executed = kept or ExecutedActivity(
            workspace_id=plan.workspace_id,
            source="plan",
            external_id=f"plan{plan.id}-event{event_id}",
            happened_at=when.astimezone(UTC),
        )
        executed.activity_id = plan.params.get("activity_id")
        executed.kind = _EXECUTED_KIND.get(plan.params.get("network", "road"), "traffic_control")
        executed.happened_at = when.astimezone(UTC)
        executed.lat, executed.lon = site.lat, site.lon
        executed.place = site.road
        executed.settlement = (label.settlement if label else None) or ""
        session.add(executed)
        session.flush()
        outcome.executed_id = executed.id
        outcome.actual_at = when.astimezone(UTC)
    elif status == "moved":
        if moment is None:
            raise InvalidInputError("Ange den nya tiden för en flyttad kontroll.")
        length = event.end - event.start
        event.start, event.end = moment.astimezone(UTC), moment.astimezone(UTC) + length
        session.add(event)
    outcome.status = status
    outcome.username = username
    outcome.at = utcnow()
    session.add(outcome)
    session.flush()
    return outcome


#: Around a removed site, no site may be chosen within this distance (m).
REMOVED_SITE_RADIUS_M = 150.0


def write_version_files(params: dict[str, Any], workdir: Path) -> dict[str, Path]:
    """Write a version's fixed sites and exclusion area as GeoJSON; the planner's arguments."""
    out: dict[str, Path] = {}
    if params.get("fixed_points"):
        out["fixed"] = workdir / "fasta-platser.geojson"
        out["fixed"].write_bytes(fixed_points_file(params["fixed_points"]).getvalue())
    if params.get("exclude_points"):
        out["exclude"] = workdir / "borttagna-platser.geojson"
        out["exclude"].write_text(json.dumps(exclusion_area(params["exclude_points"])))
    return out


def fixed_points_file(points: list[list[float]]) -> io.BytesIO:
    """Locked and added sites (``[[lon, lat], ...]``) as a GeoJSON file for the planner."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
            }
            for lon, lat in points
        ],
    }
    return io.BytesIO(json.dumps(collection).encode("utf-8"))


def exclusion_area(points: list[list[float]]) -> dict[str, Any]:
    """Circles of ``REMOVED_SITE_RADIUS_M`` around removed sites, as a GeoJSON geometry."""
    import geopandas as gpd

    from geodata import WGS84, metric_crs_for

    lon, lat = points[0]
    crs = metric_crs_for(float(lon), float(lat))
    pts = gpd.GeoSeries(gpd.points_from_xy(*zip(*points, strict=True)), crs=WGS84).to_crs(crs)
    circles = pts.buffer(REMOVED_SITE_RADIUS_M).union_all()
    wgs = gpd.GeoSeries([circles], crs=crs).to_crs(WGS84).iloc[0]
    return json.loads(shapely.to_geojson(wgs))


def plan_version_params(
    plan: CheckpointPlan,
    sites: Sequence[FieldSite],
    locked: set[int],
    removed: set[int],
    added: list[tuple[float, float]],
) -> dict[str, Any]:
    """Parameters of the next version: locked and added sites fixed, removed ones excluded.

    Raises
    ------
    InvalidInputError
        If nothing changes, or more sites are fixed than the plan has.
    """
    if not (locked or removed or added):
        raise InvalidInputError("Lås, ta bort eller lägg till minst en plats först.")
    if locked & removed:
        raise InvalidInputError("En plats kan inte både låsas och tas bort.")
    fixed = [[s.lon, s.lat] for s in sites if s.number in locked] + [
        [lon, lat] for lon, lat in added
    ]
    if len(fixed) > int(plan.params["count"]):
        raise InvalidInputError(
            f"{len(fixed)} fasta platser men planen har bara {plan.params['count']} kontroller."
        )
    excluded = [[s.lon, s.lat] for s in sites if s.number in removed]
    root = plan.params.get("root_id") or plan.id
    return {
        **plan.params,
        "fixed_points": fixed,
        "exclude_points": [*plan.params.get("exclude_points", []), *excluded],
        "parent_id": plan.id,
        "root_id": root,
        "version": int(plan.params.get("version", 1)) + 1,
    }


def notice_proposals(session: Session, plan: CheckpointPlan) -> list[NoticeProposal]:
    """Stored Polisen notices that look like executed checkpoints of the plan, unconfirmed."""
    events = field_events(session, plan.id)
    if not events:
        return []
    start = min(e.start for e in events) - timedelta(days=1)
    end = max(e.end for e in events) + timedelta(days=1)
    confirmed = set(session.exec(select(NoticeMatch.executed_id)))
    notices = [
        (n.id, _local(n.happened_at), n.place, n.settlement)
        for n in session.exec(
            select(ExecutedActivity).where(
                ExecutedActivity.workspace_id == plan.workspace_id,
                ExecutedActivity.source == "polisen",
            )
        )
        if n.id not in confirmed
    ]
    return propose_notice_matches(field_sites(session, plan.id), notices, start, end)


def confirm_notice(
    session: Session, plan: CheckpointPlan, executed_id: int, site_number: int, username: str
) -> NoticeMatch:
    """Record that a notice was a checkpoint of the plan at site ``site_number``.

    A scheduled event at that site on the notice's date, not yet marked, is marked done with
    the notice as its executed activity (it is counted once: the notice already is one).
    """
    notice = session.get(ExecutedActivity, executed_id)
    if notice is None or notice.workspace_id != plan.workspace_id or notice.source != "polisen":
        raise NotFoundError(f"Händelse {executed_id} finns inte.")
    sites = field_sites(session, plan.id)
    if not 1 <= site_number <= len(sites):
        raise InvalidInputError(f"Planen har ingen plats {site_number}.")
    if session.get(NoticeMatch, executed_id) is not None:
        raise InvalidInputError("Händelsen är redan bekräftad.")
    match = NoticeMatch(
        executed_id=executed_id, plan_id=plan.id, site_number=site_number, username=username
    )
    session.add(match)
    day = _local(notice.happened_at).date()
    for event in field_events(session, plan.id):
        if event.site.number == site_number and event.start.date() == day:
            outcome = session.get(EventOutcome, event.event_id)
            if outcome is None:
                outcome = EventOutcome(event_id=event.event_id, status="done")
                outcome.actual_at, outcome.username = notice.happened_at, username
            elif outcome.status != "done":
                break  # cancelled or moved: the notice stands on its own
            by_hand = session.get(ExecutedActivity, outcome.executed_id or 0)
            outcome.executed_id = notice.id  # one executed activity per event: the notice
            session.add(outcome)
            session.flush()
            if by_hand is not None and by_hand.source == "plan":
                session.delete(by_hand)
            break
    session.flush()
    return match


def match_polled_notices(session: Session, events: Sequence[PoliceEvent]) -> dict[int, int]:
    """Store newly polled notices for every active checkpoint plan and propose matches.

    The background poll's counterpart of the import button: for each municipality with a
    finished plan that has a schedule, the notices of that municipality are stored (once
    each, by :func:`service.store.crud.import_police_events`), so the plan page proposes
    them to the planner like an import would.

    Returns
    -------
    dict
        Plan id -> number of open proposals after the poll.
    """
    scheduled = set(session.exec(select(ScheduledCheckpoint.plan_id).distinct()))
    plans = [
        p
        for p in session.exec(select(CheckpointPlan).where(CheckpointPlan.status == "done"))
        if p.id in scheduled
    ]
    for workspace_id in sorted({p.workspace_id for p in plans}):
        workspace = session.get(Workspace, workspace_id)
        if workspace is not None:
            import_police_events(session, workspace, events=events)
    return {p.id: len(notice_proposals(session, p)) for p in plans if p.id is not None}
