"""Application factory: settings, database, error mapping, body limit, routers, pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geodata.errors import LoftesplanError
from geodata.settings import use_settings
from service.api.cache import PublicResponseCache
from service.api.routers import (
    auth,
    executed,
    pages,
    plans,
    promises,
    public,
    walks,
    workspaces,
)
from service.settings import Settings, get_service_settings
from service.store.db import engine_for

STATIC = Path(__file__).resolve().parents[1] / "render" / "static"


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on unless its body is over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLargeError(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLargeError:
            await _too_large(send, self.max_bytes)


class _BodyTooLargeError(HTTPException):
    # An HTTPException, because FastAPI turns any other error raised while it reads the body
    # into "400 error parsing the body"; this one it passes on to become the 413.
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large_detail(limit))


def _too_large_detail(limit: int) -> str:
    return f"Förfrågan är större än {limit} byte."


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse(status_code=413, content={"detail": _too_large_detail(limit)})
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class InjectSettings:
    """Inject the app's settings into the data layer for each request (and its background work)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request with ``geodata.settings.get_settings()`` returning the app's settings."""
        with use_settings(self.settings):
            await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application on ``settings`` (default: from the environment)."""
    settings = settings or get_service_settings()
    app = FastAPI(
        title="Löftesplan",
        version="0.1.0",
        description="Planera och följ upp medborgarlöften: kontroller, trygghetsvandringar, "
        "täckningskartor. Planeringsdelen kräver inloggning; den publika delen visar bara "
        "utfört arbete, sammanräknat per tätort eller hexagon och med fördröjning.",
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.resolved_database_url)

    @app.exception_handler(LoftesplanError)
    async def _user_error(_request: Request, exc: LoftesplanError) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    @app.exception_handler(ValidationError)
    async def _invalid(_request: Request, exc: ValidationError) -> JSONResponse:
        errors = [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]
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

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # A person who opens a planner page without signing in gets the sign-in form.
        wants_page = "text/html" in request.headers.get("accept", "")
        if exc.status_code == 401 and wants_page and request.url.path.startswith("/planering"):
            return RedirectResponse(f"/logga-in?next={request.url.path}", status_code=303)
        return await http_exception_handler(request, exc)

    @app.get("/health", tags=["drift"])
    def health() -> dict[str, str]:
        """Liveness check."""
        return {"status": "ok"}

    for module in (auth, workspaces, promises, plans, executed, walks, public, pages):
        app.include_router(module.router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(PublicResponseCache, ttl_s=settings.public_cache_s)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(InjectSettings, settings=settings)
    return app
