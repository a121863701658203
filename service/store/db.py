"""Persistence: engine, migrations, sessions, audit trail, workspaces.

Passwords and tokens live in :mod:`service.store.security`, accounts and memberships in
:mod:`service.store.accounts`.

SQLite by default (WAL so readers never block the writer, foreign keys on), any SQLAlchemy
URL (PostgreSQL) when configured. The schema is owned by Alembic migrations in
``service/migrations``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, col, create_engine, select

from geodata.errors import LoftesplanError
from service.store.models import AuditEntry, Workspace, utcnow

RowT = TypeVar("RowT", bound=SQLModel)


def get_row(session: Session, model: type[RowT], key: Any) -> RowT:
    """The row of ``model`` with primary key ``key``, one that must exist.

    For rows a foreign key or the caller's own earlier step guarantees (a plan's workspace, a
    job's plan). A missing one is a bug, not a user mistake: ``LookupError``, never a 4xx.
    User-named rows go through ``crud.get_or_404`` instead.
    """
    row = session.get(model, key)
    if row is None:
        raise LookupError(f"{model.__name__} {key!r} saknas")
    return row


MIGRATIONS = Path(__file__).with_name("migrations")

#: How long a write waits for another writer's lock before the request gets a 503.
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        pool: dict[str, int] = {}
        if make_url(url).database not in (None, "", ":memory:"):
            # No cap on the pool: with the default cap (5 + 10), 50 concurrent clients (wrk)
            # left requests waiting out the 30 s pool timeout, then 500. SQLite connections to
            # a file are cheap.
            pool = {"pool_size": 10, "max_overflow": -1}
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
            pool_pre_ping=True,
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    command.upgrade(alembic_config(url), "head")


class StorageError(LoftesplanError):
    """The database or data directory cannot be written (read-only, missing, full)."""

    status_code = 503


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None: not SQLite, or in memory)."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return Path(database) if database not in (None, "", ":memory:") else None


def prepare_sqlite_file(path: Path) -> None:
    """Create the database's directory (0700) and file (0600) before SQLite does.

    Planned checkpoints are secrets: no other local account may read the file. A directory
    or file that cannot be written is one clear :class:`StorageError`.
    """
    directory = path.parent
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _writable(directory):
            raise StorageError(
                f"Datakatalogen {directory} är skrivskyddad; tjänsten behöver kunna skriva där "
                "(LOFTESPLAN_DATA_DIR)."
            )
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            path.chmod(0o600)  # whatever the umask
        else:  # an existing file keeps its owner bits but loses group and other access
            path.chmod(stat.S_IMODE(path.stat().st_mode) & 0o700)
    except OSError as exc:
        raise StorageError(
            f"Databasfilen {path} kan inte skapas eller skrivas ({exc.strerror}); "
            "kontrollera datakatalogen (LOFTESPLAN_DATA_DIR) och dess rättigheter."
        ) from exc
    if not _writable(path):
        raise StorageError(f"Databasfilen {path} är skrivskyddad; tjänsten behöver skriva i den.")


def _writable(path: Path) -> bool:
    # The owner's write bit too: a process running as root passes os.access on anything.
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & stat.S_IWUSR)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One migrated engine per URL for the life of the process."""
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_file(path)
    migrate(url)
    return make_engine(url)


def database_problem(engine: Engine) -> str | None:
    """Why the database cannot take a write now (Swedish), or None when it can.

    Tries a write that is rolled back, with a short lock timeout, and (SQLite) checks that
    the disk has room.
    """
    path = sqlite_path(str(engine.url))
    try:
        with engine.connect() as connection:
            if path is not None:
                connection.exec_driver_sql("PRAGMA busy_timeout=1000")
            try:
                connection.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
            finally:
                connection.rollback()
                if path is not None:
                    connection.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                    connection.rollback()
    except OperationalError as exc:
        return f"databasen kan inte skriva: {exc.orig}"
    if path is not None and shutil.disk_usage(path.parent).free < 10_000_000:
        return "disken där databasen ligger är full"
    return None


class CachedHealth:
    """:func:`database_problem`, with a success reused for ``health_check_interval_s``.

    The check is a rolled-back write; under load every ``/health`` call queued behind the
    writers. A failure is never reused, so a locked or full database shows at once.
    """

    def __init__(self, engine: Engine, settings: Any) -> None:
        self.engine = engine
        self.settings = settings
        self._ok_until = 0.0
        self._lock = threading.Lock()

    @property
    def recently_ok(self) -> bool:
        """Whether a success is still being reused (the answer needs no database call)."""
        return time.monotonic() < self._ok_until

    def __call__(self) -> str | None:
        """Why the database cannot take a write now (Swedish), or None when it can."""
        if time.monotonic() < self._ok_until:
            return None
        with self._lock:
            if time.monotonic() < self._ok_until:
                return None
            problem = database_problem(self.engine)
            if problem is None:
                self._ok_until = time.monotonic() + self.settings.health_check_interval_s
            return problem


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def audit(
    session: Session,
    *,
    username: str,
    action: str,
    entity: str,
    entity_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record who changed what."""
    session.add(
        AuditEntry(
            username=username,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail or {},
        )
    )


def workspace_for(session: Session, municipality: str) -> Workspace:
    """The workspace of a municipality (by name or code), created on first use."""
    from geodata.municipalities import find_municipality

    found = find_municipality(municipality)
    query = select(Workspace).where(col(Workspace.municipality_code) == found.code)
    row = session.exec(query).first()
    if row is not None:
        return row
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        # Concurrent first writes for a new municipality race between select and insert; an
        # upsert that yields to the winner keeps every one of them (a plain insert lost them
        # to the unique constraint as 409s).
        insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
        values = {"municipality_code": found.code, "municipality_name": found.name,
                  "created_at": utcnow()}  # fmt: skip
        session.exec(insert(Workspace).values(**values).on_conflict_do_nothing())
        return session.exec(query).one()
    row = Workspace(municipality_code=found.code, municipality_name=found.name)
    session.add(row)
    session.flush()
    return row
