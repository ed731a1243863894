"""Login sessions for the CLI, the API (bearer tokens) and the web app (cookies).

A session is an opaque random token handed to the client once; only its sha256 is stored, so a
copy of the database cannot be replayed as a login. Sessions expire, and a disabled account's
sessions stop working at once because every use re-reads the user.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import Float, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.privacy.users import AuthError, User
from epitrace.store.orm import Base
from epitrace.store.repo import Store

DEFAULT_TTL_S = 8 * 3600.0
"""A working day: long enough for a shift, short enough that a lost token soon dies."""


class LoginSession(Base):
    """One live login: the token's hash, whose it is and when it stops working."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_ts: Mapped[float] = mapped_column(Float)
    expires_ts: Mapped[float] = mapped_column(Float)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(store: Store, *, user: User, ttl_s: float = DEFAULT_TTL_S) -> str:
    """A new token for an authenticated `user` (call `users.authenticate` first)."""
    if ttl_s <= 0:
        raise ValueError("session lifetime must be positive")
    token = secrets.token_urlsafe(32)
    now = time.time()
    with store.db.session() as s:
        s.execute(delete(LoginSession).where(LoginSession.expires_ts < now))
        s.add(LoginSession(token_hash=_hash(token), user_id=user.id, created_ts=now, expires_ts=now + ttl_s))
    return token


def user_for_token(store: Store, token: str) -> User:
    """The enabled user a live token belongs to.

    Raises:
        AuthError: Unknown, expired or revoked token, or a disabled account.
    """
    if not token:
        raise AuthError("not logged in: log in first (`epitrace login NAME`, or POST /api/auth/login)")
    with store.db.session() as s:
        row = s.get(LoginSession, _hash(token))
        if row is None or row.expires_ts < time.time():
            raise AuthError("session expired or unknown: log in again")
        user = s.get(User, row.user_id)
        if user is None or user.disabled:
            raise AuthError("account disabled: ask an administrator")
        s.expunge(user)
        return user


def revoke_session(store: Store, token: str) -> None:
    """End a session (logout); unknown tokens are ignored."""
    with store.db.session() as s:
        s.execute(delete(LoginSession).where(LoginSession.token_hash == _hash(token)))


def revoke_user_sessions(store: Store, *, user_id: int) -> int:
    """End every session of one user (e.g. when the account is disabled)."""
    with store.db.session() as s:
        n = len(list(s.scalars(select(LoginSession.token_hash).where(LoginSession.user_id == user_id))))
        s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
        return n


__all__ = ["DEFAULT_TTL_S", "LoginSession", "create_session", "revoke_session", "revoke_user_sessions",
           "user_for_token"]
