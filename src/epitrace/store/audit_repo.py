"""Rows of the hash-chained audit log: append at the chain's head, read, walk.

What an entry says and how it is hashed is `epitrace.privacy.audit`'s business; this module
makes the append safe. Appending first takes the database's write lock for the chain (SQLite:
a write statement that changes nothing; PostgreSQL: a transaction-scoped advisory lock), so two
writers never read the same head. Inside an enclosing unit (`Store.unit()`) the lock is held
until that unit commits or rolls back, so the entry stands or falls with the unit's other writes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, SessionTransaction

from epitrace.store.orm_access import AuditEntry
from epitrace.store.repo import Store

logger = logging.getLogger(__name__)

AUDIT_LOCK = 0x45504941  # pg_advisory_xact_lock key ("EPIA"): one audit append at a time
RETRIES = 20

EntryFactory = Callable[[int, str], AuditEntry]
"""(new id, previous entry's hash) -> the entry to append, with its own hash set."""

_LOCKED = "epitrace.audit_chain_locked"
_local = threading.local()


class LogUnreadableError(RuntimeError):
    """The audit table cannot be read: dropped, renamed or damaged."""


class ChainHeldError(RuntimeError):
    """An append in its own transaction would wait for a unit of this same thread: a deadlock."""


def _held() -> dict[int, object]:
    """This thread's sessions that hold a chain lock now: session id -> the engine it is on."""
    if not hasattr(_local, "held"):
        _local.held = {}
    held: dict[int, object] = _local.held
    return held


def lock_chain(s: Session) -> None:
    """Hold the audit chain's write lock for the rest of the session's transaction."""
    if s.info.get(_LOCKED):
        return
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    elif dialect == "sqlite":  # any write statement takes SQLite's single write lock
        s.execute(text("UPDATE audit_log SET id = id WHERE 0"))
    held = _held()
    held[id(s)] = s.get_bind()
    s.info[_LOCKED] = True

    def release(session: Session, transaction: SessionTransaction, *_: Any) -> None:
        if transaction.parent is None:  # the outermost transaction ended: the lock is gone
            held.pop(id(session), None)
            session.info.pop(_LOCKED, None)

    event.listen(s, "after_transaction_end", release)


def head(s: Session) -> tuple[int, str] | None:
    """(id, hash) of the newest entry; None for an empty log."""
    row = s.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), str(row[1]))


def append_in(s: Session, *, make: EntryFactory, genesis: str) -> AuditEntry:
    """Lock the chain, then add `make(head id + 1, head hash)` (`genesis` as the hash of none)."""
    lock_chain(s)
    last = head(s)
    entry = make(last[0] + 1, last[1]) if last else make(1, genesis)
    s.add(entry)
    s.flush()
    return entry


def append(store: Store, *, make: EntryFactory, genesis: str, session: Session | None = None) -> AuditEntry:
    """Append one entry; in its own transaction (retried on a lost race) unless `session` is given.

    Raises:
        ChainHeldError: Called without `session` inside a unit that already holds the chain.
        sqlalchemy.exc.OperationalError: The database stayed locked through every retry.
    """
    if session is not None:
        return append_in(session, make=make, genesis=genesis)
    if any(bind is store.db.engine for bind in _held().values()):
        raise ChainHeldError("a unit of work open in this thread already wrote to the audit log and holds it "
                             "until it ends: pass that unit's session= so this entry joins it")
    for attempt in range(RETRIES):
        try:
            with store.unit() as s:
                return append_in(s, make=make, genesis=genesis)
        except (IntegrityError, OperationalError) as exc:  # lost a race for the next id, or busy
            transient = isinstance(exc, IntegrityError) or "lock" in str(exc) or "busy" in str(exc)
            if not transient or attempt == RETRIES - 1:
                raise
            logger.debug("audit append retry %d after %s", attempt + 1, type(exc).__name__)
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


def select_entries(s: Session, *, case_id: str | None = None, user: str | None = None,
                   limit: int | None = None) -> list[AuditEntry]:
    """Entries, oldest first; with `limit`, only the newest `limit` of those that match."""
    q = select(AuditEntry)
    if case_id is not None:
        q = q.where(AuditEntry.case_id == case_id)
    if user is not None:
        q = q.where(AuditEntry.user == user)
    if limit is not None:
        return list(reversed(list(s.scalars(q.order_by(AuditEntry.id.desc()).limit(limit)))))
    return list(s.scalars(q.order_by(AuditEntry.id)))


def walk(s: Session) -> Iterator[AuditEntry]:
    """Every entry in id order, read in batches (the log can be long).

    Raises:
        LogUnreadableError: The table is gone or damaged (the message says the database's words).
    """
    try:
        yield from s.scalars(select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000))
    except DatabaseError as exc:
        why = str(exc.orig or exc).strip().splitlines()[0]
        raise LogUnreadableError(f"the audit log table cannot be read (dropped or damaged: {why})") from exc


_PENDING = "epitrace.audit_after_commit"


def after_commit(s: Session, item: tuple[int, str], flush: Callable[[list[tuple[int, str]]], None]) -> None:
    """Queue `item`; once `s` commits, `flush` gets every item queued in it (none after a rollback)."""
    pending: list[tuple[int, str]] | None = s.info.get(_PENDING)
    if pending is None:
        pending = s.info[_PENDING] = []

        def committed(session: Session) -> None:
            items = list(session.info.get(_PENDING) or [])
            session.info[_PENDING] = []
            flush(items)

        def rolled_back(session: Session) -> None:
            session.info[_PENDING] = []

        event.listen(s, "after_commit", committed)
        event.listen(s, "after_rollback", rolled_back)
    pending.append(item)
