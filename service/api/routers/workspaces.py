"""Municipality workspaces and their members.

Workspaces are opened when an admin gives someone a role there (``loftesplan user add
--kommun``); a workspace's admins manage its members here.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlmodel import col, select

from service.api.deps import AdminAccess, SessionDep, SignedInDep
from service.store.accounts import find_user, grant, memberships_of, revoke
from service.store.db import audit
from service.store.models import Membership, User, Workspace

router = APIRouter(prefix="/api/workspaces", tags=["arbetsytor"])


@router.get("")
def list_workspaces(session: SessionDep, user: SignedInDep) -> list[Workspace]:
    """The workspaces the signed-in user is a member of."""
    seen: dict[int, Workspace] = {}
    for workspace, _role in memberships_of(session, user.id):
        seen.setdefault(workspace.id, workspace)
    return list(seen.values())


class MemberOut(BaseModel):
    """A member's role in the workspace."""

    username: str
    role: str


@router.get("/{municipality}/members")
def list_members(municipality: str, session: SessionDep, access: AdminAccess) -> list[MemberOut]:
    """Everyone with a role in the workspace."""
    query = (
        select(User.username, Membership.role)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.workspace_id) == access.workspace.id)
        .order_by(col(User.username), col(Membership.role))
    )
    return [MemberOut(username=u, role=r) for u, r in session.exec(query)]


@router.put("/{municipality}/members/{username}/{role}", status_code=204)
def grant_member(
    municipality: str, username: str, role: str, session: SessionDep, access: AdminAccess
) -> None:
    """Give an existing user a role in the workspace (admin, polis, kommun, läsare)."""
    grant(session, find_user(session, username), access.workspace.municipality_code, role)
    audit(
        session,
        username=access.user.username,
        action="create",
        entity="membership",
        entity_id=None,
        detail={"user": username, "role": role},
    )
    session.commit()


@router.delete("/{municipality}/members/{username}/{role}", status_code=204)
def revoke_member(
    municipality: str, username: str, role: str, session: SessionDep, access: AdminAccess
) -> None:
    """Take a role in the workspace from a user."""
    revoke(session, find_user(session, username), access.workspace.municipality_code, role)
    audit(
        session,
        username=access.user.username,
        action="delete",
        entity="membership",
        entity_id=None,
        detail={"user": username, "role": role},
    )
    session.commit()
