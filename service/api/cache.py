"""A small response cache for the public read endpoints.

Public figures are aggregated and delayed by hours anyway, so serving them from memory for
a few seconds changes nothing a citizen sees; it keeps the read endpoints fast under load
(every public request would otherwise re-aggregate all executed activities). Any successful
write through this process clears the cache; the time limit bounds staleness when several
processes share a database.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: GET paths whose answers are the same for everyone (no planner data, no cookies read).
PUBLIC_PATHS = re.compile(
    r"^/($|kommun/[^/]+(/karta|/uppfoljning/\d+)?$|api/public/|api/workspaces/[^/]+/promises$)"
)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class _Entry:
    stored: float
    start: Message
    body: bytes


@dataclass
class PublicResponseCache:
    """ASGI middleware: cache 200 answers of public GETs for ``ttl_s`` seconds."""

    app: ASGIApp
    ttl_s: float = 30.0
    max_entries: int = 2000
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _pending: dict[str, asyncio.Event] = field(default_factory=dict)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the cache, fill it, or clear it after a successful write."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in WRITE_METHODS:
            await self.app(scope, receive, self._clearing(send))
            return
        path = scope["path"]
        if method != "GET" or not PUBLIC_PATHS.match(path):
            await self.app(scope, receive, send)
            return
        key = f"{path}?{scope.get('query_string', b'').decode('latin-1')}"
        if await self._serve_cached(key, send):
            return
        # Single flight: when many clients miss at once, one computes and the rest wait for it
        # (otherwise 50 cold misses aggregate the same rows 50 times in parallel).
        pending = self._pending.get(key)
        if pending is not None:
            await pending.wait()
            if await self._serve_cached(key, send):
                return
        done = self._pending.setdefault(key, asyncio.Event())
        try:
            await self.app(scope, receive, self._filling(key, send))
        finally:
            done.set()
            if self._pending.get(key) is done:
                del self._pending[key]

    async def _serve_cached(self, key: str, send: Send) -> bool:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry.stored >= self.ttl_s:
            return False
        await send(entry.start)
        await send({"type": "http.response.body", "body": entry.body})
        return True

    def _clearing(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                self._entries.clear()
            await send(message)

        return wrapped

    def _filling(self, key: str, send: Send) -> Send:
        start: Message | None = None
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start["status"] == 200:
                    if len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[key] = _Entry(time.monotonic(), start, b"".join(chunks))
            await send(message)

        return wrapped
