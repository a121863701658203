"""Municipality workspaces."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import select

from service.api.deps import PlannerDep, SessionDep
from service.store.db import audit, workspace_for
from service.store.models import Workspace

router = APIRouter(prefix="/api/workspaces", tags=["arbetsytor"])


class WorkspaceIn(BaseModel):
    """A municipality by name or code."""

    municipality: str


@router.get("")
def list_workspaces(session: SessionDep) -> list[Workspace]:
    """All municipality workspaces."""
    return list(session.exec(select(Workspace).order_by(Workspace.municipality_code)))


@router.post("", status_code=201)
def create_workspace(body: WorkspaceIn, session: SessionDep, user: PlannerDep) -> Workspace:
    """Open (or return) the workspace of a municipality."""
    workspace = workspace_for(session, body.municipality)
    audit(
        session, username=user.username, action="create", entity="workspace", entity_id=workspace.id
    )
    session.commit()
    return workspace
