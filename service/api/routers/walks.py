"""Trygghetsvandringar: plan a loop, get its map, GPX and protocol, record findings."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlmodel import Session

from service.api.deps import (
    Access,
    FollowUpRead,
    FollowUpWrite,
    IdempotencyKey,
    InputModel,
    SessionDep,
    SettingsDep,
    file_response,
)
from service.followup.findings import check_near_route
from service.planning.walks import WalkRoute
from service.render.maps.assets import use_local_assets
from service.render.maps.walk import findings_map, walk_map
from service.render.protocol import render_protocol
from service.store.crud import (
    add_finding,
    finding_sent_before,
    findings_of,
    get_or_404,
    stored_route,
    update_finding,
)
from service.store.db import audit
from service.store.models import FindingRow, WalkRow
from service.usecases import WalkRequest, plan_walk_for_area

router = APIRouter(tags=["trygghetsvandringar"])


class WalkIn(InputModel):
    """Where and how long: a settlement in the municipality, or a centre and radius."""

    name: str = Field(default="", max_length=200)
    settlement: str | None = Field(default=None, max_length=80)
    center_lat: float | None = Field(default=None, ge=-90, le=90)
    center_lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float | None = Field(default=None, gt=0, le=20)
    length_km: float = Field(default=2.5, description="0,5–15 km")
    purpose: str = Field(
        default="allmän",
        max_length=20,
        description="belysning, krogmiljö, skolväg, centrum, allmän",
    )
    start_lat: float | None = Field(default=None, ge=-90, le=90)
    start_lon: float | None = Field(default=None, ge=-180, le=180)
    weights: str | None = Field(default=None, max_length=300, examples=["venue=3,unlit=1"])
    osm_file: str | None = Field(
        default=None, max_length=300, description="OSM file relative to the data directory"
    )


class FindingIn(InputModel):
    """A new finding; validated by the library model."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    category: str = Field(max_length=40)
    description: str = Field(min_length=1, max_length=5000)
    severity: int = Field(default=2, ge=1, le=5)
    responsible: str = Field(default="kommun", max_length=40)
    action: str = Field(default="", max_length=5000)


def store_planned_walk(
    session: Session, access: Access, route: WalkRoute, name: str, params: dict[str, Any]
) -> WalkRow:
    """Store a planned walk with its map, GPX and protocol (and an audit line); committed."""
    row = WalkRow(
        workspace_id=access.workspace.id or 0,
        name=name or route.title,
        length_km=route.length_km,
        params=params,
        summary={**route.to_json(), "attribution": route.attribution},
        geojson=route.to_geojson(),
        gpx=route.to_gpx(),
        protocol_html=render_protocol(route, title=name or None),
        map_html=use_local_assets(walk_map(route, tiles=None).get_root().render()),
    )
    session.add(row)
    session.flush()
    audit(session, username=access.user.username, action="create", entity="walk", entity_id=row.id)
    session.commit()
    return row


@router.post("/api/workspaces/{municipality}/walks", status_code=201)
def create_walk(
    municipality: str,
    body: WalkIn,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpWrite,
) -> dict[str, Any]:
    """Plan a walk loop and store it with its map, GPX and protocol."""
    workspace = access.workspace
    center = None if body.center_lat is None else (body.center_lat, body.center_lon)
    start = None if body.start_lat is None else (body.start_lat, body.start_lon)
    planned = plan_walk_for_area(
        WalkRequest(
            settlement=body.settlement,
            kommun=workspace.municipality_code if body.settlement else None,
            center=center,
            radius_km=body.radius_km,
            osm_file=settings.allowed_osm_file(body.osm_file),
            length_km=body.length_km,
            start=start,
            weights=body.weights,
            purpose=body.purpose,
            incidents_kommun=workspace.municipality_code,
        )
    )
    row = store_planned_walk(session, access, planned.route, body.name, body.model_dump())
    return {"id": row.id, "name": row.name, **row.summary}


@router.get("/api/walks/{walk_id}")
def read_walk(walk_id: int, session: SessionDep, _access: FollowUpRead) -> dict[str, Any]:
    """A stored walk: length, stops, route."""
    row = get_or_404(session, WalkRow, walk_id, "Vandring")
    return {"id": row.id, "name": row.name, **row.summary}


@router.get("/api/walks/{walk_id}/walk.geojson")
def walk_geojson(walk_id: int, session: SessionDep, _access: FollowUpRead) -> dict[str, Any]:
    """Route, numbered stops and unlit stretches as GeoJSON."""
    return get_or_404(session, WalkRow, walk_id, "Vandring").geojson


@router.get("/api/walks/{walk_id}/walk.gpx", responses=file_response("application/gpx+xml"))
def walk_gpx(walk_id: int, session: SessionDep, _access: FollowUpRead) -> Response:
    """Track and waypoints for GPS apps."""
    gpx = get_or_404(session, WalkRow, walk_id, "Vandring").gpx
    return Response(gpx, media_type="application/gpx+xml")


@router.get("/api/walks/{walk_id}/protokoll", response_class=HTMLResponse)
def walk_protocol(walk_id: int, session: SessionDep, _access: FollowUpRead) -> str:
    """The printable A4 protocol."""
    return get_or_404(session, WalkRow, walk_id, "Vandring").protocol_html


@router.get("/api/walks/{walk_id}/protokoll.pdf", responses=file_response("application/pdf"))
def walk_protocol_pdf(walk_id: int, session: SessionDep, _access: FollowUpRead) -> Response:
    """The protocol as PDF (WeasyPrint, no browser)."""
    from service.render.protocol import html_to_pdf

    html = get_or_404(session, WalkRow, walk_id, "Vandring").protocol_html
    return Response(html_to_pdf(html), media_type="application/pdf")


@router.get("/api/walks/{walk_id}/karta", response_class=HTMLResponse)
def walk_map_page(walk_id: int, session: SessionDep, _access: FollowUpRead) -> str:
    """The walk map (numbered stops, unlit stretches); assets served locally."""
    return get_or_404(session, WalkRow, walk_id, "Vandring").map_html


def record_finding(
    session: Session,
    access: Access,
    walk: WalkRow,
    fields: dict[str, Any],
    key: str | None = None,
) -> FindingRow:
    """Check that a finding lies within 1 km of the walk's route, add it and audit it.

    ``key`` is the sender's ``Idempotency-Key``, stored with the finding; the caller has
    asked :func:`~service.store.crud.finding_sent_before` first. Flushed, not committed: the
    caller commits (after storing photos, say).
    """
    check_near_route(fields["lat"], fields["lon"], stored_route(walk).coords_wgs84)
    row = add_finding(session, walk, fields, key)
    audit(
        session, username=access.user.username, action="create", entity="finding", entity_id=row.id
    )
    return row


@router.post(
    "/api/walks/{walk_id}/findings",
    status_code=201,
    responses={200: {"description": "Sent before with this Idempotency-Key: the stored one"}},
)
def create_finding(
    walk_id: int,
    body: FindingIn,
    session: SessionDep,
    access: FollowUpWrite,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    """Record a finding made on the walk (201).

    Send an ``Idempotency-Key`` header (a new random key per finding, the same on every
    retry): a finding sent again with its key on the same walk answers 200 with the finding
    stored the first time, and nothing is stored again. A key already used on another walk
    answers 409.
    """
    walk = get_or_404(session, WalkRow, walk_id, "Vandring")
    earlier = finding_sent_before(session, walk, idempotency_key)
    if earlier is not None:
        response.status_code = status.HTTP_200_OK
        return earlier.model_dump(mode="json")
    row = record_finding(session, access, walk, body.model_dump(), idempotency_key)
    session.commit()
    return row.model_dump(mode="json")


@router.patch("/api/findings/{finding_id}")
def edit_finding(
    finding_id: int, changes: dict[str, Any], session: SessionDep, access: FollowUpWrite
) -> dict[str, Any]:
    """Follow up a finding: responsible, action, deadline, status (öppen, planerad, åtgärdad)."""
    row = update_finding(session, finding_id, changes)
    audit(
        session,
        username=access.user.username,
        action="update",
        entity="finding",
        entity_id=finding_id,
        detail=changes,
    )
    session.commit()
    return row.model_dump(mode="json")


@router.get("/api/walks/{walk_id}/findings")
def list_findings(walk_id: int, session: SessionDep, _access: FollowUpRead) -> list[dict[str, Any]]:
    """A walk's findings."""
    get_or_404(session, WalkRow, walk_id, "Vandring")
    return [f.model_dump(mode="json") for f in findings_of(session, walk_id)]


@router.get("/api/walks/{walk_id}/findings.csv", responses=file_response("text/csv"))
def findings_csv(walk_id: int, session: SessionDep, _access: FollowUpRead) -> Response:
    """Findings as CSV."""
    get_or_404(session, WalkRow, walk_id, "Vandring")
    return Response(findings_of(session, walk_id).to_csv(), media_type="text/csv; charset=utf-8")


@router.get("/api/walks/{walk_id}/findings.geojson")
def findings_geojson(walk_id: int, session: SessionDep, _access: FollowUpRead) -> dict[str, Any]:
    """Findings as GeoJSON."""
    get_or_404(session, WalkRow, walk_id, "Vandring")
    return findings_of(session, walk_id).to_geojson()


@router.get("/api/walks/{walk_id}/findings/karta", response_class=HTMLResponse)
def findings_map_page(walk_id: int, session: SessionDep, _access: FollowUpRead) -> str:
    """The follow-up map: findings coloured by status."""
    walk = get_or_404(session, WalkRow, walk_id, "Vandring")
    fmap = findings_map(findings_of(session, walk_id), stored_route(walk), tiles=None)
    return use_local_assets(fmap.get_root().render())
