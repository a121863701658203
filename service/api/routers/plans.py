"""Checkpoint plans (operational secrets): plan as a background job, schedule, export, map.

Every endpoint here needs a planner token; nothing here is reachable from the public API.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field, model_validator
from sqlmodel import Session

from geodata.errors import InvalidInputError
from service.api.deps import (
    InputModel,
    SecretAccess,
    SessionDep,
    SettingsDep,
    check_date_range,
    file_response,
)
from service.planning.field import STATUS_SV
from service.planning.schedule import Campaign, SchedulePolicy
from service.render.exports import (
    overview_sketch,
    plan_geopackage,
    schedule_csv,
    schedule_ics,
    sites_gpx,
)
from service.settings import Settings
from service.store.crud import (
    ConflictError,
    NotFoundError,
    coverage_request,
    get_or_404,
    plan_sites,
    replace_schedule,
    schedule_of,
)
from service.store.db import audit
from service.store.jobs import reset_for_retry
from service.store.models import CheckpointPlan, PromiseRow, Workspace
from service.store.workplace import field_events, field_sites, stored_road_layers

router = APIRouter(tags=["kontrollplaner"])


class PlanIn(InputModel):
    """What to plan: K sites with a reach, on the municipality or a given area."""

    count: int = Field(ge=1, le=2000)
    radius_km: float | None = Field(default=None, gt=0, le=200)
    radius_min: float | None = Field(default=None, gt=0, le=240)
    osm_file: str | None = Field(
        default=None, max_length=300, description="OSM file relative to the data directory"
    )
    boundary: dict[str, Any] | None = Field(default=None, description="GeoJSON polygon (WGS 84)")
    whole_file: bool = Field(default=False, description="Plan over the OSM file's own extent")
    min_separation_km: float | None = Field(default=None, gt=0, le=100)
    weighting: Literal["length", "class", "population"] = "length"
    network: Literal["road", "snowmobile", "track"] = Field(
        default="road", description="road, or terrain: snowmobile trails or forest tracks"
    )
    exact: bool = False
    seed: int = Field(default=0, ge=0, le=2**31)
    promise_id: int | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _one_radius(self) -> PlanIn:
        if (self.radius_km is None) == (self.radius_min is None):
            raise ValueError("ange exakt en av radius_km och radius_min")
        return self


#: The longest schedule period (promises run one to three years).
MAX_SCHEDULE_DAYS = 3 * 366


class CampaignIn(InputModel):
    """A period with extra weight, e.g. a national traffic safety week."""

    name: str = Field(min_length=1, max_length=80)
    start: date
    end: date
    weight: float = Field(default=3.0, ge=0.01, le=100)


class ScheduleIn(InputModel):
    """Spread ``count`` checkpoint events over a period at the plan's sites.

    Limits: the period lies within 2000–2099 and is at most three years long; weights are
    0 (never) or between 0.01 and 100.
    """

    count: int = Field(ge=1, le=5000)
    start: date
    end: date
    seed: int = Field(default=0, ge=0, le=2**31)
    min_days_between_same_site: int = Field(default=14, ge=0, le=365)
    month_weights: dict[int, float] = Field(
        default_factory=dict, description="Vikt per månad 1–12 (saknad månad: 1)"
    )
    weekend_night_weight: float = Field(default=1.5, ge=0, le=100)
    campaigns: list[CampaignIn] = Field(
        default_factory=list, max_length=100, description="t.ex. trafiksäkerhetsveckor"
    )
    joint_dates: list[date] = Field(
        default_factory=list, max_length=1000, description="gemensamma insatser"
    )

    @model_validator(mode="after")
    def _limits(self) -> ScheduleIn:
        for moment, name in ((self.start, "start"), (self.end, "end")):
            check_date_range(moment, name)
        if self.end < self.start:
            raise ValueError("periodens slut ligger före dess start")
        if (self.end - self.start).days + 1 > MAX_SCHEDULE_DAYS:
            raise ValueError(f"perioden får vara högst {MAX_SCHEDULE_DAYS} dagar")
        weights = [*self.month_weights.values(), self.weekend_night_weight]
        if any(not 1 <= m <= 12 for m in self.month_weights):
            raise ValueError("månadsvikter gäller månad 1–12")
        if any(w != 0 and not 0.01 <= w <= 100 for w in weights):
            raise ValueError("en vikt är 0 eller mellan 0,01 och 100")
        if self.month_weights and all(
            self.month_weights.get(m, 1.0) == 0 for m in _months(self.start, self.end)
        ):
            raise ValueError("alla månader i perioden har vikt 0")
        for campaign in self.campaigns:
            if campaign.end < campaign.start:
                raise ValueError(f"kampanjen {campaign.name} slutar före sin start")
        return self

    def policy(self) -> SchedulePolicy:
        """The library policy for these settings."""
        return SchedulePolicy(
            month_weights=self.month_weights,
            weekend_night_weight=self.weekend_night_weight,
            campaigns=[Campaign(**c.model_dump()) for c in self.campaigns],
            min_days_between_same_site=self.min_days_between_same_site,
        )


def _months(start: date, end: date) -> set[int]:
    months: set[int] = set()
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month) and len(months) < 12:
        months.add(month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def start_plan(
    session: Session, workspace: Workspace, body: PlanIn, settings: Settings, username: str
) -> CheckpointPlan:
    """Store a queued plan; the caller commits and submits it to the plan jobs.

    Raises
    ------
    InvalidInputError
        If the OSM file lies outside the data directory, or ``whole_file`` has no file.
    NotFoundError
        If the promise is not one of the workspace's.
    """
    osm_path = settings.allowed_osm_file(body.osm_file)
    if body.whole_file and osm_path is None:
        raise InvalidInputError("whole_file kräver en OSM-fil (osm_file).")
    if body.promise_id is not None:
        promise = get_or_404(session, PromiseRow, body.promise_id, "Medborgarlöfte")
        if promise.workspace_id != workspace.id:
            raise NotFoundError(f"Medborgarlöfte {body.promise_id} finns inte.")
    params = body.model_dump() | {"osm_file_path": str(osm_path) if osm_path else None}
    plan = CheckpointPlan(workspace_id=workspace.id, promise_id=body.promise_id, params=params)
    session.add(plan)
    session.flush()
    audit(session, username=username, action="create", entity="plan", entity_id=plan.id)
    return plan


@router.post("/api/workspaces/{municipality}/plans", status_code=202)
def create_plan(
    municipality: str,
    body: PlanIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    access: SecretAccess,
) -> dict[str, Any]:
    """Start planning checkpoints; poll ``GET /api/plans/{id}`` until ``status`` is done."""
    workspace = access.workspace
    plan = start_plan(session, workspace, body, settings, access.user.username)
    session.commit()
    request.app.state.plan_jobs.submit(plan.id, workspace.municipality_code)
    return {"id": plan.id, "status": plan.status}


@router.post("/api/plans/{plan_id}/retry", status_code=202)
def retry_plan(
    plan_id: int, request: Request, session: SessionDep, access: SecretAccess
) -> dict[str, Any]:
    """Run a failed plan again with the same parameters (e.g. after a restart)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    if plan.status != "failed":
        raise ConflictError(f"Bara en misslyckad plan kan startas om (status: {plan.status}).")
    reset_for_retry(request.app.state.engine, plan_id)
    audit(
        session,
        username=access.user.username,
        action="update",
        entity="plan",
        entity_id=plan_id,
        detail={"retry": True},
    )
    session.commit()
    request.app.state.plan_jobs.submit(plan_id, access.workspace.municipality_code)
    return {"id": plan_id, "status": "queued"}


@router.delete("/api/plans/{plan_id}", status_code=204)
def delete_plan(plan_id: int, session: SessionDep, access: SecretAccess) -> None:
    """Delete a plan that is not running, with its sites and schedule."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    if plan.status in ("queued", "running"):
        raise ConflictError(f"Planen körs (status: {plan.status}); vänta tills den är klar.")
    session.delete(plan)
    audit(session, username=access.user.username, action="delete", entity="plan", entity_id=plan_id)
    session.commit()


@router.get("/api/plans/{plan_id}")
def read_plan(plan_id: int, session: SessionDep, _access: SecretAccess) -> dict[str, Any]:
    """Status, parameters, metrics and sites of a plan."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan", deferred=("map_html",))
    return {
        "id": plan.id,
        "status": plan.status,
        "error": plan.error,
        "params": {k: v for k, v in plan.params.items() if k != "osm_file_path"},
        "metrics": plan.metrics,
        "provenance": plan.provenance,
        "sites": [s.model_dump() for s in plan_sites(session, plan_id)],
    }


@router.get("/api/plans/{plan_id}/sites.geojson")
def plan_geojson(plan_id: int, session: SessionDep, _access: SecretAccess) -> dict[str, Any]:
    """The chosen sites as GeoJSON points."""
    get_or_404(session, CheckpointPlan, plan_id, "Plan")
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                "properties": s.model_dump(exclude={"lat", "lon"}),
            }
            for s in plan_sites(session, plan_id)
        ],
    }


@router.get("/api/plans/{plan_id}/karta", response_class=HTMLResponse)
def plan_map(plan_id: int, session: SessionDep, _access: SecretAccess) -> str:
    """The planner's coverage map (assets served locally)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    if plan.status != "done":
        raise InvalidInputError(f"Planen är inte klar (status: {plan.status}).")
    return plan.map_html


@router.get("/api/plans/{plan_id}/coverage")
def coverage(plan_id: int, session: SessionDep, _access: SecretAccess) -> dict[str, Any]:
    """Spread metrics of the planned sites and of the executed checkpoints, side by side."""
    from service.followup.spread import settlement_spread
    from service.usecases import measure_coverage

    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    request = coverage_request(session, plan)
    result = measure_coverage(request)
    out = {**result.to_json(), "executed_count": len(request.points["executed"])}
    if request.area is not None and request.area.code:
        # Settlements reached, planned versus executed: the public figure, same function.
        out["settlements"] = settlement_spread(request.area.code, request.points, result.network)
    return out


@router.post("/api/plans/{plan_id}/schedule", status_code=201)
def make_schedule(
    plan_id: int, body: ScheduleIn, session: SessionDep, access: SecretAccess
) -> list[dict[str, Any]]:
    """Draw dates and time blocks for the plan's sites (replaces an earlier schedule)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    rows = schedule_plan(session, plan, body, access.user.username)
    session.commit()
    return rows


def schedule_plan(
    session: SessionDep, plan: CheckpointPlan, body: ScheduleIn, username: str
) -> list[dict[str, Any]]:
    """Draw ``plan``'s schedule from ``body`` (replacing an earlier one) and audit it.

    Shared by the API and the workplace form; the caller commits.
    """
    rows = replace_schedule(
        session, plan, body.count, body.start, body.end, body.policy(), body.joint_dates, body.seed
    )
    audit(
        session,
        username=username,
        action="create",
        entity="schedule",
        entity_id=plan.id,
        detail={"count": body.count},
    )
    return rows


@router.get("/api/plans/{plan_id}/schedule")
def read_schedule(plan_id: int, session: SessionDep, _access: SecretAccess) -> list[dict[str, Any]]:
    """The scheduled events."""
    get_or_404(session, CheckpointPlan, plan_id, "Plan")
    return [e.__dict__ for e in schedule_of(session, plan_id)]


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _done_plan(session: SessionDep, plan_id: int) -> CheckpointPlan:
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    if plan.status != "done":
        raise InvalidInputError(f"Planen är inte klar (status: {plan.status}).")
    return plan


def _plan_name(session: SessionDep, plan: CheckpointPlan) -> str:
    workspace = session.get(Workspace, plan.workspace_id)
    return f"Kontrollplan {plan.id}, {workspace.municipality_name if workspace else ''}".strip(", ")


def _attribution(plan: CheckpointPlan) -> str:
    source = plan.provenance.get("attribution") or ""
    date = plan.provenance.get("data_date")
    return f"{source}, data {date}" if source and date else source


@router.get("/api/plans/{plan_id}/schedule.ics", responses=file_response("text/calendar"))
def schedule_ics_file(plan_id: int, session: SessionDep, _access: SecretAccess) -> Response:
    """The schedule for calendars (iCalendar, Europe/Stockholm, place and GEO per event)."""
    plan = _done_plan(session, plan_id)
    ics = schedule_ics(field_events(session, plan_id), _plan_name(session, plan), plan_id)
    return _download(ics, "text/calendar; charset=utf-8", f"kontrollplan-{plan_id}.ics")


@router.get("/api/plans/{plan_id}/schedule.csv", responses=file_response("text/csv"))
def schedule_csv_file(plan_id: int, session: SessionDep, _access: SecretAccess) -> Response:
    """The schedule for Excel (UTF-8 with BOM, semicolons, Swedish headers)."""
    _done_plan(session, plan_id)
    return _download(
        schedule_csv(field_events(session, plan_id)),
        "text/csv; charset=utf-8",
        f"kontrollplan-{plan_id}-schema.csv",
    )


@router.get("/api/plans/{plan_id}/sites.gpx", responses=file_response("application/gpx+xml"))
def sites_gpx_file(plan_id: int, session: SessionDep, _access: SecretAccess) -> Response:
    """The numbered sites as GPX waypoints for GPS apps."""
    plan = _done_plan(session, plan_id)
    gpx = sites_gpx(field_sites(session, plan_id), _plan_name(session, plan), _attribution(plan))
    return _download(gpx, "application/gpx+xml", f"kontrollplan-{plan_id}.gpx")


@router.get(
    "/api/plans/{plan_id}/plan.gpkg", responses=file_response("application/geopackage+sqlite3")
)
def plan_gpkg_file(plan_id: int, session: SessionDep, _access: SecretAccess) -> Response:
    """Sites and roads within/beyond reach as a GeoPackage for QGIS."""
    _done_plan(session, plan_id)
    layers = stored_road_layers(session, plan_id) or (None, None)
    gpkg = plan_geopackage(field_sites(session, plan_id), *layers)
    return _download(gpkg, "application/geopackage+sqlite3", f"kontrollplan-{plan_id}.gpkg")


@router.get("/api/plans/{plan_id}/faltparm", response_class=HTMLResponse)
def field_pack(
    plan_id: int, request: Request, session: SessionDep, _access: SecretAccess
) -> HTMLResponse:
    """A printable A4 field pack: overview map with numbered sites, then the timetable."""
    from service.api.routers.pages import templates

    plan = _done_plan(session, plan_id)
    sites = field_sites(session, plan_id)
    layers = stored_road_layers(session, plan_id) or (None, None)
    context = {
        "plan": plan,
        "title": _plan_name(session, plan),
        "sites": sites,
        "events": field_events(session, plan_id),
        "sketch": overview_sketch(sites, *layers),
        "attribution": _attribution(plan),
        "status_sv": STATUS_SV,
    }
    return templates.TemplateResponse(request, "arbetsyta/faltparm.html", context)
