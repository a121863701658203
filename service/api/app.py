"""Application factory."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from geodata.errors import LoftesplanError


def create_app() -> FastAPI:
    """Build the FastAPI application."""
    app = FastAPI(title="Löftesplan", version="0.1.0")

    @app.exception_handler(LoftesplanError)
    async def _user_error(_request, exc: LoftesplanError):  # noqa: ANN001, ANN202
        from fastapi.responses import JSONResponse

        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})

    @app.get("/", response_class=HTMLResponse)
    def start_page() -> str:
        return (
            "<!doctype html><html lang='sv'><head><meta charset='utf-8'>"
            "<title>Löftesplan</title></head><body><h1>Löftesplan</h1>"
            "<p>Planera och följ upp medborgarlöften. API: <a href='/docs'>/docs</a></p>"
            "</body></html>"
        )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
