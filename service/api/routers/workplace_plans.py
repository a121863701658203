"""Workplace pages for checkpoint plans: form, progress, result, schedule and field marks.

Everything here is an operational secret: every page and form needs the ``polis`` role in
the plan's workspace (:data:`service.api.deps.SecretAccess`).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import col

from geodata.errors import LoftesplanError
from service.api.deps import SecretAccess, SessionDep, SettingsDep
from service.api.routers.plans import PlanIn, ScheduleIn, schedule_plan, start_plan
from service.api.routers.workplace import page
from service.planning.field import STATUS_SV
from service.planning.schedule import LOCAL_TIME
from service.render.format import MONTHS
from service.store.crud import NotFoundError, get_or_404
from service.store.db import audit
from service.store.jobs import JOB_STEPS, PLAN_STEPS
from service.store.models import ActivityRow, CheckpointPlan, PromiseRow
from service.store.workplace import (
    candidate_point,
    field_events,
    field_sites,
    mark_event,
    nearest_candidates,
    notice_proposals,
    plan_version_params,
)

router = APIRouter(include_in_schema=False)

#: What each figure means, in one Swedish line.
FIGURES = (
    (
        "share_road_km_covered",
        "Andel väg inom räckhåll",
        "hur stor del av vägnätet som ligger inom räckhåll från någon kontroll",
        "pct",
    ),
    (
        "road_km_covered",
        "Väg inom räckhåll (km)",
        "vägkilometer som någon kontroll når inom radien",
        "km",
    ),
    (
        "largest_gap_km",
        "Största lucka (km)",
        "längsta vägavstånd från en väg till närmaste kontroll",
        "km",
    ),
    (
        "settlements_reached",
        "Tätorter nådda",
        "tätorter med en väg inom räckhåll från en kontroll",
        "int",
    ),
    (
        "share_population_covered",
        "Andel invånare nådda",
        "andel av tätorternas invånare som bor där en kontroll når",
        "pct",
    ),
    (
        "road_km_per_site_cv",
        "Jämnhet (variationskoefficient)",
        "hur ojämnt vägkilometrarna delas mellan kontrollerna; 0 är helt jämnt",
        "num",
    ),
    (
        "road_km_unreachable",
        "Väg utan kontroll i sitt nät (km)",
        "väg i delar av nätet som ingen kontroll kan nå",
        "km",
    ),
)


#: Swedish messages for the plan form's fields.
_PLAN_FIELD_MESSAGES = {
    "count": "Antalet kontroller ska vara ett heltal från 1 till 2 000.",
    "radius": "Ange räckhåll som ett tal större än 0 (högst 200 km eller 240 minuter).",
    "min_separation_km": "Minsta avstånd ska vara tomt eller ett tal större än 0 (km).",
    "osm_file": "Ange en OSM-fil i tjänstens datakatalog.",
}


def _activity_defaults(session: Any, activity_id: int | None, workspace_id: int) -> dict:
    if activity_id is None:
        return {}
    activity = session.get(ActivityRow, activity_id)
    if activity is None:
        return {}
    promise = session.get(PromiseRow, activity.promise_id)
    if promise is None or promise.workspace_id != workspace_id:
        return {}
    return {
        "activity_id": activity.id,
        "promise_id": promise.id,
        "count": activity.count_min or "",
        "spread": activity.spread_municipality,
        "activity_text": activity.source,
    }


@router.get("/arbetsyta/{municipality}/planer/ny", response_class=HTMLResponse)
def new_plan(
    request: Request,
    municipality: str,
    session: SessionDep,
    access: SecretAccess,
    aktivitet: int | None = None,
) -> HTMLResponse:
    """The plan form, prefilled from a promised activity."""
    values = {
        "count": "",
        "radius": "3",
        "unit": "km",
        "weighting": "length",
        "source": "kommun",
        "osm_file": "",
        "min_separation_km": "",
        "spread": False,
    }
    values |= _activity_defaults(session, aktivitet, access.workspace.id)
    context = {"workspace": access.workspace, "values": values, "errors": {}}
    return page(request, session, access.user, "plan_new.html", context)


def _plan_body(form: Any) -> tuple[PlanIn | None, dict[str, str], dict[str, Any]]:
    """The plan request from the form, or Swedish errors per field."""
    values = {k: str(v) for k, v in form.items()}
    errors: dict[str, str] = {}
    radius = values.get("radius", "").replace(",", ".").strip()
    unit = values.get("unit", "km")
    separation = values.get("min_separation_km", "").replace(",", ".").strip()
    source = values.get("source", "kommun")
    raw: dict[str, Any] = {
        "count": values.get("count", "").strip() or None,
        "radius_km": radius or None if unit == "km" else None,
        "radius_min": radius or None if unit == "min" else None,
        "min_separation_km": separation or None,
        "weighting": values.get("weighting", "length"),
        "osm_file": values.get("osm_file", "").strip() or None if source == "fil" else None,
        "whole_file": source == "fil" and values.get("whole_file") == "on",
        "promise_id": values.get("promise_id") or None,
    }
    if source == "fil" and not raw["osm_file"]:
        errors["osm_file"] = "Ange OSM-filens sökväg i datakatalogen."
    if not radius:
        errors["radius"] = _PLAN_FIELD_MESSAGES["radius"]
    try:
        body = PlanIn.model_validate(raw)
    except ValidationError as exc:
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "count"
            name = "radius" if name.startswith("radius") or not e["loc"] else name
            errors.setdefault(name, _PLAN_FIELD_MESSAGES.get(name, "Ogiltigt värde."))
        return None, errors, values
    return (None if errors else body), errors, values


@router.post("/arbetsyta/{municipality}/planer", response_model=None)
async def create_plan_page(
    request: Request,
    municipality: str,
    session: SessionDep,
    settings: SettingsDep,
    access: SecretAccess,
) -> Response:
    """Start the planning job and go to the plan page (which shows the progress)."""
    form = await request.form()
    body, errors, values = _plan_body(form)
    if body is not None:
        try:
            plan = start_plan(session, access.workspace, body, settings, access.user.username)
        except LoftesplanError as exc:
            errors["osm_file" if body.osm_file else "count"] = str(exc)
        else:
            if values.get("activity_id", "").isdigit():
                plan.params = {**plan.params, "activity_id": int(values["activity_id"])}
                session.add(plan)
            session.commit()
            request.app.state.plan_jobs.submit(plan.id, access.workspace.municipality_code)
            return RedirectResponse(f"/arbetsyta/plan/{plan.id}", status_code=303)
    context = {"workspace": access.workspace, "values": values, "errors": errors}
    return page(request, session, access.user, "plan_new.html", context)


@router.get("/arbetsyta/plan/{plan_id}/status")
def plan_status(plan_id: int, session: SessionDep, _access: SecretAccess) -> dict[str, Any]:
    """The job's status and current step, for the progress bar."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    last = len(PLAN_STEPS) - 1
    step, of, text = JOB_STEPS.get(plan_id, (0, last, PLAN_STEPS[0]))
    if plan.status in ("done", "failed"):
        step, text = last, "Klar" if plan.status == "done" else "Misslyckades"
    return {"status": plan.status, "step": step, "of": of, "text": text, "error": plan.error}


def _default_period(session: Any, plan: CheckpointPlan) -> tuple[date, date]:
    """The promise's period when it still lies ahead, else the coming twelve months."""
    today = datetime.now(LOCAL_TIME).date()
    promise = session.get(PromiseRow, plan.promise_id) if plan.promise_id else None
    if promise and promise.period_end and promise.period_end > today:
        return max(promise.period_start or today, today + timedelta(days=1)), promise.period_end
    return today + timedelta(days=1), today + timedelta(days=365)


def plan_page_with_errors(
    request: Request, session: Any, plan: CheckpointPlan, access: Any, errors: dict[str, str]
) -> Response:
    """The plan page again with a Swedish message beside each field in ``errors``."""
    context = _plan_context(session, plan, access) | {"errors": errors}
    return page(request, session, access.user, "plan.html", context)


def _plan_context(session: Any, plan: CheckpointPlan, access: Any) -> dict[str, Any]:
    sites = field_sites(session, plan.id) if plan.status == "done" else []
    events = field_events(session, plan.id) if plan.status == "done" else []
    months: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for e in events:
        months[(e.start.year, e.start.month)].append(e)
    start, end = _default_period(session, plan)
    versions = _versions(session, plan)
    activity = session.get(ActivityRow, plan.params.get("activity_id") or 0)
    return {
        "workspace": access.workspace,
        "plan": plan,
        "sites": sites,
        "figures": [
            (label, explanation, kind, plan.metrics.get(key))
            for key, label, explanation, kind in FIGURES
            if plan.metrics.get(key) is not None
        ],
        "months": [
            (f"{MONTHS[m - 1].capitalize()} {y}", rows) for (y, m), rows in sorted(months.items())
        ],
        "done": sum(e.status == "done" for e in events),
        "events": events,
        "status_sv": STATUS_SV,
        "schedule_defaults": {
            "count": (activity.count_min if activity and activity.count_min else 2 * len(sites)),
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
        "now": datetime.now(LOCAL_TIME).strftime("%Y-%m-%dT%H:%M"),
        "versions": versions,
        "proposals": notice_proposals(session, plan) if plan.status == "done" else [],
        "version": next((n for n, p in versions if p.id == plan.id), 1),
    }


@router.get("/arbetsyta/plan/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request, plan_id: int, session: SessionDep, access: SecretAccess
) -> HTMLResponse:
    """Progress while the job runs; then the numbered sites, figures, exports and schedule."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    context = _plan_context(session, plan, access) | {"errors": {}}
    lat = _coordinate(request.query_params.get("add_lat", ""))
    lon = _coordinate(request.query_params.get("add_lon", ""))
    if lat is not None and lon is not None and plan.status == "done":  # "Visa kandidater"
        near = nearest_candidates(session, plan_id, lat, lon)
        context |= {"near": (lat, lon), "candidates": near}
    return page(request, session, access.user, "plan.html", context)


@router.post("/arbetsyta/plan/{plan_id}/schema", response_model=None)
async def make_schedule_page(
    request: Request, plan_id: int, session: SessionDep, access: SecretAccess
) -> Response:
    """Draw the schedule (replaces an earlier one)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    form = await request.form()
    errors: dict[str, str] = {}
    try:
        body = ScheduleIn.model_validate(
            {
                "count": form.get("count") or None,
                "start": form.get("start") or None,
                "end": form.get("end") or None,
                "seed": form.get("seed") or 0,
            }
        )
    except ValidationError as exc:
        messages = {
            "count": "Antalet tillfällen ska vara ett heltal från 1 till 5 000.",
            "start": "Ange startdatum som ÅÅÅÅ-MM-DD.",
            "end": "Ange slutdatum som ÅÅÅÅ-MM-DD.",
        }
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "count"
            errors.setdefault(name if name in messages else "count", messages.get(name, ""))
    else:
        try:
            schedule_plan(session, plan, body, access.user.username)
        except LoftesplanError as exc:
            errors["count"] = str(exc)
        else:
            session.commit()
            return RedirectResponse(f"/arbetsyta/plan/{plan_id}#schema", status_code=303)
    session.rollback()
    return plan_page_with_errors(request, session, plan, access, errors)


@router.post("/arbetsyta/plan/{plan_id}/handelser/{event_id}", response_model=None)
async def mark_event_page(
    request: Request, plan_id: int, event_id: int, session: SessionDep, access: SecretAccess
) -> Response:
    """Mark an event done (with the actual time), cancelled or moved (with the new time)."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    form = await request.form()
    status = str(form.get("status", ""))
    moment_text = str(form.get("tid", "")).strip()
    errors: dict[str, str] = {}
    moment: datetime | None = None
    if moment_text:
        try:
            moment = datetime.fromisoformat(moment_text).replace(tzinfo=LOCAL_TIME)
        except ValueError:
            errors[f"tid_{event_id}"] = "Ange tid som ÅÅÅÅ-MM-DD TT:MM."
    if status == "moved" and moment is None and not errors:
        errors[f"tid_{event_id}"] = "Ange den nya tiden för en flyttad kontroll."
    if status not in ("done", "cancelled", "moved"):
        errors[f"tid_{event_id}"] = "Välj utförd, inställd eller flyttad."
    if not errors:
        try:
            mark_event(session, plan, event_id, status, moment, access.user.username)
        except LoftesplanError as exc:
            errors[f"tid_{event_id}"] = str(exc)
        else:
            session.commit()
            return RedirectResponse(f"/arbetsyta/plan/{plan_id}#schema", status_code=303)
    session.rollback()
    return plan_page_with_errors(request, session, plan, access, errors)


def _versions(session: Any, plan: CheckpointPlan) -> list[tuple[int, CheckpointPlan]]:
    """Every version of the plan (the first plan and its re-optimisations), numbered 1.."""
    from sqlmodel import select

    root = plan.params.get("root_id") or plan.id
    family = [
        p
        for p in session.exec(
            select(CheckpointPlan)
            .where(col(CheckpointPlan.workspace_id) == plan.workspace_id)
            .order_by(col(CheckpointPlan.id))
        )
        if p.id == root or p.params.get("root_id") == root
    ]
    return list(enumerate(family, start=1))


def _coordinate(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


@router.post("/arbetsyta/plan/{plan_id}/omplanera", response_model=None)
async def reoptimise(
    request: Request,
    plan_id: int,
    session: SessionDep,
    access: SecretAccess,
) -> Response:
    """A new version: locked and added sites fixed, removed ones out, the rest re-optimised."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    form = await request.form()
    sites = field_sites(session, plan_id)
    locked = {s.number for s in sites if form.get(f"lock_{s.number}") == "on"}
    removed = {s.number for s in sites if form.get(f"remove_{s.number}") == "on"}
    errors: dict[str, str] = {}
    added: list[tuple[float, float]] = []
    lat_text, lon_text = str(form.get("add_lat", "")), str(form.get("add_lon", ""))
    choice = str(form.get("add_candidate", "")).strip()
    if choice:
        try:
            added.append(candidate_point(session, plan_id, int(choice) if choice.isdigit() else -1))
        except LoftesplanError as exc:
            errors["add"] = str(exc)
    elif lat_text.strip() or lon_text.strip():
        lat, lon = _coordinate(lat_text), _coordinate(lon_text)
        if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["add"] = "Ange latitud och longitud i grader, t.ex. 59,91 och 10,75."
        else:
            added.append((lon, lat))
    if not errors:
        try:
            params = plan_version_params(plan, sites, locked, removed, added)
        except LoftesplanError as exc:
            errors["add"] = str(exc)
        else:
            new = CheckpointPlan(
                workspace_id=plan.workspace_id, promise_id=plan.promise_id, params=params
            )
            session.add(new)
            session.flush()
            audit(
                session,
                username=access.user.username,
                action="create",
                entity="plan",
                entity_id=new.id,
                detail={
                    "version_av": plan.id,
                    "låsta": sorted(locked),
                    "borttagna": sorted(removed),
                    "tillagda": len(added),
                },
            )
            session.commit()
            request.app.state.plan_jobs.submit(new.id, access.workspace.municipality_code)
            return RedirectResponse(f"/arbetsyta/plan/{new.id}", status_code=303)
    return plan_page_with_errors(request, session, plan, access, errors)


@router.get("/arbetsyta/plan/{plan_id}/jamfor", response_class=HTMLResponse)
def compare(
    request: Request, plan_id: int, med: int, session: SessionDep, access: SecretAccess
) -> HTMLResponse:
    """Two versions side by side: figures and maps."""
    plan = get_or_404(session, CheckpointPlan, plan_id, "Plan")
    other = session.get(CheckpointPlan, med)
    if other is None or other.workspace_id != plan.workspace_id:
        raise NotFoundError(f"Plan {med} finns inte.")
    numbers = {p.id: n for n, p in _versions(session, plan)}
    columns = [
        {
            "plan": p,
            "version": numbers.get(p.id),
            "figures": {key: p.metrics.get(key) for key, *_ in FIGURES},
            "sites": len(field_sites(session, p.id)) if p.status == "done" else 0,
        }
        for p in (plan, other)
    ]
    context = {"workspace": access.workspace, "columns": columns, "figures": FIGURES}
    return page(request, session, access.user, "plan_compare.html", context)
