"""FastAPI dependencies: settings, database session, and the one access check.

Access control lives here and only here. Every planner endpoint and page declares what it
needs with :func:`require_role`; nothing else decides who may see or change what.

Roles per municipality workspace (a user may hold several, in several workspaces):

``admin``
    Manages the workspace's users (members). Sees no plans, findings or executed work by
    virtue of being admin.
``polis``
    The secret side: checkpoint plans, planned sites, schedules, executed activities; also
    edits promises and reads walks and findings.
``kommun``
    Walks, findings and their follow-up, promises. Never planned checkpoint places or times.
``läsare``
    Read-only view of the kommun side (walks, findings). Never planned places or times.

Default deny: a signed-in user with no membership in a workspace gets 403 on the
workspace's paths (``/api/workspaces/{municipality}/...``) and 404 on its rows by id
(``/api/plans/{plan_id}``...), exactly as if the row did not exist.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from geodata.municipalities import find_municipality
from service.api.cache import WORKSPACE_STATE
from service.settings import Settings
from service.store.accounts import roles_in
from service.store.crud import get_or_404, workspace_id_or_404
from service.store.db import get_row
from service.store.models import (
    ActivityRow,
    CheckpointPlan,
    FindingRow,
    PromiseRow,
    User,
    WalkRow,
    Workspace,
)
from service.store.security import user_for_token

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)

#: Cookie set by the sign-in page, so planner pages work in a browser too.
TOKEN_COOKIE = "loftesplan_token"

#: Role groups used by the routers (see the module docstring).
SECRET = ("polis",)
FOLLOW_UP_WRITE = ("kommun",)
FOLLOW_UP_READ = ("kommun", "polis", "läsare")
PROMISE_WRITE = ("kommun", "polis")
ADMIN = ("admin",)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Dates the service accepts in requests (events, periods): a documented, sane range.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2099, 12, 31)


class InputModel(BaseModel):
    """Base of request bodies: no NaN or infinity in any number."""

    model_config = ConfigDict(allow_inf_nan=False)


def file_response(media_type: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route whose success is a file of ``media_type``."""
    return {200: {"description": "Fil", "content": {media_type: {}}}}


def check_date_range(value: date, field: str) -> None:
    """Refuse a date outside :data:`EARLIEST_DATE`..:data:`LATEST_DATE` (Swedish message)."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(
            f"{field} måste ligga mellan {EARLIEST_DATE.isoformat()} och {LATEST_DATE.isoformat()}"
        )


# The dependencies that do no I/O are ``async``: FastAPI runs every plain ``def`` dependency in
# a worker thread, and each such hop waits for a turn of the event loop. Under load (50
# clients, the loop busy with cached public answers) each turn took tens of milliseconds,
# so a write with six hops answered in ~250 ms. A session connects on its first query (in
# the endpoint's thread); closing it returns the connection to the pool.


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    return request.app.state.engine


async def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> AsyncIterator[Session]:
    """A session per request; committed by the router when it writes."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Inloggning krävs för planeringsdelen.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def request_token(request: Request, bearer: str | None) -> tuple[str | None, bool]:
    """The token a request carries and whether it came from the sign-in cookie."""
    if bearer:
        return bearer, False
    cookie = request.cookies.get(TOKEN_COOKIE)
    return (cookie, True) if cookie else (None, False)


def check_same_origin(request: Request) -> None:
    """Refuse a cookie-authenticated write whose Origin (or Referer) is another site."""
    source = request.headers.get("origin") or request.headers.get("referer")
    host = request.headers.get("host", "")
    if not source or urlsplit(source).netloc != host:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="Ändringar med inloggningskakan måste komma från tjänstens egna sidor.",
        )


def current_user(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The user behind a valid bearer token or sign-in cookie; 401 otherwise.

    Writes authenticated by the cookie must come from this site (Origin check).
    """
    token, from_cookie = request_token(request, bearer)
    user = user_for_token(session, token) if token else None
    if user is None:
        raise _unauthorized()
    if from_cookie and request.method not in SAFE_METHODS:
        check_same_origin(request)
    request.state.user = user
    return user


@dataclass(frozen=True)
class Access:
    """What :func:`require_role` established: who, in which workspace, with which roles."""

    user: User
    workspace: Workspace
    roles: frozenset[str]


def _workspace_of_municipality(session: Session, municipality: str) -> Workspace | None:
    code = find_municipality(municipality).code  # unknown municipality: 404
    return session.exec(select(Workspace).where(col(Workspace.municipality_code) == code)).first()


def _row_id(params: dict[str, Any], name: str) -> int:
    value = str(params[name])
    if not value.isdigit():
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"Ogiltigt id: {name}.")
    return int(value)


def _workspace_id_of_row(session: Session, params: dict[str, Any]) -> int | None:
    """The workspace id of the row a path names by id (404 when the row does not exist)."""
    if "plan_id" in params:
        return workspace_id_or_404(session, CheckpointPlan, _row_id(params, "plan_id"), "Plan")
    if "walk_id" in params:
        return workspace_id_or_404(session, WalkRow, _row_id(params, "walk_id"), "Vandring")
    if "finding_id" in params:
        finding = get_or_404(session, FindingRow, _row_id(params, "finding_id"), "Fynd")
        return get_row(session, WalkRow, finding.walk_id).workspace_id
    if "activity_id" in params:
        activity = get_or_404(session, ActivityRow, _row_id(params, "activity_id"), "Aktivitet")
        return get_row(session, PromiseRow, activity.promise_id).workspace_id
    if "promise_id" in params:
        promise_id = _row_id(params, "promise_id")
        return get_or_404(session, PromiseRow, promise_id, "Medborgarlöfte").workspace_id
    return None


def require_role(*roles: str) -> Any:
    """A dependency: the signed-in user must hold one of ``roles`` in the path's workspace.

    The workspace comes from the path: ``{municipality}`` (name or code), or the row named by
    ``{plan_id}``, ``{walk_id}``, ``{finding_id}``, ``{activity_id}`` or ``{promise_id}``.

    Answers 401 without a valid token; 404 for an unknown municipality or row, and for a row
    of a workspace where the user has no membership; 403 for a municipality where the user
    has no membership, and for a member without one of ``roles``.

    Use it as a parameter type; the router gets an :class:`Access`::

        @router.get("/api/plans/{plan_id}")
        def read_plan(plan_id: int, access: Annotated[Access, require_role(*SECRET)]): ...

    or use the ready aliases :data:`SecretAccess`, :data:`FollowUpRead`, ...
    """
    allowed = frozenset(roles)

    def check(
        request: Request,
        session: SessionDep,
        bearer: Annotated[str | None, Depends(oauth2_scheme)],
    ) -> Access:
        user = current_user(request, session, bearer)  # in this thread: one hop, not two
        params = request.path_params
        if "municipality" in params:
            workspace = _workspace_of_municipality(session, params["municipality"])
            held = roles_in(session, user.id, workspace.id) if workspace else frozenset()
            if workspace is None or not held:
                raise HTTPException(
                    status.HTTP_403_FORBIDDEN,
                    "Du har ingen behörighet i den här kommunens arbetsyta.",
                )
        else:
            workspace_id = _workspace_id_of_row(session, params)
            if workspace_id is None:
                raise RuntimeError(f"require_role on a path without a workspace: {request.url}")
            workspace = get_row(session, Workspace, workspace_id)
            held = roles_in(session, user.id, workspace_id)
            if not held:
                # Rows of other workspaces do not exist for this user.
                raise HTTPException(status.HTTP_404_NOT_FOUND, "Posten finns inte.")
        if not held & allowed:
            names = ", ".join(sorted(allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"Din roll räcker inte; det här kräver rollen {names}."
            )
        # The public cache drops this municipality's answers after a successful write.
        setattr(request.state, WORKSPACE_STATE, workspace.municipality_code)
        return Access(user=user, workspace=workspace, roles=held)

    check.roles = allowed  # type: ignore[attr-defined]  # for the role matrix test
    return Depends(check)


#: Signed in, for a user's own account (sign-out, own API keys, own memberships).
SignedInDep = Annotated[User, Depends(current_user)]
#: Planned sites, schedules, executed activities (read and write): polis.
SecretAccess = Annotated[Access, require_role(*SECRET)]
#: Walks and findings, read: kommun, polis, läsare.
FollowUpRead = Annotated[Access, require_role(*FOLLOW_UP_READ)]
#: Walks and findings, write: kommun.
FollowUpWrite = Annotated[Access, require_role(*FOLLOW_UP_WRITE)]
#: Promises and their activities, write: kommun, polis.
PromiseWrite = Annotated[Access, require_role(*PROMISE_WRITE)]
#: Members of the workspace: admin.
AdminAccess = Annotated[Access, require_role(*ADMIN)]

#: The ``Idempotency-Key`` request header of a new finding: a key the sender makes once per
#: finding (the phone page: ``crypto.randomUUID()``) and sends again with every retry, so a
#: finding resent after a lost answer is stored once (see ``crud.finding_sent_before``).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="8–100 letters, digits, - and _; the same key returns the stored finding",
    ),
]
