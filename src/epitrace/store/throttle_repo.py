"""Rows of login throttling (keyword-only; the first argument is the unit's session).

The rules (back-off, lockout, what is audited) live in `epitrace.privacy.throttle`; this module
reads and writes counters inside the caller's transaction, under a lock so that two failed
logins at once never lose a count.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from epitrace.store.orm_access import LoginThrottle

THROTTLE_LOCK = 0x4550544C  # pg_advisory_xact_lock key ("EPTL"): one throttle update at a time


def lock(s: Session) -> None:
    """Hold the throttle counters' write lock until the transaction ends."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": THROTTLE_LOCK})
    elif dialect == "sqlite":  # any write statement takes SQLite's single write lock
        s.execute(text("UPDATE login_throttle SET failures = failures WHERE 0"))


def counter(s: Session, *, key: str) -> LoginThrottle:
    """The counter row of `key` (`user:NAME` or `addr:ADDRESS`), created at zero if absent."""
    row = s.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, last_failure_ts=0.0, locked=False, window_start_ts=0.0,
                            window_count=0, window_reported=0, last_address="")
        s.add(row)
        s.flush()
    return row


def peek(s: Session, *, key: str) -> LoginThrottle | None:
    """The counter row of `key`, if any (no lock, nothing created)."""
    return s.get(LoginThrottle, key)


def locked_keys(s: Session) -> list[str]:
    """Keys locked out now."""
    return list(s.scalars(select(LoginThrottle.key).where(LoginThrottle.locked.is_(True))))
