"""HTML pages: start page, a municipality's promises and progress, the public map."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlmodel import select

from geodata.municipalities import (
    all_municipalities,
    find_municipality,
    municipality_boundary,
    settlements,
)
from service.api.deps import SessionDep, SettingsDep
from service.api.routers.public import _executed_points
from service.followup import KIND_LABELS_SV, activity_progress, count_done, public_aggregate
from service.maps.assets import use_local_assets
from service.maps.public import public_map
from service.models import ActivityRow, PromiseRow, Workspace

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent.parent / "templates")


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Choose a municipality."""
    workspaces = list(session.exec(select(Workspace).order_by(Workspace.municipality_name)))
    return templates.TemplateResponse(
        request,
        "start.html",
        {"municipalities": all_municipalities(), "workspaces": workspaces},
    )


@router.get("/kommun")
def choose(kod: str) -> RedirectResponse:
    """Form target of the start page."""
    return RedirectResponse(f"/kommun/{find_municipality(kod).code}", status_code=303)


@router.get("/kommun/{municipality}", response_class=HTMLResponse)
def municipality_page(
    request: Request, municipality: str, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """A municipality's promises with progress (public: counts only, after the delay)."""
    found = find_municipality(municipality)
    workspace = session.exec(
        select(Workspace).where(Workspace.municipality_code == found.code)
    ).first()
    now = datetime.now(UTC)
    visible_until = now - timedelta(hours=settings.public_delay_hours)
    executed = _executed_points(session, found.code)
    promises = []
    if workspace is not None:
        for promise in session.exec(
            select(PromiseRow).where(PromiseRow.workspace_id == workspace.id)
        ):
            rows = session.exec(select(ActivityRow).where(ActivityRow.promise_id == promise.id))
            progress = []
            for a in rows:
                done = count_done(executed, a.kind, visible_until)
                p = activity_progress(
                    a.id, a.kind, a.count_min, done,
                    (promise.period_start, promise.period_end), date.today(),
                )  # fmt: skip
                progress.append(
                    {"label": KIND_LABELS_SV.get(a.kind, a.kind), "count_min": a.count_min,
                     "done": done, "status": p.status}
                )  # fmt: skip
            promises.append(
                {"title": promise.title, "period_start": promise.period_start,
                 "period_end": promise.period_end, "progress": progress}
            )  # fmt: skip
    return templates.TemplateResponse(
        request,
        "municipality.html",
        {"municipality": found, "promises": promises, "delay_hours": settings.public_delay_hours},
    )


@router.get("/kommun/{municipality}/karta", response_class=HTMLResponse)
def public_map_page(municipality: str, session: SessionDep, settings: SettingsDep) -> str:
    """The public coverage map, with map assets served locally."""
    found = find_municipality(municipality)
    delay = timedelta(hours=settings.public_delay_hours)
    areas = public_aggregate(_executed_points(session, found.code), datetime.now(UTC), delay)
    towns = settlements(found.code)
    fmap = public_map(municipality_boundary(found.code), areas, towns)
    return use_local_assets(fmap.get_root().render())
