"""Passwords, bearer tokens and sign-in rate limits.

Passwords are scrypt hashes; tokens are random strings stored as sha-256 hashes, either a
sign-in *session* (expires after ``Settings.session_hours``) or a named *API key* (until
revoked, or an optional expiry). Removing a user or changing a password deletes every token
of that user, so nothing issued before keeps working.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, delete, select

from service.store.models import ApiToken, User, utcnow

#: Token kinds: a sign-in session, or a named API key for scripts.
SESSION, API_KEY = "session", "key"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash a password with scrypt (stdlib, no extra dependency) as ``scrypt$salt$hash``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    try:
        _, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt=salt), stored)


#: Checked against when the user does not exist, so an unknown name costs as much as a known
#: one and the answer time does not tell which accounts exist.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user whose name and password match, else None; same work either way."""
    user = session.exec(select(User).where(col(User.username) == username)).first()
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    return user if user is not None and ok else None


def token_hash(token: str) -> str:
    """sha-256 of a bearer token: tokens are long random strings, so no salt is needed."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    user: User,
    name: str = "",
    *,
    kind: str = SESSION,
    lifetime: timedelta | None = timedelta(hours=12),
) -> str:
    """Create a token for ``user``; only its hash is stored, the token is returned once.

    ``lifetime`` None makes a token that lasts until revoked (API keys only).
    """
    token = secrets.token_urlsafe(32)
    expires = None if lifetime is None else utcnow() + lifetime
    row = ApiToken(
        user_id=user.id, token_hash=token_hash(token), name=name, kind=kind, expires_at=expires
    )
    session.add(row)
    session.flush()
    return token


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def token_row(session: Session, token: str) -> ApiToken | None:
    """The stored, unexpired token row for a bearer token, if any."""
    row = session.exec(
        select(ApiToken).where(col(ApiToken.token_hash) == token_hash(token))
    ).first()
    if row is None or (row.expires_at is not None and _aware(row.expires_at) <= utcnow()):
        return None
    return row


def user_for_token(session: Session, token: str) -> User | None:
    """The user an unexpired, unrevoked bearer token belongs to, if any."""
    row = token_row(session, token)
    return session.get(User, row.user_id) if row else None


def revoke_token(session: Session, token: str) -> bool:
    """End one session or key by its secret (sign-out); whether it existed."""
    result = session.exec(delete(ApiToken).where(col(ApiToken.token_hash) == token_hash(token)))
    return bool(result.rowcount)


def revoke_all_tokens(session: Session, user_id: int) -> int:
    """End every session and key of a user (password change, removal); how many."""
    result = session.exec(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    return int(result.rowcount or 0)


def purge_expired_tokens(session: Session) -> None:
    """Delete expired tokens (they no longer work either way; this keeps the table small)."""
    session.exec(delete(ApiToken).where(col(ApiToken.expires_at) <= utcnow()))


class RateLimiter:
    """Failed attempts per key in a sliding window; thread-safe, in this process's memory.

    Parameters
    ----------
    limit
        Failures allowed within ``window_s``; the next attempt is refused until the oldest
        failure leaves the window.
    window_s
        Length of the window in seconds.
    """

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._prune(key, now)
            if len(failures) < self.limit:
                return 0
            return max(1, math.ceil(failures[0] + self.window_s - now))

    def fail(self, key: str) -> None:
        """Record a failed attempt for ``key``."""
        now = time.monotonic()
        with self._lock:
            self._prune(key, now).append(now)
            if len(self._failures) > 100_000:  # bounded memory under a spray of names
                self._failures = {k: v for k, v in self._failures.items() if v}

    def reset(self, key: str) -> None:
        """Forget ``key``'s failures (after a successful sign-in)."""
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures
