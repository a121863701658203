"""A bounded response cache for the public read endpoints.

Public figures are aggregated and delayed by hours anyway, so serving them from memory for
a few seconds changes nothing a citizen sees; it keeps the read endpoints fast under load
(every public request would otherwise re-aggregate all executed activities).

* The key is the normalised path plus only the query parameters the matched route reads
  (sorted), so arbitrary query strings cannot grow the cache.
* Each entry is tagged with its municipality (from the path); a successful write in a
  workspace (``require_role`` records which) expires that municipality's entries, nothing
  else, at once or ``write_grace_s`` later. National answers (``/``, ``/sverige``,
  ``/api/public/sverige``) read Polisen's notices and the list of workspaces, which no API
  write changes (the API grants roles only inside an existing workspace), so writes keep
  them. Writes that touch no workspace (own API keys, sign-out) keep the cache. The time
  limit bounds staleness when another process (the CLI) writes to the same database.
* An answer computed while a write in its municipality committed may predate the write:
  it is stored with the write's deadline (computation start + ``write_grace_s``), so a
  write is never hidden for the whole time limit.
* The cache is bounded in entries and bytes (least recently used goes first).
"""

from __future__ import annotations

import asyncio
import posixpath
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: GET paths whose answers are the same for everyone (no planner data, no cookies read).
PUBLIC_PATHS = re.compile(
    r"^/($|sverige$|kommun/[^/]+(/karta|/uppfoljning/\d+)?$|api/public/"
    r"|api/workspaces/[^/]+/promises$)"
)
#: Where a public path names its municipality.
_MUNICIPALITY = re.compile(r"^/(?:kommun|api/public|api/workspaces)/([^/]+)")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Request state key where ``service.api.deps.require_role`` records the workspace written to.
WORKSPACE_STATE = "workspace_code"


@dataclass
class _Entry:
    expires: float
    start: Message
    body: bytes
    municipality: str | None


def normalise_path(path: str) -> str:
    """One spelling per path: decoded, no dot segments, no repeated or trailing slashes."""
    clean = posixpath.normpath("/" + unquote(path).strip("/"))
    return "/" if clean in ("/", "//", ".") else clean


def _municipality_code(path: str) -> str | None:
    match = _MUNICIPALITY.match(path)
    if match is None:
        return None
    from geodata.municipalities import find_municipality

    try:
        return find_municipality(match.group(1)).code
    except Exception:  # an unknown name answers 404 and is never cached
        return None


@dataclass
class PublicResponseCache:
    """ASGI middleware: cache 200 answers of public GETs for ``ttl_s`` seconds."""

    app: ASGIApp
    ttl_s: float = 30.0
    write_grace_s: float = 0.0
    max_entries: int = 2000
    max_bytes: int = 64_000_000
    _entries: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    _bytes: int = 0
    _pending: dict[str, asyncio.Event] = field(default_factory=dict)
    _path_params: dict[str, frozenset[str]] = field(default_factory=dict)
    #: When the latest successful write in each municipality answered (monotonic clock).
    _written: dict[str, float] = field(default_factory=dict)
    #: How many answers were computed and stored, per municipality (None: national).
    computed: dict[str | None, int] = field(default_factory=dict)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve from the cache, fill it, or invalidate after a successful write."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in WRITE_METHODS:
            await self.app(scope, receive, self._invalidating(scope, send))
            return
        path = normalise_path(scope["path"])
        if method != "GET" or not PUBLIC_PATHS.match(path) or self.ttl_s <= 0:
            await self.app(scope, receive, send)
            return
        query_string = scope.get("query_string", b"")
        key = self._key(path, query_string)
        if key is None:
            # The path's first request learns its route; the others arriving meanwhile wait
            # for it (50 cold clients would otherwise compute the same answer in parallel).
            learning = self._pending.get("?" + path)
            if learning is not None:
                await learning.wait()
                key = self._key(path, query_string)
        if key is None:
            done = self._pending.setdefault("?" + path, asyncio.Event())
            try:
                await self.app(scope, receive, self._filling(None, path, send, scope))
            finally:
                done.set()
                if self._pending.get("?" + path) is done:
                    del self._pending["?" + path]
            return
        if await self._serve_cached(key, send):
            return
        # Single flight: when many clients miss at once, one computes and the rest wait for it
        # (otherwise 50 cold misses aggregate the same rows 50 times in parallel). While it
        # runs they get the answer it replaces, if that is still held: one that expired by
        # time. Entries a write drops at once (no grace) are gone, so then everyone waits.
        pending = self._pending.get(key)
        if pending is not None:
            if await self._serve_cached(key, send, stale=True):
                return
            await pending.wait()
            if await self._serve_cached(key, send):
                return
        done = self._pending.setdefault(key, asyncio.Event())
        try:
            await self.app(scope, receive, self._filling(key, path, send))
        finally:
            done.set()
            if self._pending.get(key) is done:
                del self._pending[key]

    def _key(self, path: str, query_string: bytes) -> str | None:
        """Normalised path and the (sorted) query parameters its route reads.

        None until a first answer for the path has shown which route serves it.
        """
        read = self._path_params.get(path)
        if read is None:
            return None
        query = parse_qsl(query_string.decode("latin-1"))
        kept = sorted((k, v) for k, v in query if k in read)
        return f"{path}?{urlencode(kept)}" if kept else path

    def _learn(self, path: str, scope: Scope) -> None:
        """Remember which query parameters the route that answered ``path`` reads."""
        dependant = getattr(scope.get("route"), "dependant", None)
        if dependant is None:
            return
        if len(self._path_params) >= 4 * self.max_entries:
            self._path_params.clear()
        self._path_params[path] = _query_names(dependant)

    async def _serve_cached(self, key: str, send: Send, *, stale: bool = False) -> bool:
        """Send the entry for ``key`` if it is held and fresh (or ``stale`` is allowed)."""
        entry = self._entries.get(key)
        if entry is None or (not stale and time.monotonic() >= entry.expires):
            return False
        self._entries.move_to_end(key)
        await send(entry.start)
        await send({"type": "http.response.body", "body": entry.body})
        return True

    def invalidate(self, municipality: str) -> None:
        """Expire a municipality's entries ``write_grace_s`` from now (0: at once).

        Under a stream of writes each answer is then recomputed at most once per grace
        period instead of after every write.
        """
        now = time.monotonic()
        self._written[municipality] = now
        deadline = now + self.write_grace_s
        for key in [k for k, e in self._entries.items() if e.municipality == municipality]:
            if self.write_grace_s <= 0:
                self._drop(key)
            else:
                self._entries[key].expires = min(self._entries[key].expires, deadline)

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry.body)

    def _invalidating(self, scope: Scope, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                code = scope.get("state", {}).get(WORKSPACE_STATE)
                if code is not None:
                    self.invalidate(code)
            await send(message)

        return wrapped

    def _store(self, key: str, started: float, entry: _Entry) -> None:
        """Keep ``entry``, computed from ``started`` on, unless a write has already expired it."""
        if entry.municipality is not None and self._written.get(entry.municipality, -1) >= started:
            entry.expires = min(entry.expires, started + self.write_grace_s)
        self.computed[entry.municipality] = self.computed.get(entry.municipality, 0) + 1
        if len(entry.body) > self.max_bytes or entry.expires <= time.monotonic():
            return
        self._drop(key)
        self._entries[key] = entry
        self._bytes += len(entry.body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _filling(self, key: str | None, path: str, send: Send, scope: Scope | None = None) -> Send:
        """Pass the answer on and store it; without a key, learn the route and store under it."""
        start: Message | None = None
        chunks: list[bytes] = []
        started = time.monotonic()

        async def wrapped(message: Message) -> None:
            nonlocal start, key
            if message["type"] == "http.response.start":
                start = message
                if key is None and scope is not None:  # the route has run: learn it
                    self._learn(path, scope)
                    key = self._key(path, scope.get("query_string", b""))
            elif message["type"] == "http.response.body" and start is not None and key:
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and start["status"] == 200:
                    body = b"".join(chunks)
                    entry = _Entry(started + self.ttl_s, start, body, _municipality_code(path))
                    self._store(key, started, entry)
            await send(message)

        return wrapped

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        return len(self._entries), self._bytes


def _query_names(dependant: Any) -> frozenset[str]:
    """Query parameter names a FastAPI dependant reads, with its sub-dependencies."""
    names = {getattr(p, "alias", None) or p.name for p in getattr(dependant, "query_params", ())}
    for sub in getattr(dependant, "dependencies", ()):
        names |= _query_names(sub)
    return frozenset(names)
