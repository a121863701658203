"""Error answers: every failure a client can cause or meet is a 4xx/503 with a Swedish message.

The shapes are documented in the OpenAPI schema (:data:`ERROR_RESPONSES`) so clients (and
schemathesis) can rely on them.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from geodata.errors import LoftesplanError

log = logging.getLogger(__name__)

#: Seconds a client should wait before trying again when the database is busy or full.
DB_RETRY_AFTER_S = 5

#: Paths of signed-in pages: without a session a browser is sent to the sign-in form.
PLANNER_PAGES = ("/planering", "/arbetsyta")


class ErrorOut(BaseModel):
    """An error: a Swedish message, or for invalid fields the list of what was wrong."""

    detail: str | list[dict[str, Any]]


_DESCRIPTIONS = {
    400: "Felaktig förfrågan",
    401: "Inloggning krävs",
    403: "Saknar behörighet",
    404: "Finns inte",
    409: "Krockar med nuvarande läge",
    413: "För stor förfrågan",
    422: "Ogiltiga värden",
    429: "För många försök",
    503: "Tillfälligt otillgänglig (databasen upptagen eller full); se Retry-After",
}

#: Documented on every operation.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "model": ErrorOut,
        "description": text,
        # Errors are JSON on every route, also on those whose success is an HTML page.
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    }
    for code, text in _DESCRIPTIONS.items()
}


def _db_unavailable(exc: OperationalError) -> JSONResponse | None:
    """503 for a locked, full or read-only database; None for other operational errors."""
    text = str(exc.orig or exc).lower()
    if "locked" in text or "busy" in text:
        message = "Databasen är upptagen just nu; försök igen om en stund."
    elif "full" in text or "disk i/o" in text or "no space" in text:
        message = "Databasen kan inte skriva (disken är full); försök igen senare."
    elif "readonly" in text or "read-only" in text or "unable to open" in text:
        message = "Databasen går inte att skriva till; kontakta driften."
    else:
        return None
    return JSONResponse(
        status_code=503,
        content={"detail": message},
        headers={"Retry-After": str(DB_RETRY_AFTER_S)},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Map every error family to its answer."""

    @app.exception_handler(LoftesplanError)
    async def _user_error(_request: Request, exc: LoftesplanError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    @app.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})

    @app.exception_handler(OverflowError)
    async def _too_big(_request: Request, _exc: OverflowError) -> JSONResponse:
        # A number beyond the database's 64-bit integers, or a date beyond year 9999.
        return JSONResponse(
            status_code=422, content={"detail": "Ett tal eller datum är för stort."}
        )

    @app.exception_handler(IntegrityError)
    async def _conflict(_request: Request, _exc: IntegrityError) -> JSONResponse:
        return JSONResponse(
            status_code=409, content={"detail": "Posten krockar med en befintlig post."}
        )

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> Response:
        answer = _db_unavailable(exc)
        if answer is None:
            raise exc
        log.warning("database unavailable: %s", exc.orig)
        return answer

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # A person who opens a planner page without signing in gets the sign-in form.
        wants_page = "text/html" in request.headers.get("accept", "")
        path = request.url.path
        if exc.status_code == 401 and wants_page and path.startswith(PLANNER_PAGES):
            return RedirectResponse(f"/logga-in?next={path}", status_code=303)
        return await http_exception_handler(request, exc)
