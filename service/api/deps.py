"""FastAPI dependencies: settings, database session, the signed-in planner."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Engine
from sqlmodel import Session

from service.settings import Settings
from service.store.db import user_for_token
from service.store.models import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


def get_engine(request: Request) -> Engine:
    """The app's database engine."""
    return request.app.state.engine


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    """A session per request; committed by the router when it writes."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


#: Cookie set by the sign-in page, so planner pages work in a browser too.
TOKEN_COOKIE = "loftesplan_token"


def current_planner(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    """The planner behind the bearer token or the sign-in cookie; 401 otherwise."""
    token = token or request.cookies.get(TOKEN_COOKIE)
    user = user_for_token(session, token) if token else None
    if user is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Inloggning krävs för planeringsdelen.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
PlannerDep = Annotated[User, Depends(current_planner)]
