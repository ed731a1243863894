"""Rows of login sessions (keyword-only; the first argument is the unit's session).

Only token hashes are stored; issuing, expiry rules and token hashing live in
`epitrace.privacy.sessions`.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from epitrace.store.orm_access import LoginSession


def delete_expired(s: Session, *, now: float) -> None:
    """Remove sessions that expired before `now` (epoch seconds)."""
    s.execute(delete(LoginSession).where(LoginSession.expires_ts < now))


def add_login(s: Session, *, token_hash: str, user_id: int, created_ts: float, expires_ts: float) -> None:
    """Store a new session under its token's hash."""
    s.add(LoginSession(token_hash=token_hash, user_id=user_id, created_ts=created_ts, expires_ts=expires_ts))


def login_by_hash(s: Session, *, token_hash: str) -> LoginSession | None:
    """The session stored under `token_hash`, if any."""
    return s.get(LoginSession, token_hash)


def delete_login(s: Session, *, token_hash: str) -> None:
    """End one session (unknown hashes are ignored)."""
    s.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash))


def delete_user_logins(s: Session, *, user_id: int) -> int:
    """End every session of a user; returns how many there were."""
    n = int(s.scalar(select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user_id)) or 0)
    s.execute(delete(LoginSession).where(LoginSession.user_id == user_id))
    return n
