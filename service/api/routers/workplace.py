"""The planner's workplace in the browser: start page and promises from text.

Server-rendered pages (Jinja2, the same autoescaping templates as every other page); access
is checked by :func:`service.api.deps.require_role` only. Checkpoint plans and schedules are
in :mod:`service.api.routers.workplace_plans`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, func, select

from geodata.errors import LoftesplanError
from service.api.deps import FollowUpRead, PromiseWrite, SessionDep, SignedInDep
from service.api.routers.pages import templates
from service.followup.findings import Status
from service.followup.promises import (
    KIND_LABELS_SV,
    RESPONSIBLE_LABELS_SV,
    Activity,
    ActivityKind,
    Promise,
    parse_promise,
)
from service.store.accounts import memberships_of
from service.store.crud import activities_of, load_promise, save_promise, update_activity
from service.store.db import audit, get_row
from service.store.models import (
    AuditEntry,
    CheckpointPlan,
    FindingRow,
    PromiseRow,
    ScheduledCheckpoint,
    User,
    WalkRow,
    Workspace,
)
from service.store.workplace_models import EventOutcome

router = APIRouter(include_in_schema=False)

#: Largest promise text accepted (characters), as in the API.
MAX_TEXT = 200_000
#: Largest uploaded promise file (bytes).
MAX_UPLOAD = 1_000_000


def who(session: Session, user: User) -> dict[str, str]:
    """The signed-in user's name and roles for the page header."""
    held = memberships_of(session, user.id)
    roles = sorted({role for _, role in held})
    return {"name": user.username, "roles": ", ".join(roles) or "ingen roll"}


def page(
    request: Request,
    session: Session,
    user: User,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render a workplace page with the header's user and roles."""
    return templates.TemplateResponse(
        request,
        f"arbetsyta/{template}",
        {"who": who(session, user), **context},
        status_code=status_code,
    )


def _count(session: Session, query: Any) -> int:
    return int(session.exec(query).one() or 0)


@router.get("/arbetsyta", response_class=HTMLResponse)
def start(request: Request, session: SessionDep, user: SignedInDep) -> HTMLResponse:
    """After sign-in: the user's municipalities with promises, plans, walks and findings."""
    roles: dict[int, tuple[Workspace, set[str]]] = {}
    for workspace, role in memberships_of(session, user.id):
        roles.setdefault(workspace.id, (workspace, set()))[1].add(role)
    places = []
    for workspace, held in roles.values():
        promises = (
            [
                {
                    "id": p.id,
                    "title": p.title,
                    "period_start": p.period_start,
                    "period_end": p.period_end,
                    "updated": p.updated_at.date().isoformat(),
                    "activities": len(activities_of(session, p.id)),
                }
                for p in session.exec(
                    select(PromiseRow)
                    .where(col(PromiseRow.workspace_id) == workspace.id)
                    .order_by(col(PromiseRow.id).desc())
                )
            ]
            if held & {"polis", "kommun", "läsare"}
            else []
        )
        plans = None
        if "polis" in held:  # planned sites and times are for the police only
            plans = [
                {
                    "id": p.id,
                    "status": _STATUS_SV.get(p.status, p.status),
                    "count": p.params.get("count"),
                    "created": p.created_at.date().isoformat(),
                    "events": _count(
                        session,
                        select(func.count())
                        .select_from(ScheduledCheckpoint)
                        .where(col(ScheduledCheckpoint.plan_id) == p.id),
                    ),
                    "done": _count(
                        session,
                        select(func.count())
                        .select_from(EventOutcome)
                        .join(ScheduledCheckpoint)
                        .where(
                            col(ScheduledCheckpoint.plan_id) == p.id,
                            col(EventOutcome.status) == "done",
                        ),
                    ),
                }
                for p in session.exec(
                    select(CheckpointPlan)
                    .where(col(CheckpointPlan.workspace_id) == workspace.id)
                    .order_by(col(CheckpointPlan.id).desc())
                )
            ]
        walks = []
        if held & {"polis", "kommun", "läsare"}:
            for w in session.exec(
                select(WalkRow)
                .where(col(WalkRow.workspace_id) == workspace.id)
                .order_by(col(WalkRow.id).desc())
            ):
                open_findings = _count(
                    session,
                    select(func.count())
                    .select_from(FindingRow)
                    .where(
                        col(FindingRow.walk_id) == w.id, col(FindingRow.status) != Status.done.value
                    ),
                )
                walks.append(
                    {
                        "id": w.id,
                        "name": w.name,
                        "date": w.walk_date,
                        "length_km": w.length_km,
                        "open": open_findings,
                    }
                )
        places.append(
            {
                "code": workspace.municipality_code,
                "name": workspace.municipality_name,
                "roles": sorted(held),
                "promises": promises,
                "plans": plans,
                "walks": walks,
                "can_edit_promises": bool(held & {"polis", "kommun"}),
                "can_walk": "kommun" in held,
            }
        )
    return page(request, session, user, "start.html", {"places": places})


_STATUS_SV = {"queued": "i kö", "running": "planeras", "done": "klar", "failed": "misslyckades"}


# ------------------------------------------------------------------------------ promises


def _labels() -> dict[str, Any]:
    return {
        "kinds": [(k.value, KIND_LABELS_SV.get(k, k.value)) for k in ActivityKind],
        "responsible": list(RESPONSIBLE_LABELS_SV.items()),
    }


@router.get("/arbetsyta/{municipality}/loften/nytt", response_class=HTMLResponse)
def new_promise(
    request: Request, municipality: str, session: SessionDep, access: PromiseWrite
) -> HTMLResponse:
    """Paste or upload a published promise."""
    context = {"workspace": access.workspace, "errors": {}, "text": ""}
    return page(request, session, access.user, "promise_new.html", context)


async def _submitted_text(request: Request) -> tuple[str, dict[str, str]]:
    """The promise text from the textarea or the uploaded file, or a Swedish error."""
    form = await request.form()
    text = str(form.get("text") or "")
    upload = form.get("fil")
    filename = getattr(upload, "filename", None)
    if upload is not None and hasattr(upload, "read") and filename:
        raw = await upload.read(MAX_UPLOAD + 1)
        if len(raw) > MAX_UPLOAD:
            return text, {"fil": "Filen är större än 1 MB; klistra in texten i stället."}
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return text, {"fil": "Filen måste vara en textfil i UTF-8 (.txt)."}
    if not text.strip():
        return text, {"text": "Klistra in löftets text eller ladda upp den som textfil."}
    if len(text) > MAX_TEXT:
        return text, {"text": f"Texten är längre än {MAX_TEXT:,} tecken.".replace(",", " ")}
    return text, {}


@router.post("/arbetsyta/{municipality}/loften/granska", response_class=HTMLResponse)
async def review_promise(
    request: Request, municipality: str, session: SessionDep, access: PromiseWrite
) -> HTMLResponse:
    """The parsed activities in an editable table beside their source sentences."""
    text, errors = await _submitted_text(request)
    if errors:
        context = {"workspace": access.workspace, "errors": errors, "text": text}
        return page(request, session, access.user, "promise_new.html", context)
    draft = parse_promise(text, kommun=access.workspace.municipality_code)
    context = {"workspace": access.workspace, "draft": draft, "text": text, "errors": {}}
    return page(request, session, access.user, "promise_review.html", context | _labels())


def _edited_activity(form: Any, i: int, base: Activity) -> tuple[Activity | None, str | None]:
    """Activity ``i`` with the planner's edits, or ``(None, Swedish error)``."""
    count_text = str(form.get(f"count_{i}", "")).strip()
    changes: dict[str, Any] = {
        "kind": str(form.get(f"kind_{i}", base.kind)),
        "responsible": str(form.get(f"responsible_{i}", base.responsible)),
        "places": [p.strip() for p in str(form.get(f"places_{i}", "")).split(";") if p.strip()],
        "spread_municipality": form.get(f"spread_{i}") == "on",
    }
    if count_text:
        if not count_text.isdigit() or int(count_text) > 100_000:
            return None, "Antalet ska vara ett heltal från 0 till 100 000, eller tomt."
        changes["count_min"] = int(count_text)
    else:
        changes["count_min"] = None
    try:
        return Activity.model_validate({**base.model_dump(), **changes}), None
    except ValidationError:
        return None, "Välj en giltig typ och ansvarig."


def _period(form: Any) -> tuple[date | None, date | None, dict[str, str]]:
    out: list[date | None] = []
    errors: dict[str, str] = {}
    for name in ("period_start", "period_end"):
        raw = str(form.get(name, "")).strip()
        try:
            out.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            out.append(None)
            errors[name] = "Ange datum som ÅÅÅÅ-MM-DD."
    if out[0] and out[1] and out[1] < out[0]:
        errors["period_end"] = "Periodens slut ligger före dess start."
    return out[0], out[1], errors


@router.post("/arbetsyta/{municipality}/loften", response_model=None)
async def save_reviewed_promise(
    request: Request, municipality: str, session: SessionDep, access: PromiseWrite
) -> Response:
    """Save the reviewed promise (the text is parsed again; the planner's edits applied)."""
    form = await request.form()
    text = str(form.get("text") or "")
    if not text.strip() or len(text) > MAX_TEXT:
        context = {
            "workspace": access.workspace,
            "text": text,
            "errors": {"text": "Klistra in löftets text eller ladda upp den som textfil."},
        }
        return page(request, session, access.user, "promise_new.html", context)
    draft = parse_promise(text, kommun=access.workspace.municipality_code)
    start_, end_, errors = _period(form)
    activities = []
    edits: dict[str, Any] = {}
    for i, base in enumerate(draft.activities):
        if form.get(f"keep_{i}") != "on":
            edits[f"aktivitet {i + 1}"] = "borttagen"
            continue
        activity, error = _edited_activity(form, i, base)
        if activity is None:
            errors[f"count_{i}"] = error or "Ogiltigt värde."
            continue
        activities.append(activity)
        before, after = base.model_dump(mode="json"), activity.model_dump(mode="json")
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if changed:
            edits[f"aktivitet {i + 1}"] = changed
    title = str(form.get("title") or draft.title or "")[:300]
    if errors:
        reviewed = draft.model_copy(update={"period_start": start_, "period_end": end_})
        context = {
            "workspace": access.workspace,
            "draft": reviewed,
            "text": text,
            "errors": errors,
            "form": form,
        }
        return page(request, session, access.user, "promise_review.html", context | _labels())
    promise = Promise(
        **(
            draft.model_dump()
            | {"activities": [], "period_start": start_, "period_end": end_, "title": title}
        )
    ).model_copy(update={"activities": activities})
    promise_id = save_promise(session, access.workspace, promise, text)
    audit(
        session,
        username=access.user.username,
        action="create",
        entity="promise",
        entity_id=promise_id,
        detail={"granskade ändringar": edits} if edits else {},
    )
    session.commit()
    return RedirectResponse(f"/arbetsyta/loften/{promise_id}", status_code=303)


def _history(session: Session, promise_id: int, activity_ids: list[int]) -> list[AuditEntry]:
    query = (
        select(AuditEntry)
        .where(
            ((col(AuditEntry.entity) == "promise") & (col(AuditEntry.entity_id) == promise_id))
            | ((col(AuditEntry.entity) == "activity") & col(AuditEntry.entity_id).in_(activity_ids))
        )
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    )
    return list(session.exec(query))


def _promise_context(session: Session, promise_id: int, access: Any) -> dict[str, Any]:
    from datetime import UTC, datetime

    from service.store.crud import executed_points, progress_of

    promise = load_promise(session, promise_id)
    row = get_row(session, PromiseRow, promise_id)
    now = datetime.now(UTC)
    executed = executed_points(session, access.workspace.municipality_code)
    rows = progress_of(session, row, executed, now, now.date())["activities"]
    progress = {p["activity_id"]: p for p in rows}
    ids = [a["id"] for a in promise["activities"]]
    return {
        "workspace": access.workspace,
        "promise": promise,
        "progress": progress,
        "history": _history(session, promise_id, ids),
        "can_edit": bool(access.roles & {"polis", "kommun"}),
        "can_plan": "polis" in access.roles,
        "kind_labels": {k.value: v for k, v in KIND_LABELS_SV.items()},
    }


@router.get("/arbetsyta/loften/{promise_id}", response_class=HTMLResponse)
def promise_page(
    request: Request, promise_id: int, session: SessionDep, access: FollowUpRead
) -> HTMLResponse:
    """A stored promise: activities (editable), progress and the edit history."""
    context = _promise_context(session, promise_id, access) | _labels() | {"errors": {}}
    return page(request, session, access.user, "promise.html", context)


@router.post("/arbetsyta/loften/{promise_id}", response_model=None)
async def edit_promise(
    request: Request, promise_id: int, session: SessionDep, access: PromiseWrite
) -> Response:
    """Apply edits to the activities; each change is kept in the history."""
    form = await request.form()
    errors: dict[str, str] = {}
    rows = activities_of(session, promise_id)
    for row in rows:
        base = Activity.model_validate(row, from_attributes=True)
        edited, error = _edited_activity(form, row.id, base)
        if edited is None:
            errors[f"count_{row.id}"] = error or "Ogiltigt värde."
            continue
        before, after = base.model_dump(mode="json"), edited.model_dump(mode="json")
        changes = {k: v for k, v in after.items() if before[k] != v}
        if not changes:
            continue
        try:
            update_activity(session, row.id, changes)
        except (ValidationError, LoftesplanError):
            errors[f"count_{row.id}"] = "Ändringen kunde inte sparas: kontrollera fälten."
            continue
        detail = {k: [before[k], after[k]] for k in changes}
        audit(
            session,
            username=access.user.username,
            action="update",
            entity="activity",
            entity_id=row.id,
            detail=detail,
        )
    if errors:
        session.rollback()
        context = _promise_context(session, promise_id, access) | _labels() | {"errors": errors}
        return page(request, session, access.user, "promise.html", context)
    session.commit()
    return RedirectResponse(f"/arbetsyta/loften/{promise_id}", status_code=303)
