"""Sign-in: OAuth2 password flow that hands out a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlmodel import select

from service.api.deps import SessionDep
from service.store.db import issue_token, verify_password
from service.store.models import User

router = APIRouter(prefix="/api", tags=["inloggning"])


class TokenOut(BaseModel):
    """OAuth2 token response."""

    access_token: str
    token_type: str = "bearer"


@router.post("/token")
def login(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> TokenOut:
    """Exchange a planner's username and password for a bearer token."""
    user = session.exec(select(User).where(User.username == form.username)).first()
    if user is None or not verify_password(form.password, user.password_hash):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Fel användarnamn eller lösenord.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = issue_token(session, user, name="inloggning")
    session.commit()
    return TokenOut(access_token=token)
