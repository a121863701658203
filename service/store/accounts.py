"""Accounts and memberships: who belongs to which municipality workspace, with which role.

A user sees and does nothing in a workspace without a membership there (default deny); the
role decides what (``service.api.deps.require_role`` is the one place that checks).
"""

from __future__ import annotations

from sqlmodel import Session, col, delete, select

from geodata.errors import InvalidInputError
from service.store.crud import NotFoundError
from service.store.db import workspace_for
from service.store.models import ROLES, ApiToken, Membership, User, Workspace
from service.store.security import hash_password, revoke_all_tokens

#: Shortest password accepted.
MIN_PASSWORD = 8


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short (a Swedish message)."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"Lösenordet måste ha minst {MIN_PASSWORD} tecken.")


def check_role(role: str) -> str:
    """A known role, else a Swedish error naming the choices."""
    if role not in ROLES:
        raise InvalidInputError(f"Okänd roll {role!r}; välj en av: {', '.join(ROLES)}.")
    return role


def find_user(session: Session, username: str) -> User:
    """A user by name, or a Swedish not-found error."""
    user = session.exec(select(User).where(col(User.username) == username)).first()
    if user is None:
        raise NotFoundError(f"Användaren {username} finns inte.")
    return user


def create_user(session: Session, username: str, password: str) -> User:
    """Add an account with no memberships (it sees only the public pages until granted)."""
    check_password_rules(password)
    if not username.strip() or len(username) > 80:
        raise InvalidInputError("Användarnamnet måste ha 1–80 tecken.")
    if session.exec(select(User).where(col(User.username) == username)).first():
        raise InvalidInputError(f"Användaren {username} finns redan.")
    user = User(username=username, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, municipality: str, role: str) -> Workspace:
    """Give ``user`` ``role`` in a municipality's workspace (created if new); idempotent."""
    check_role(role)
    workspace = workspace_for(session, municipality)
    held = session.exec(
        select(Membership).where(
            col(Membership.user_id) == user.id,
            col(Membership.workspace_id) == workspace.id,
            col(Membership.role) == role,
        )
    ).first()
    if held is None:
        session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=role))
        session.flush()
    return workspace


def revoke(session: Session, user: User, municipality: str, role: str | None = None) -> int:
    """Take a role (or, with None, every role) in a municipality from ``user``; how many."""
    from geodata.municipalities import find_municipality

    code = find_municipality(municipality).code
    workspace = session.exec(
        select(Workspace).where(col(Workspace.municipality_code) == code)
    ).first()
    if workspace is None:
        return 0
    query = delete(Membership).where(
        col(Membership.user_id) == user.id, col(Membership.workspace_id) == workspace.id
    )
    if role is not None:
        query = query.where(col(Membership.role) == check_role(role))
    return int(session.exec(query).rowcount or 0)


def set_password(session: Session, user: User, password: str) -> int:
    """Change a password; every session and key of the user ends. Returns tokens revoked."""
    check_password_rules(password)
    user.password_hash = hash_password(password)
    session.add(user)
    return revoke_all_tokens(session, user.id)


def remove_user(session: Session, user: User) -> None:
    """Delete an account with its memberships and tokens (the audit trail keeps its name)."""
    session.exec(delete(ApiToken).where(col(ApiToken.user_id) == user.id))
    session.exec(delete(Membership).where(col(Membership.user_id) == user.id))
    session.delete(user)
    session.flush()


def roles_in(session: Session, user_id: int, workspace_id: int) -> frozenset[str]:
    """The roles a user holds in a workspace (empty: no membership)."""
    query = select(Membership.role).where(
        col(Membership.user_id) == user_id, col(Membership.workspace_id) == workspace_id
    )
    return frozenset(session.exec(query))


def memberships_of(session: Session, user_id: int) -> list[tuple[Workspace, str]]:
    """Every (workspace, role) a user holds, by municipality code then role."""
    query = (
        select(Workspace, Membership.role)
        .join(Membership, col(Membership.workspace_id) == col(Workspace.id))
        .where(col(Membership.user_id) == user_id)
        .order_by(col(Workspace.municipality_code), col(Membership.role))
    )
    return [(w, r) for w, r in session.exec(query)]
