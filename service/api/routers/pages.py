"""HTML pages: start page, a municipality's promises and progress, the public map."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import col, select

from geodata.municipalities import find_municipality, settlements
from service.api.deps import TOKEN_COOKIE, SecretAccess, SessionDep, SettingsDep
from service.api.routers.auth import session_lifetime, sign_in
from service.followup.progress import public_aggregate
from service.followup.promises import KIND_LABELS_SV
from service.render import format as fmt
from service.render import public_pages
from service.store.crud import (
    NotFoundError,
    executed_points,
    get_or_404,
    load_promise,
    progress_of,
    public_progress,
)
from service.store.models import CheckpointPlan, PromiseRow, Workspace
from service.store.security import issue_token, revoke_token

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[2] / "render" / "templates")


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Choose a municipality (sorted by name, with a search box); link to /sverige."""
    workspaces = list(session.exec(select(Workspace).order_by(col(Workspace.municipality_name))))
    context = {**public_pages.start_context(), "workspaces": workspaces}
    return templates.TemplateResponse(request, "start.html", context)


@router.get("/kommun")
def choose(kod: str) -> RedirectResponse:
    """Form target of the start page."""
    return RedirectResponse(f"/kommun/{find_municipality(kod).code}", status_code=303)


@router.get("/sverige", response_class=HTMLResponse)
def sweden_page(request: Request, ar: str | None = None) -> HTMLResponse:
    """Every municipality's record: choropleth and sortable table of Polisen's traffic checks."""
    return templates.TemplateResponse(request, "sverige.html", public_pages.sweden_context(ar))


@router.get("/kommun/{municipality}", response_class=HTMLResponse)
def municipality_page(
    request: Request, municipality: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """A municipality's promises with progress and its Polisen record per quarter."""
    found = find_municipality(municipality)
    promises = public_progress(session, found.code, settings.public_delay_hours)
    context = {
        "municipality": found,
        "title": fmt.municipality_name(found),
        "promises": promises,
        "delay_hours": settings.public_delay_hours,
        "record": public_pages.municipality_record(found, promises),
        "fmt": fmt,
    }
    return templates.TemplateResponse(request, "municipality.html", context)


@router.get("/kommun/{municipality}/karta", response_class=HTMLResponse)
def public_map_page(
    request: Request,
    municipality: str,
    session: SessionDep,
    settings: SettingsDep,
    ar: str | None = None,
) -> HTMLResponse:
    """The public map on the offline base layer, with its legend and a table as text."""
    found = find_municipality(municipality)
    delay = timedelta(hours=settings.public_delay_hours)
    areas = public_aggregate(executed_points(session, found.code), datetime.now(UTC), delay)
    context = {
        "municipality": found,
        "title": fmt.municipality_name(found),
        "unplaced": areas.unplaced,
        **public_pages.map_page(found, ar, areas.areas),
    }
    return templates.TemplateResponse(request, "karta.html", context)


@router.get("/logga-in", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/arbetsyta") -> HTMLResponse:  # noqa: A002 - form field
    """Sign-in form for planners."""
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next)})


@router.post("/logga-in", response_model=None)
def login_submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=300)] = "/arbetsyta",  # noqa: A002 - form field
) -> HTMLResponse | RedirectResponse:
    """Check the password, set the token cookie, go on to ``next``."""
    try:
        user = sign_in(request, session, username, password)
    except HTTPException as exc:
        context = {"next": _safe_next(next), "error": exc.detail}
        return templates.TemplateResponse(
            request, "login.html", context, status_code=exc.status_code, headers=exc.headers
        )
    lifetime = session_lifetime(settings)
    token = issue_token(session, user, name="webbinloggning", lifetime=lifetime)
    session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = settings.secure_cookie
    if secure is None:  # on by default when served behind HTTPS
        secure = request.url.scheme == "https"
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=int(lifetime.total_seconds()),
    )
    return response


@router.api_route("/logga-ut", methods=["GET", "POST"])
def logout_page(request: Request, session: SessionDep) -> RedirectResponse:
    """End the browser's session (the token stops working everywhere) and go to the start."""
    token = request.cookies.get(TOKEN_COOKIE)
    if token:
        revoke_token(session, token)
        session.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="strict")
    return response


def _safe_next(target: str) -> str:
    """Only local paths, so the sign-in cannot redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/planering/{plan_id}", response_class=RedirectResponse, status_code=303)
def plan_page(plan_id: int, session: SessionDep, _access: SecretAccess) -> RedirectResponse:
    """The old planner address: the checkpoint plan lives in the workplace (police only)."""
    get_or_404(session, CheckpointPlan, plan_id, "Plan")
    return RedirectResponse(f"/arbetsyta/plan/{plan_id}", status_code=303)


@router.get("/kommun/{municipality}/uppfoljning/{promise_id}", response_class=HTMLResponse)
def follow_up_report(
    request: Request, municipality: str, promise_id: int, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """Printable follow-up of one promise: progress per activity and where work was done."""
    found = find_municipality(municipality)
    promise = load_promise(session, promise_id)
    if promise["municipality_code"] != found.code:
        raise NotFoundError(f"Medborgarlöfte {promise_id} hör inte till {found.name}.")
    now = datetime.now(UTC)
    delay = timedelta(hours=settings.public_delay_hours)
    executed = executed_points(session, found.code)
    row: PromiseRow = get_or_404(session, PromiseRow, promise_id, "Medborgarlöfte")
    aggregate = public_aggregate(executed, now, delay)
    areas = aggregate.areas
    towns = settlements(found.code)
    reached = sorted({str(a["area"]) for a in areas if a["level"] == "tätort"})
    period = (row.period_start, row.period_end)
    record = public_pages.municipality_record(
        found, [{**promise, "period_start": row.period_start, "period_end": row.period_end}]
    )
    context = {
        "municipality": found,
        "title": fmt.municipality_name(found),
        "period": fmt.period_sv(*period),
        "spread": public_pages.report_spread(found, executed, period, now - delay),
        "record": record,
        "fmt": fmt,
        "promise": promise,
        "progress": progress_of(session, row, executed, now - delay, now.date()),
        "unplaced": aggregate.unplaced,
        "areas": areas,
        "labels": KIND_LABELS_SV,
        "reached": reached,
        "towns_total": len(towns),
        "delay_hours": settings.public_delay_hours,
        "today": fmt.date_sv(now.date()),
    }
    return templates.TemplateResponse(request, "report.html", context)
