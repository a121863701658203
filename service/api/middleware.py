"""ASGI middleware: body size limit, injected settings, security headers."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geodata.settings import use_settings
from service.settings import Settings


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header or while streaming."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int | None = None,
        upload_paths: str | None = None,
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        #: Paths (a regular expression) that take photo uploads, and their larger limit.
        self.upload_bytes = upload_bytes or max_bytes
        self.upload_paths = re.compile(upload_paths) if upload_paths else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on unless its body is over the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.default_bytes
        if self.upload_paths is not None and self.upload_paths.fullmatch(scope.get("path", "")):
            max_bytes = self.upload_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _too_large(send, max_bytes)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _BodyTooLargeError(max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLargeError:
            await _too_large(send, max_bytes)


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


class SecurityHeaders:
    """Headers on every answer: no caching of anything but static assets, no sniffing.

    Planner answers (sites, schedules, pages) must never be kept by a browser or proxy, so
    everything except ``/static`` is ``Cache-Control: no-store``; the public pages are cheap
    to serve again from the service's own cache.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"cache-control"]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"SAMEORIGIN"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
