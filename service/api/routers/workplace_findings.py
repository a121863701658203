"""Findings on a phone during the walk (``/vandring/{id}/fynd``) and the findings' photos.

The page is made for 400 px: the phone's position (or a tap on the map), a category from
the checklist, a short text and up to three photos. Its script queues entries in the
browser while the phone is offline and sends them when it is back; the answer is JSON for
the script (``Accept: application/json``) and a page with the messages beside the fields
for a plain form post. Refused input answers 200 with the messages (``{"saved": false,
"errors": {field: message}}``), like every workplace form, because a browser reports any 4xx
as a console error; the API's ``POST /api/walks/{id}/findings`` answers 422. Photos are
cleaned by :mod:`service.followup.photos`.

The script gives each finding a random key when it is made (``crypto.randomUUID()``) and
sends it, on every try, in the ``Idempotency-Key`` header: a finding resent because the
answer was lost (the connection dropped after the server stored it) answers 200 with the
finding stored the first time, its photos untouched, instead of a second finding. A key
already used on another walk answers 409 with a Swedish message (the script drops the entry).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from fastapi.responses import Response as FastAPIResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from geodata.errors import LoftesplanError
from service.api.deps import (
    FollowUpRead,
    FollowUpWrite,
    IdempotencyKey,
    SessionDep,
    SettingsDep,
)
from service.api.routers.walks import record_finding
from service.api.routers.workplace_walks import page, walk_data
from service.followup.findings import CATEGORY_LABELS, Category, check_near_route
from service.followup.photos import (
    MAX_PHOTOS,
    MEDIA_TYPES,
    CleanPhoto,
    clean_photo,
    photo_file,
    photos_of,
    remove_photos,
    store_photos,
)
from service.store.crud import finding_sent_before, get_or_404, stored_route
from service.store.models import FindingRow, WalkRow

router = APIRouter(include_in_schema=False)

#: Longest description (characters): a short text typed on a phone.
MAX_TEXT = 1000


def _phone_page(
    request: Request,
    session: Any,
    access: Any,
    walk: WalkRow,
    settings: Any,
    form: dict[str, Any] | None = None,
) -> FastAPIResponse:
    """The page; ``form`` holds ``values``, ``errors`` and ``saved`` after a submission."""
    form = form or {}
    rows = session.exec(select(FindingRow).where(col(FindingRow.walk_id) == walk.id)).all()
    findings = [
        {
            "id": r.id,
            "category": CATEGORY_LABELS[Category(r.category)],
            "description": r.description,
            "photos": len(photos_of(settings.data_dir, r.id)),
        }
        for r in rows
    ]
    pairs = zip(rows, findings, strict=True)
    marks = [{"lat": r.lat, "lon": r.lon, "text": f["category"]} for r, f in pairs]
    context = {
        "walk": walk,
        "data": walk_data(walk, marks),
        "findings": findings,
        "categories": [(c.value, label) for c, label in CATEGORY_LABELS.items()],
        "values": form.get("values", {}),
        "errors": form.get("errors", {}),
        "saved": form.get("saved", False),
        "max_photos": MAX_PHOTOS,
    }
    return page(request, session, access, "vandring_fynd.html", context)


@router.get("/vandring/{walk_id}/fynd", response_class=HTMLResponse)
def phone_page(
    request: Request,
    walk_id: int,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpRead,
    sparat: str = "",
) -> FastAPIResponse:
    """The findings page for a phone on the walk."""
    walk = get_or_404(session, WalkRow, walk_id, "Vandring")
    return _phone_page(request, session, access, walk, settings, {"saved": bool(sparat)})


def _position(lat: str, lon: str, walk: WalkRow) -> tuple[tuple[float, float] | None, str | None]:
    """The finding's position, or the Swedish reason it cannot be used."""
    if not lat.strip() or not lon.strip():
        return None, "Ange var fyndet finns: tryck på ”Använd min position” eller på kartan."
    try:
        point = float(lat.replace(",", ".")), float(lon.replace(",", "."))
    except ValueError:
        return None, "Positionen går inte att läsa; tryck på kartan igen."
    if not all(math.isfinite(v) for v in point) or abs(point[0]) > 90 or abs(point[1]) > 180:
        return None, "Positionen går inte att läsa; tryck på kartan igen."
    try:
        check_near_route(point[0], point[1], stored_route(walk).coords_wgs84)
    except LoftesplanError as exc:
        return None, str(exc)
    return point, None


class FindingForm(BaseModel):
    """The phone form's fields (photos come apart, as files)."""

    lat: str = Field(default="", max_length=40)
    lon: str = Field(default="", max_length=40)
    category: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=MAX_TEXT * 4)
    keep_position: str = Field(default="", max_length=10)


def _check_photos(
    uploads: list[UploadFile], keep_position: bool, errors: dict[str, str]
) -> list[CleanPhoto]:
    """Cleaned photos; problems go into ``errors["photos"]``."""
    if len(uploads) > MAX_PHOTOS:
        errors["photos"] = f"Högst {MAX_PHOTOS} foton per fynd."
        return []
    cleaned, problems = [], []
    for upload in uploads:
        try:
            data = upload.file.read()
            cleaned.append(clean_photo(data, upload.filename or "", keep_position))
        except LoftesplanError as exc:
            problems.append(str(exc))
    if problems:
        errors["photos"] = " ".join(problems)
    return cleaned


@router.post("/vandring/{walk_id}/fynd", response_model=None)
def phone_submit(
    request: Request,
    walk_id: int,
    session: SessionDep,
    settings: SettingsDep,
    access: FollowUpWrite,
    form: Annotated[FindingForm, Form()],
    photos: Annotated[list[UploadFile] | None, File()] = None,
    idempotency_key: IdempotencyKey = None,
) -> FastAPIResponse:
    """Record a finding with its photos; messages per field when something is wrong."""
    walk = get_or_404(session, WalkRow, walk_id, "Vandring")
    wants_json = "application/json" in request.headers.get("accept", "")
    earlier = finding_sent_before(session, walk, idempotency_key)
    if earlier is not None:  # sent before, its answer lost: the stored finding, once
        count = len(photos_of(settings.data_dir, earlier.id))
        return _saved(walk_id, earlier, count, wants_json, status_code=200)
    errors: dict[str, str] = {}
    point, problem = _position(form.lat, form.lon, walk)
    if problem:
        errors["position"] = problem
    category = form.category
    if category not in {c.value for c in Category}:
        errors["category"] = "Välj en kategori ur checklistan."
    text = form.description.strip()
    if not text:
        errors["description"] = "Skriv en kort beskrivning av fyndet."
    elif len(text) > MAX_TEXT:
        errors["description"] = f"Beskrivningen får vara högst {MAX_TEXT} tecken."
    uploads = [u for u in photos or [] if u.filename or (u.size or 0) > 0]
    cleaned = _check_photos(uploads, bool(form.keep_position), errors)
    if errors or point is None:
        if wants_json:
            return JSONResponse({"saved": False, "errors": errors})
        state = {"values": form.model_dump(), "errors": errors}
        return _phone_page(request, session, access, walk, settings, state)
    fields = {"lat": point[0], "lon": point[1], "category": category, "description": text}
    row = record_finding(session, access, walk, fields, idempotency_key)
    try:
        store_photos(settings.data_dir, row.id, cleaned)
        session.commit()
    except Exception:
        session.rollback()
        remove_photos(settings.data_dir, row.id)
        raise
    return _saved(walk_id, row, len(cleaned), wants_json, status_code=201)


def _saved(
    walk_id: int, row: FindingRow, photos: int, wants_json: bool, status_code: int
) -> FastAPIResponse:
    """The answer for a stored finding: JSON for the script, else back to the page."""
    if wants_json:
        label = CATEGORY_LABELS[Category(row.category)]
        body = {"id": row.id, "photos": photos, "category": label}
        return JSONResponse({**body, "saved": True, "message": "Fyndet är sparat."}, status_code)
    return RedirectResponse(f"/vandring/{walk_id}/fynd?sparat=1", status_code=303)


@router.get("/arbetsyta/fynd/{finding_id}/foto/{number}")
def finding_photo(
    finding_id: int, number: int, session: SessionDep, settings: SettingsDep, _a: FollowUpRead
) -> FastAPIResponse:
    """Photo ``number`` (1–3) of a finding."""
    get_or_404(session, FindingRow, finding_id, "Fynd")
    path = photo_file(settings.data_dir, finding_id, number)
    if path is None:
        return JSONResponse({"detail": "Fyndet har inget sådant foto."}, status_code=404)
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix])
