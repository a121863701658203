"""Persistence: engine, migrations, sessions, password and token hashing, audit trail.

SQLite by default (WAL so readers never block the writer, foreign keys on), any SQLAlchemy
URL (PostgreSQL) when configured. The schema is owned by Alembic migrations in
``service/migrations``.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, make_url
from sqlmodel import Session, create_engine, select

from service.store.models import ApiToken, AuditEntry, User, Workspace, utcnow

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
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
            connect_args={"check_same_thread": False, "timeout": 30},
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


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One migrated engine per URL for the life of the process."""
    migrate(url)
    return make_engine(url)


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


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash a password with scrypt (stdlib, no extra dependency) as ``scrypt$salt$hash``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    try:
        _, salt_hex, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt=bytes.fromhex(salt_hex)), stored)


def token_hash(token: str) -> str:
    """sha-256 of a bearer token: tokens are long random strings, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session: Session, username: str, password: str, role: str = "planner") -> User:
    """Add a planner account."""
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def issue_token(session: Session, user: User, name: str = "") -> str:
    """Create a bearer token for ``user``; only its hash is stored, the token is returned once."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), name=name))
    session.flush()
    return token


def user_for_token(session: Session, token: str) -> User | None:
    """The user a bearer token belongs to, if any."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    return session.get(User, row.user_id) if row else None


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
    query = select(Workspace).where(Workspace.municipality_code == found.code)
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
