"""Promises: parse a text into a draft, store it, list, read and edit activities."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from service.api.deps import PromiseWrite, SessionDep
from service.followup.promises import Promise, parse_promise
from service.store.crud import load_promise, save_promise, update_activity, workspace_promises
from service.store.db import audit

router = APIRouter(tags=["medborgarlöften"])


class PromiseText(BaseModel):
    """A promise page as text (page chrome may be included)."""

    text: str = Field(min_length=1, max_length=200_000)


class PromiseIn(BaseModel):
    """Create a promise from text (parsed) or from reviewed JSON."""

    text: str | None = Field(default=None, max_length=200_000)
    promise: Promise | None = None


@router.post("/api/workspaces/{municipality}/promises/parse")
def parse_draft(municipality: str, body: PromiseText, _access: PromiseWrite) -> Promise:
    """Parse a text into a draft for review, without storing it."""
    return parse_promise(body.text, kommun=municipality)


@router.post("/api/workspaces/{municipality}/promises", status_code=201)
def create_promise(
    municipality: str, body: PromiseIn, session: SessionDep, access: PromiseWrite
) -> dict[str, Any]:
    """Store a promise: parsed from ``text``, or the reviewed ``promise`` as given."""
    workspace = access.workspace
    if body.promise is not None:
        promise, text = body.promise, body.text or ""
    elif body.text:
        promise, text = parse_promise(body.text, kommun=workspace.municipality_code), body.text
    else:
        from geodata.errors import InvalidInputError

        raise InvalidInputError("Ange antingen text eller ett granskat löfte (promise).")
    promise_id = save_promise(session, workspace, promise, text)
    audit(
        session,
        username=access.user.username,
        action="create",
        entity="promise",
        entity_id=promise_id,
    )
    session.commit()
    return load_promise(session, promise_id)


@router.get("/api/workspaces/{municipality}/promises")
def list_promises(municipality: str, session: SessionDep) -> list[dict[str, Any]]:
    """A municipality's stored promises (public documents)."""
    from geodata.municipalities import find_municipality

    code = find_municipality(municipality).code
    return [load_promise(session, p.id) for p in workspace_promises(session, code)]


@router.get("/api/promises/{promise_id}")
def read_promise(promise_id: int, session: SessionDep) -> dict[str, Any]:
    """One promise with its activities."""
    return load_promise(session, promise_id)


@router.patch("/api/activities/{activity_id}")
def edit_activity(
    activity_id: int, changes: dict[str, Any], session: SessionDep, access: PromiseWrite
) -> dict[str, Any]:
    """Edit an activity (kind, count_min, per, responsible, places, focus...)."""
    row = update_activity(session, activity_id, changes)
    audit(
        session,
        username=access.user.username,
        action="update",
        entity="activity",
        entity_id=activity_id,
        detail=changes,
    )
    session.commit()
    return load_promise(session, row.promise_id)
