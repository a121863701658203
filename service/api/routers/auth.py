"""Sign-in, sign-out, password change and API keys.

Sign-in (``/api/token`` and the ``/logga-in`` page) goes through :func:`sign_in`: a
per-account and a per-address limit on failed attempts (429 with ``Retry-After``), and the
same password work for unknown and known names.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from service.api.deps import SessionDep, SettingsDep, SignedInDep, oauth2_scheme, request_token
from service.settings import Settings
from service.store.accounts import memberships_of, set_password
from service.store.db import audit
from service.store.models import ApiToken, User
from service.store.security import (
    API_KEY,
    RateLimiter,
    authenticate,
    issue_token,
    revoke_token,
    token_row,
    verify_password,
)

router = APIRouter(prefix="/api", tags=["inloggning"])


class TokenOut(BaseModel):
    """OAuth2 token response."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Sekunder tills sessionen upphör.")


def limiters(request: Request) -> tuple[RateLimiter, RateLimiter]:
    """The app's (per-account, per-address) limiters, made on first use."""
    state = request.app.state
    if not hasattr(state, "login_limiters"):
        settings: Settings = state.settings
        state.login_limiters = (
            RateLimiter(settings.login_failures_per_account, settings.login_window_s),
            RateLimiter(settings.login_failures_per_address, settings.login_window_s),
        )
    return state.login_limiters


def sign_in(request: Request, session: Session, username: str, password: str) -> User:
    """Check a sign-in; 429 with ``Retry-After`` over the limits, 401 on a wrong pair."""
    per_account, per_address = limiters(request)
    account, address = username.casefold(), request.client.host if request.client else "?"
    wait = max(per_account.retry_after(account), per_address.retry_after(address))
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"För många misslyckade inloggningar; försök igen om {wait} sekunder.",
            headers={"Retry-After": str(wait)},
        )
    user = authenticate(session, username, password)
    if user is None:
        per_account.fail(account)
        per_address.fail(address)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "Fel användarnamn eller lösenord.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    per_account.reset(account)
    return user


def session_lifetime(settings: Settings) -> timedelta:
    """How long a sign-in session lasts."""
    return timedelta(hours=settings.session_hours)


@router.post("/token")
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> TokenOut:
    """Exchange a username and password for a bearer token that expires."""
    user = sign_in(request, session, form.username, form.password)
    lifetime = session_lifetime(settings)
    token = issue_token(session, user, name="inloggning", lifetime=lifetime)
    session.commit()
    return TokenOut(access_token=token, expires_in=int(lifetime.total_seconds()))


@router.post("/logga-ut", status_code=204)
def logout(
    request: Request,
    session: SessionDep,
    _user: SignedInDep,
    bearer: Annotated[str | None, Depends(oauth2_scheme)],
) -> None:
    """End the session (or revoke the key) the request is signed in with."""
    token, _ = request_token(request, bearer)
    revoke_token(session, token or "")
    session.commit()


class PasswordIn(BaseModel):
    """Change one's own password: every session and key of the account ends."""

    current: str = Field(min_length=1, max_length=200)
    new: str = Field(min_length=8, max_length=200)


@router.post("/losenord", status_code=204)
def change_password(body: PasswordIn, session: SessionDep, user: SignedInDep) -> None:
    """Change the signed-in user's password; all their tokens are revoked."""
    if not verify_password(body.current, user.password_hash):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Nuvarande lösenord stämmer inte.")
    set_password(session, user, body.new)
    audit(session, username=user.username, action="update", entity="password", entity_id=user.id)
    session.commit()


class KeyIn(BaseModel):
    """A new API key for scripts."""

    name: str = Field(min_length=1, max_length=80)
    days: int | None = Field(default=None, ge=1, le=3650, description="Giltig så här många dagar")


class KeyOut(BaseModel):
    """An API key or session as listed (never the secret)."""

    id: int
    name: str
    kind: str
    created_at: datetime
    expires_at: datetime | None


class NewKeyOut(KeyOut):
    """A new key: the secret is shown this once."""

    token: str


def _key_out(row: ApiToken) -> KeyOut:
    return KeyOut.model_validate(row, from_attributes=True)


@router.get("/nycklar")
def list_keys(session: SessionDep, user: SignedInDep) -> list[KeyOut]:
    """The signed-in user's API keys and open sessions."""
    rows = session.exec(
        select(ApiToken).where(col(ApiToken.user_id) == user.id).order_by(col(ApiToken.id))
    )
    return [_key_out(r) for r in rows]


@router.post("/nycklar", status_code=201)
def create_key(body: KeyIn, session: SessionDep, user: SignedInDep) -> NewKeyOut:
    """Create an API key (valid until revoked, or for ``days``)."""
    lifetime = timedelta(days=body.days) if body.days else None
    token = issue_token(session, user, name=body.name, kind=API_KEY, lifetime=lifetime)
    row = token_row(session, token)
    if row is None:  # just issued, so it is there
        raise LookupError("the new key is missing")
    session.commit()
    return NewKeyOut(**_key_out(row).model_dump(), token=token)


@router.delete("/nycklar/{key_id}", status_code=204)
def revoke_key(key_id: int, session: SessionDep, user: SignedInDep) -> None:
    """Revoke one of the signed-in user's keys or sessions."""
    row = session.get(ApiToken, key_id) if 0 < key_id < 2**63 else None
    if row is None or row.user_id != user.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"Nyckel {key_id} finns inte.")
    session.delete(row)
    session.commit()


class MembershipOut(BaseModel):
    """A workspace role the signed-in user holds."""

    municipality_code: str
    municipality_name: str
    role: str


@router.get("/jag")
def me(session: SessionDep, user: SignedInDep) -> dict[str, object]:
    """The signed-in user and the roles they hold, per municipality."""
    roles = [
        MembershipOut(
            municipality_code=w.municipality_code, municipality_name=w.municipality_name, role=r
        )
        for w, r in memberships_of(session, user.id)
    ]
    return {"username": user.username, "memberships": roles}
