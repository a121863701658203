"""HTML pages: start page, a municipality's promises and progress, the public map."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
from service.crud import executed_points, progress_of, workspace_promises
from service.followup import public_aggregate
from service.maps.assets import use_local_assets
from service.maps.public import public_map
from service.models import Workspace

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
    now = datetime.now(UTC)
    visible_until = now - timedelta(hours=settings.public_delay_hours)
    executed = executed_points(session, found.code)
    promises = [
        {
            "title": p.title,
            "period_start": p.period_start,
            "period_end": p.period_end,
            "progress": progress_of(session, p, executed, visible_until, now.date()),
        }
        for p in workspace_promises(session, found.code)
    ]
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
    areas = public_aggregate(executed_points(session, found.code), datetime.now(UTC), delay)
    towns = settlements(found.code)
    fmap = public_map(municipality_boundary(found.code), areas, towns)
    return use_local_assets(fmap.get_root().render())
