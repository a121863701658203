"""Application factory: settings, database, jobs, error mapping, middleware, routers, docs."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from service.api.cache import PublicResponseCache
from service.api.errors import DB_RETRY_AFTER_S, ERROR_RESPONSES, install_error_handlers
from service.api.middleware import BodySizeLimit, InjectSettings, SecurityHeaders
from service.api.routers import (
    auth,
    executed,
    pages,
    plans,
    promises,
    public,
    walks,
    workplace,
    workplace_findings,
    workplace_notices,
    workplace_plans,
    workplace_walks,
    workspaces,
)
from service.settings import Settings, get_service_settings
from service.store.db import CachedHealth, engine_for
from service.store.jobs import PlanJobs, fail_interrupted_jobs

STATIC = Path(__file__).resolve().parents[1] / "render" / "static"
#: Vendored API documentation assets (swagger-ui-dist and redoc from npm, licences beside).
SWAGGER = "/static/vendor/swagger-ui"
REDOC = "/static/vendor/redoc"
#: No icon request leaves the service (FastAPI's default favicon is on its own website).
FAVICON = "data:,"
#: The paths that take photos (a finding with up to three photos of 10 MB each).
PHOTO_UPLOADS = r"/vandring/\d+/fynd"


class HealthOut(BaseModel):
    """Liveness and whether the database can take a write."""

    status: str
    database: str


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application on ``settings`` (default: from the environment).

    Plan jobs that a dead process left queued or running are failed here, at start-up.
    """
    settings = settings or get_service_settings()
    app = FastAPI(
        title="Löftesplan",
        version="0.1.0",
        description="Planera och följ upp medborgarlöften: kontroller, trygghetsvandringar, "
        "täckningskartor. Planeringsdelen kräver inloggning och en roll i kommunens "
        "arbetsyta; den publika delen visar bara utfört arbete, sammanräknat per tätort "
        "eller hexagon och med fördröjning.",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.engine = engine_for(settings.resolved_database_url)
    app.state.interrupted_jobs = fail_interrupted_jobs(app.state.engine)
    app.state.plan_jobs = PlanJobs(app.state.engine, settings.max_plan_jobs)
    install_error_handlers(app)

    health_check = CachedHealth(app.state.engine, settings)

    @app.get("/health", tags=["drift"], responses={503: {"model": HealthOut}})
    async def health() -> HealthOut:
        """Liveness, and whether the database can be written (503 when not)."""
        # A reused success answers in the event loop; the check itself (a rolled-back write)
        # runs in a worker thread, whose hop waits for a turn of a busy loop.
        problem = None if health_check.recently_ok else await run_in_threadpool(health_check)
        if problem is None:
            return HealthOut(status="ok", database="skrivbar")
        return JSONResponse(  # type: ignore[return-value]
            status_code=503,
            content=HealthOut(status="fel", database=problem).model_dump(),
            headers={"Retry-After": str(DB_RETRY_AFTER_S)},
        )

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Löftesplan – API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=FAVICON,
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Löftesplan – API",
            redoc_js_url=f"{REDOC}/redoc.standalone.js",
            redoc_favicon_url=FAVICON,
            with_google_fonts=False,
        )

    routers = (auth, workspaces, promises, plans, executed, walks, public, pages)
    for module in (
        *routers,
        workplace,
        workplace_plans,
        workplace_notices,
        workplace_walks,
        workplace_findings,
    ):
        app.include_router(module.router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(
        PublicResponseCache,
        ttl_s=settings.public_cache_s,
        write_grace_s=settings.public_cache_write_grace_s,
        max_entries=settings.public_cache_entries,
        max_bytes=settings.public_cache_bytes,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        upload_paths=PHOTO_UPLOADS,
    )
    app.add_middleware(SecurityHeaders)
    app.add_middleware(InjectSettings, settings=settings)
    return app
