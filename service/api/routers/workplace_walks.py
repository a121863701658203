"""The municipality officer's workplace: plan a safety walk, its route page, the findings.

Server-rendered pages (the same autoescaping Jinja2 templates as every other page; data for
the scripts goes through ``tojson`` only). Access is checked by
:func:`service.api.deps.require_role` only: kommun writes, kommun/polis/läsare read. Nothing
here reads checkpoint plans or schedules, so no planned site or time can reach these pages.

The phone page for recording findings during the walk is in
:mod:`service.api.routers.workplace_findings`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from geodata.errors import LoftesplanError
from geodata.municipalities import settlements
from service.api.deps import Access, FollowUpRead, FollowUpWrite, SessionDep, SettingsDep
from service.api.routers.walks import store_planned_walk
from service.api.routers.workplace import page as workplace_page
from service.followup.findings import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    Category,
    FindingCollection,
    Responsible,
    Status,
    parse_status,
)
from service.followup.photos import photos_of
from service.planning.walks import check_length, length_for_minutes
from service.planning.walks.presets import get_purpose, purposes
from service.render import format as fmt
from service.render.findings_export import findings_excel_csv
from service.store.crud import finding_from_row, get_or_404, update_finding
from service.store.db import audit
from service.store.models import FindingRow, WalkRow
from service.usecases import WalkRequest, plan_walk_for_area

router = APIRouter(include_in_schema=False)

# A form with mistakes comes back as the page (200) with one Swedish message beside each
# field, as on every workplace page: a browser reports any 4xx page load as a console error.
# The API endpoints of the same actions answer 422.

#: Which form field a planner error belongs to (the use case names its fields).
_FORM_FIELD = {
    "settlement": "ort",
    "kommun": "ort",
    "center": "punkt",
    "radius_km": "punkt",
    "length_km": "langd",
    "minutes": "langd",
    "purpose": "syfte",
    "osm_file": "osm_fil",
}
RESPONSIBLE_LABELS = {r: r.value[:1].upper() + r.value[1:] for r in Responsible}


def page(
    request: Request,
    session: Session,
    access: Access,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render a walk page on the workplace's base (user, roles, sign-out)."""
    context = {
        "can_write": "kommun" in access.roles,
        "code": access.workspace.municipality_code,
        "kommun": fmt.municipality_name(access.workspace.municipality_code),
        "fmt": fmt,
        **context,
    }
    return workplace_page(request, session, access.user, template, context, status_code)


def _number(text: str) -> float | None:
    """``"2,5"`` -> 2.5; empty -> None; raises ValueError for anything else."""
    text = text.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
    return float(text) if text else None


def _settlement_points(code: str) -> list[dict[str, Any]]:
    """The municipality's settlements (name, lat, lon) for the form's map and list."""
    towns = settlements(code)
    if towns.empty:
        return []
    points = towns.geometry.representative_point().to_crs(4326)
    return [
        {"name": str(name), "lat": round(p.y, 5), "lon": round(p.x, 5)}
        for name, p in zip(towns["name"], points, strict=True)
    ][:400]


def _walk_form(
    request: Request,
    session: Session,
    access: Access,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    code = access.workspace.municipality_code
    choices = [(name, get_purpose(name).label) for name in purposes()]
    context = {
        "values": values,
        "errors": errors,
        "purposes": choices,
        "towns": _settlement_points(code),
    }
    return page(request, session, access, "vandring_ny.html", context, status_code)


@router.get("/arbetsyta/{municipality}/vandringar/ny", response_class=HTMLResponse)
def walk_form(
    request: Request, municipality: str, session: SessionDep, access: FollowUpWrite
) -> HTMLResponse:
    """The walk form: a settlement or a point on the map, length or minutes, purpose."""
    values = {"langd": "2,5", "enhet": "km", "radie": "1", "syfte": "allmän"}
    return _walk_form(request, session, access, values, {})


class WalkForm(BaseModel):
    """The walk form's fields as typed (numbers with decimal comma are parsed here)."""

    namn: str = Field(default="", max_length=200)
    ort: str = Field(default="", max_length=80)
    lat: str = Field(default="", max_length=30)
    lon: str = Field(default="", max_length=30)
    radie: str = Field(default="", max_length=30)
    langd: str = Field(default="", max_length=30)
    enhet: str = Field(default="km", max_length=10)
    syfte: str = Field(default="", max_length=40)
    osm_fil: str = Field(default="", max_length=300)


def _check_place(
    form: WalkForm, errors: dict[str, str]
) -> tuple[tuple[float, float] | None, float]:
    """The centre point (None: by settlement) and radius; problems go into ``errors``."""
    try:
        lat, lon, radius = _number(form.lat), _number(form.lon), _number(form.radie)
    except ValueError:
        errors["punkt"] = "Punkten ska anges som latitud och longitud i decimalgrader."
        return None, 1.0
    center = None
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["punkt"] = "Punkten ligger utanför jorden; klicka på kartan igen."
        elif radius is not None and not 0 < radius <= 20:
            errors["punkt"] = "Radien ska vara mellan 0 och 20 km."
        center = (lat, lon)
    if not form.ort.strip() and center is None and "punkt" not in errors:
        errors["ort"] = "Välj en tätort eller klicka på kartan för att välja en punkt."
    return center, radius or 1.0


def _check_length(form: WalkForm, errors: dict[str, str]) -> float | None:
    """The length in km or minutes (as ``form.enhet`` says); problems go into ``errors``."""
    try:
        amount = _number(form.langd)
    except ValueError:
        errors["langd"] = "Längden ska vara ett tal, till exempel 2,5."
        return None
    if amount is None:
        errors["langd"] = "Ange vandringens längd i km eller tid i minuter."
    elif form.enhet not in ("km", "min"):
        errors["langd"] = "Välj km eller minuter."
    elif amount <= 0:
        errors["langd"] = "Längden måste vara större än noll."
    else:
        try:
            check_length(amount if form.enhet == "km" else length_for_minutes(amount))
        except LoftesplanError as exc:
            errors["langd"] = str(exc)
    return amount


def _walk_request(
    form: WalkForm, settings: Any, code: str
) -> tuple[WalkRequest | None, dict[str, str]]:
    """The use case's request from the form, or the Swedish problem per field."""
    errors: dict[str, str] = {}
    center, radius = _check_place(form, errors)
    amount = _check_length(form, errors)
    try:
        get_purpose(form.syfte or None)
    except LoftesplanError as exc:
        errors["syfte"] = str(exc)
    try:
        osm_file = settings.allowed_osm_file(form.osm_fil.strip() or None)
    except LoftesplanError as exc:
        errors["osm_fil"] = str(exc)
    if errors:
        return None, errors
    by_settlement = center is None
    return WalkRequest(
        settlement=form.ort.strip() if by_settlement else None,
        kommun=code if by_settlement else None,
        center=center,
        radius_km=None if by_settlement else radius,
        osm_file=osm_file,
        length_km=amount if form.enhet == "km" else None,
        minutes=amount if form.enhet == "min" else None,
        purpose=form.syfte or None,
        incidents_kommun=code,
    ), {}


@router.post("/arbetsyta/{municipality}/vandringar/ny", response_model=None)
def walk_submit(
    request: Request,
    municipality: str,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpWrite,
    form: Annotated[WalkForm, Form()],
) -> HTMLResponse | RedirectResponse:
    """Plan the walk (this takes a while) and open its route page; errors beside the fields."""
    values = form.model_dump()
    code = access.workspace.municipality_code
    walk_request, errors = _walk_request(form, settings, code)
    if walk_request is None:
        return _walk_form(request, session, access, values, errors)
    by_settlement = walk_request.center is None
    center = walk_request.center
    try:
        planned = plan_walk_for_area(walk_request)
    except LoftesplanError as exc:
        field = _FORM_FIELD.get(exc.field or "", "ort" if by_settlement else "punkt")
        return _walk_form(request, session, access, values, {field: str(exc)})
    params = {
        "settlement": walk_request.settlement,
        "center_lat": center[0] if center else None,
        "center_lon": center[1] if center else None,
        "radius_km": walk_request.radius_km,
        "length_km": walk_request.length_km,
        "minutes": walk_request.minutes,
        "purpose": form.syfte or None,
        "osm_file": form.osm_fil.strip() or None,
    }
    row = store_planned_walk(session, access, planned.route, form.namn.strip(), params)
    return RedirectResponse(f"/arbetsyta/vandring/{row.id}", status_code=303)


def walk_data(walk: WalkRow, findings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the walk maps draw: the route (lon, lat), numbered stops and findings."""
    summary = walk.summary
    stops = [
        {"n": s["order"], "lat": s["lat"], "lon": s["lon"], "name": s.get("name") or ""}
        for s in summary.get("stops", [])
    ]
    return {"route": summary.get("route", []), "stops": stops, "findings": findings or []}


def _finding_view(settings: Any, row: FindingRow) -> dict[str, Any]:
    finding = finding_from_row(row)
    return {
        "id": row.id,
        "walk_id": row.walk_id,
        "lat": row.lat,
        "lon": row.lon,
        "category": CATEGORY_LABELS[finding.category],
        "description": row.description,
        "action": row.action,
        "responsible": RESPONSIBLE_LABELS[finding.responsible],
        "responsible_value": finding.responsible.value,
        "deadline": row.deadline,
        "status": STATUS_LABELS[finding.status],
        "status_value": finding.status.value,
        "created": row.created,
        "photos": len(photos_of(settings.data_dir, row.id)),
    }


@router.get("/arbetsyta/vandring/{walk_id}", response_class=HTMLResponse)
def walk_page(
    request: Request, walk_id: int, session: SessionDep, settings: SettingsDep, access: FollowUpRead
) -> HTMLResponse:
    """The route page: map, numbered stops, GPX, protocol, and the walk's findings."""
    walk = get_or_404(session, WalkRow, walk_id, "Vandring")
    rows = session.exec(select(FindingRow).where(col(FindingRow.walk_id) == walk_id))
    findings = [_finding_view(settings, r) for r in rows]
    marks = [{"lat": f["lat"], "lon": f["lon"], "text": f["category"]} for f in findings]
    context = {
        "walk": walk,
        "summary": walk.summary,
        "stops": walk.summary.get("stops", []),
        "findings": findings,
        "data": walk_data(walk, marks),
    }
    return page(request, session, access, "vandring.html", context)


class FindingQuery(BaseModel):
    """The follow-up list's filters (all optional)."""

    status: str = Field(default="", max_length=20)
    kategori: str = Field(default="", max_length=40)
    ansvarig: str = Field(default="", max_length=40)
    vandring: str = Field(default="", max_length=20)
    forsenade: str = Field(default="", max_length=5)


def _filters(query: FindingQuery) -> tuple[dict[str, Any], dict[str, str]]:
    """The collection's filter arguments, or the Swedish problem per filter."""
    chosen: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if query.status:
        try:
            chosen["status"] = parse_status(query.status)
        except LoftesplanError as exc:
            errors["status"] = str(exc)
    if query.kategori:
        try:
            chosen["category"] = Category(query.kategori)
        except ValueError:
            errors["kategori"] = "Okänd kategori; välj en i listan."
    if query.ansvarig:
        try:
            chosen["responsible"] = Responsible(query.ansvarig)
        except ValueError:
            errors["ansvarig"] = "Okänd ansvarig; välj en i listan."
    if query.vandring:
        if query.vandring.isdigit():
            chosen["walk_id"] = query.vandring
        else:
            errors["vandring"] = "Välj en vandring i listan."
    if query.forsenade:
        chosen["overdue_on"] = date.today()
    return chosen, errors


def _workspace_findings(
    session: Session, access: Access, chosen: dict[str, Any]
) -> tuple[list[FindingRow], dict[int, WalkRow]]:
    """The workspace's walks (newest first) and its findings that pass the filters."""
    walks = session.exec(
        select(WalkRow)
        .where(col(WalkRow.workspace_id) == access.workspace.id)
        .order_by(col(WalkRow.id).desc())
    ).all()
    by_id = {w.id: w for w in walks if w.id is not None}
    rows = session.exec(
        select(FindingRow)
        .where(col(FindingRow.walk_id).in_(list(by_id)))
        .order_by(col(FindingRow.walk_id), col(FindingRow.id))
    ).all()
    collection = FindingCollection(finding_from_row(r) for r in rows)
    kept = {f.id for f in collection.filter(**chosen)}
    return [r for r in rows if str(r.id) in kept], by_id


@router.get("/arbetsyta/{municipality}/fynd", response_class=HTMLResponse)
def findings_page(
    request: Request,
    municipality: str,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpRead,
    query: Annotated[FindingQuery, Query()],
) -> HTMLResponse:
    """Walks and the follow-up list of findings: owner, deadline, status; filters; CSV."""
    return _findings_list(request, session, settings, access, query)


def _findings_list(
    request: Request,
    session: Session,
    settings: Any,
    access: Access,
    query: FindingQuery,
    row_errors: dict[int, dict[str, str]] | None = None,
) -> HTMLResponse:
    chosen, errors = _filters(query)
    rows, walks = _workspace_findings(session, access, chosen)
    open_counts: dict[int, int] = {}
    for r in session.exec(select(FindingRow).where(col(FindingRow.walk_id).in_(list(walks)))):
        if parse_status(r.status) != Status.done:
            open_counts[r.walk_id] = open_counts.get(r.walk_id, 0) + 1
    values = query.model_dump()
    context = {
        "walks": list(walks.values()),
        "open_counts": open_counts,
        "findings": [_finding_view(settings, r) for r in rows],
        "walk_names": {w.id: w.name for w in walks.values()},
        "values": values,
        "errors": errors,
        "row_errors": row_errors or {},
        "statuses": [(s.value, label) for s, label in STATUS_LABELS.items()],
        "categories": [(c.value, label) for c, label in CATEGORY_LABELS.items()],
        "responsibles": [(r.value, label) for r, label in RESPONSIBLE_LABELS.items()],
        "query": urlencode({k: v for k, v in values.items() if v}),
    }
    return page(request, session, access, "vandring_fynd_lista.html", context)


@router.get("/arbetsyta/{municipality}/fynd.csv")
def findings_csv_page(
    municipality: str,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpRead,
    query: Annotated[FindingQuery, Query()],
) -> Response:
    """The filtered follow-up list for Swedish Excel (UTF-8 with BOM, ``;``)."""
    chosen, errors = _filters(query)
    if errors:
        return Response(" ".join(errors.values()), status_code=422, media_type="text/plain")
    rows, walks = _workspace_findings(session, access, chosen)
    names = {walk_id: w.name for walk_id, w in walks.items()}
    photos = {r.id: len(photos_of(settings.data_dir, r.id)) for r in rows if r.id is not None}
    body = findings_excel_csv([finding_from_row(r) for r in rows], names, photos)
    filename = f"fynd-{access.workspace.municipality_code}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class FollowUpForm(BaseModel):
    """A finding's follow-up as the list's row form sends it."""

    ansvarig: str = Field(default="", max_length=40)
    senast: str = Field(default="", max_length=20)
    status: str = Field(default="", max_length=20)
    atgard: str = Field(default="", max_length=2000)
    tillbaka: str = Field(default="", max_length=500)


def _follow_up_changes(form: FollowUpForm) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    changes: dict[str, Any] = {"action": form.atgard.strip()}
    try:
        changes["responsible"] = Responsible(form.ansvarig)
    except ValueError:
        errors["ansvarig"] = "Välj vem som är ansvarig."
    try:
        changes["deadline"] = date.fromisoformat(form.senast) if form.senast.strip() else None
    except ValueError:
        errors["senast"] = "Ange datumet som ÅÅÅÅ-MM-DD."
    try:
        changes["status"] = parse_status(form.status)
    except LoftesplanError as exc:
        errors["status"] = str(exc)
    return changes, errors


@router.post("/arbetsyta/fynd/{finding_id}", response_model=None)
def finding_follow_up(
    request: Request,
    finding_id: int,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpWrite,
    form: Annotated[FollowUpForm, Form()],
) -> HTMLResponse | RedirectResponse:
    """Set a finding's owner, deadline, status and action; back to the list."""
    changes, errors = _follow_up_changes(form)
    if not errors:
        try:
            update_finding(session, finding_id, changes)
        except LoftesplanError as exc:
            errors["status"] = str(exc)
    back = form.tillbaka if form.tillbaka.startswith("?") else ""
    if errors:
        session.rollback()
        asked = parse_qs(back.lstrip("?"))
        query = FindingQuery(
            **{k: v[0] for k, v in asked.items() if k in FindingQuery.model_fields}
        )
        return _findings_list(request, session, settings, access, query, {finding_id: errors})
    detail = {k: str(v) if v is not None else None for k, v in changes.items()}
    audit(
        session,
        username=access.user.username,
        action="update",
        entity="finding",
        entity_id=finding_id,
        detail=detail,
    )
    session.commit()
    code = access.workspace.municipality_code
    return RedirectResponse(f"/arbetsyta/{code}/fynd{back}#fynd-{finding_id}", status_code=303)
