"""Service settings: the data-layer settings plus database, secrecy and limits."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from pydantic import Field

from geodata.settings import GeodataSettings, injected_settings


class Settings(GeodataSettings):
    """All settings, from ``LOFTESPLAN_*`` environment variables."""

    database_url: str | None = None
    #: Executed activities become public only this long after they happened.
    public_delay_hours: int = 24
    #: Request bodies larger than this are refused with 413.
    max_body_bytes: int = Field(default=2_000_000, ge=1_000)
    #: Request bodies with photos of a walk finding (three photos of at most 10 MB each).
    max_upload_bytes: int = Field(default=32_000_000, ge=1_000)
    #: Public answers are served from memory this long (0 turns the cache off).
    public_cache_s: float = Field(default=30.0, ge=0)
    #: Seconds a public answer may still be served after a write in its municipality (0: drop
    #: it at once). Public figures count work older than ``public_delay_hours`` (a day), so a
    #: second's lag after a write changes nothing a citizen could notice, while it bounds the
    #: work a stream of writes causes: each public answer is recomputed at most once a second
    #: whatever the write rate (with 0, every write recomputes every answer of its
    #: municipality; at 5 % writes among 50 busy clients p95 rose from ~250 to ~700 ms).
    #: A write shows on the public pages within this time plus one recomputation.
    public_cache_write_grace_s: float = Field(default=1.0, ge=0, le=60)
    #: Bounds of that cache: answers held, and their total size in bytes.
    public_cache_entries: int = Field(default=2000, ge=1)
    public_cache_bytes: int = Field(default=64_000_000, ge=100_000)
    #: Sign-in sessions (cookie or bearer token from ``/api/token``) end after this long.
    session_hours: float = Field(default=12.0, gt=0, le=24 * 31)
    #: Failed sign-ins allowed per account, and per client address, within the window.
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_s: float = Field(default=900.0, gt=0)
    #: The sign-in cookie's ``Secure`` flag; None: set it when the request came over HTTPS.
    secure_cookie: bool | None = None
    #: Checkpoint plan jobs that run at once; the rest wait in a queue.
    max_plan_jobs: int = Field(default=2, ge=1, le=64)
    #: Seconds ``/health`` reuses a successful database write check (0: check every call).
    health_check_interval_s: float = Field(default=2.0, ge=0, le=60)
    #: Minutes between polls of polisen.se's public events (0: never; never when offline).
    polisen_poll_minutes: float = Field(default=30.0, ge=0)
    #: Lowest level of the log messages shown (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``).
    log_level: str = Field(default="WARNING", pattern="^(DEBUG|INFO|WARNING|ERROR)$")

    def allowed_osm_file(self, name: str | None) -> Path | None:
        """An OSM file a client names, only if it lies in the shared or data directory.

        The service must not read arbitrary server paths on a client's request.
        """
        if not name:
            return None
        from geodata.errors import InvalidInputError

        if any(ord(c) < 32 or c == "\x7f" for c in name) or len(name) > 300:
            raise InvalidInputError("OSM-filens namn innehåller otillåtna tecken.")
        roots = [r.resolve() for r in (self.shared_dir, self.data_dir) if r is not None]
        for root in roots:
            candidate = (root / name).resolve()
            if candidate.is_file() and candidate.is_relative_to(root):
                return candidate
        raise InvalidInputError(
            f"OSM-filen {name!r} finns inte i tjänstens datakatalog; ange en sökväg relativt "
            "datakatalogen eller hämta data med `loftesplan data fetch`."
        )

    @property
    def resolved_database_url(self) -> str:
        """The database URL; a SQLite file in the data directory by default."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'loftesplan.db'}"


@lru_cache(maxsize=1)
def _from_environment() -> Settings:
    return Settings()


def get_service_settings() -> Settings:
    """The injected settings (see :mod:`geodata.settings`), else read once from the environment."""
    injected = injected_settings()
    return injected if isinstance(injected, Settings) else _from_environment()


def configure_logging(settings: Settings, *, server: bool = False) -> None:
    """Configure logging once, for the CLI or for ``serve``; library modules only log.

    The CLI shows bare messages on stderr (like Python's last-resort handler) and leaves a
    configuration already in place (tests); ``serve`` (itself a CLI command) replaces it with
    time, level and logger on every line.
    """
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s" if server else "%(message)s"
    logging.basicConfig(level=settings.log_level, format=fmt, force=server)
