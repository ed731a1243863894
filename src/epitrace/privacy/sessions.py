"""Login sessions for the CLI, the API (bearer tokens) and the web app (cookies).

A session is an opaque random token handed to the client once; only its sha256 is stored, so a
copy of the database cannot be replayed as a login. Sessions expire, and a disabled account's
sessions stop working at once because every use re-reads the user.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from epitrace.privacy.users import AuthError, User
from epitrace.store import logins_repo, users_repo
from epitrace.store.orm_access import LoginSession
from epitrace.store.repo import Store, Unit

DEFAULT_TTL_S = 8 * 3600.0
"""A working day: long enough for a shift, short enough that a lost token soon dies."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(store: Store, *, user: User, ttl_s: float = DEFAULT_TTL_S, session: Unit | None = None) -> str:
    """A new token for an authenticated `user` (call `users.authenticate` first)."""
    if ttl_s <= 0:
        raise ValueError("session lifetime must be positive")
    token = secrets.token_urlsafe(32)
    now = time.time()
    with store.unit(session) as s:
        logins_repo.delete_expired(s, now=now)
        logins_repo.add_login(s, token_hash=_hash(token), user_id=user.id, created_ts=now, expires_ts=now + ttl_s)
    return token


def user_for_token(store: Store, token: str, *, session: Unit | None = None) -> User:
    """The enabled user a live token belongs to.

    Raises:
        AuthError: Unknown, expired or revoked token, or a disabled account.
    """
    if not token:
        raise AuthError("not logged in: log in first (`epitrace login NAME`, or POST /api/auth/login)")
    with store.unit(session) as s:
        row = logins_repo.login_by_hash(s, token_hash=_hash(token))
        if row is None or row.expires_ts < time.time():
            raise AuthError("session expired or unknown: log in again")
        user = users_repo.user_by_id(s, user_id=row.user_id)
        if user is None or user.disabled:
            raise AuthError("account disabled: ask an administrator")
        if session is None:
            s.expunge(user)  # a value for the caller, not tied to this closed session
        return user


def revoke_session(store: Store, token: str, *, session: Unit | None = None) -> None:
    """End a session (logout); unknown tokens are ignored."""
    with store.unit(session) as s:
        logins_repo.delete_login(s, token_hash=_hash(token))


def revoke_user_sessions(store: Store, *, user_id: int, session: Unit | None = None) -> int:
    """End every session of one user (e.g. when the account is disabled)."""
    with store.unit(session) as s:
        return logins_repo.delete_user_logins(s, user_id=user_id)


__all__ = ["DEFAULT_TTL_S", "LoginSession", "create_session", "revoke_session", "revoke_user_sessions",
           "user_for_token"]
