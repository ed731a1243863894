"""Append-only, hash-chained audit log of who did what to which case (and under what legal basis).

Every entry stores the sha256 of a canonical JSON of its own fields (id, ts, user, action,
case_id, legal_basis, detail) together with the previous entry's hash, so the log is a chain:
editing a field, removing an entry from the middle, or swapping two entries' ids breaks it at
that entry, and `verify` names the first entry where it breaks.

Concurrency: `record` takes the chain's write lock, reads the last entry and inserts the next
one with an explicit id (last id + 1) in one transaction (`epitrace.store.audit_repo`), so the
chain never forks; a writer that finds the database busy retries from a fresh read. Inside an
enclosing unit of work the entry commits or rolls back with the unit's other writes.

Limitation: a chain stored in the same database cannot prove that nothing was cut off its *end*
(deleting the newest entries leaves a shorter chain that is still valid). `verify` returns the
head hash; keep it outside the database (print it, sign it, mail it) and pass it back as
`anchor` to prove that the chain still reaches it.

Example:
    >>> from epitrace.privacy.audit import record, verify
    >>> record(store, user="ana", action="search", case_id="C1", detail={"subjects": 2})  # doctest: +SKIP
    >>> verify(store).ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from epitrace.store import audit_repo
from epitrace.store.orm_access import AuditEntry
from epitrace.store.repo import AFTER_ROLLBACK, Store, Unit

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first entry."""

ACTIONS = frozenset({
    "login", "search", "view", "export", "unmask", "enrol", "confirm", "reject", "purge",
    "case_new", "case_close", "user_add", "user_disable", "assign", "deny",
})
"""Actions used by EpiTrace itself; others are allowed if they look like `[a-z][a-z0-9_.]*`."""

_ACTION_RE = re.compile(r"[a-z][a-z0-9_.]{0,31}")

__all__ = ["ACTIONS", "GENESIS_HASH", "AuditEntry", "VerifyResult", "canonical_detail", "entries",
           "entry_hash", "record", "verify"]


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify`.

    Attributes:
        ok: True when every entry links to the one before and hashes to its stored hash.
        checked: Entries read.
        first_bad_id: Id of the first entry that fails (None when ok).
        reason: Why it fails (empty when ok).
        head_hash: Hash of the last entry read (GENESIS_HASH for an empty log); keep it outside
            the database to detect later truncation with `verify(store, anchor=...)`.
    """

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """`detail` as canonical JSON text (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def entry_hash(*, id: int, ts: float, user: str, action: str, case_id: str | None,  # noqa: A002
               legal_basis: str | None, detail: str, prev_hash: str) -> str:
    """sha256 hex of the canonical JSON of an entry's fields (everything but `hash`)."""
    fields = {"id": id, "ts": ts, "user": user, "action": action, "case_id": case_id,
              "legal_basis": legal_basis, "detail": detail, "prev_hash": prev_hash}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _hash_of(e: AuditEntry) -> str:
    return entry_hash(id=e.id, ts=e.ts, user=e.user, action=e.action, case_id=e.case_id,
                      legal_basis=e.legal_basis, detail=e.detail, prev_hash=e.prev_hash)


def record(store: Store, *, user: str, action: str, case_id: str | None = None,
           legal_basis: str | None = None, detail: Mapping[str, Any] | None = None,
           session: Unit | None = None, keep_on_rollback: bool = False) -> AuditEntry:
    """Append one entry, chained to the last one, in one transaction.

    Args:
        store: The store whose database holds the log.
        user: Who acted (a user name, or "system").
        action: What they did, e.g. "search", "export", "unmask" (see `ACTIONS`).
        case_id: The case concerned, if any.
        legal_basis: The legal basis invoked, if any.
        detail: Extra JSON-serialisable facts (no personal data beyond what the action needs).
        session: An enclosing unit (`Store.unit()`): the entry is written in it and rolls back
            with it; without one the entry is committed on its own.
        keep_on_rollback: With `session`, write the entry again on its own if the unit rolls
            back (for refusals: the refused action is undone, the record of the refusal is not).

    Returns:
        The stored entry.

    Raises:
        ValueError: `action` or `user` is malformed, or `detail` is not JSON-serialisable.

    Example:
        >>> record(store, user="ana", action="export", case_id="C1", detail={"format": "pdf"})  # doctest: +SKIP
    """
    if not _ACTION_RE.fullmatch(action):
        raise ValueError(f"audit action {action!r} must match [a-z][a-z0-9_.]* (at most 32 characters)")
    if not user or len(user) > 64:
        raise ValueError("audit user must be 1 to 64 characters")
    try:
        detail_text = canonical_detail(detail)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit detail is not JSON-serialisable: {exc}") from exc

    def make(new_id: int, prev: str) -> AuditEntry:
        entry = AuditEntry(id=new_id, ts=time.time(), user=user, action=action, case_id=case_id,
                           legal_basis=legal_basis, detail=detail_text, prev_hash=prev)
        entry.hash = _hash_of(entry)
        return entry

    entry = audit_repo.append(store, make=make, genesis=GENESIS_HASH, session=session)
    hooks = session.info.get(AFTER_ROLLBACK) if session is not None and keep_on_rollback else None
    if hooks is not None:
        hooks.append(lambda: record(store, user=user, action=action, case_id=case_id,
                                    legal_basis=legal_basis, detail=detail))
    return entry


def entries(store: Store, *, case_id: str | None = None, user: str | None = None,
            limit: int | None = None, session: Unit | None = None) -> list[AuditEntry]:
    """Entries, oldest first; with `limit`, only the newest `limit` of those that match."""
    with store.unit(session) as s:
        return audit_repo.select_entries(s, case_id=case_id, user=user, limit=limit)


def verify(store: Store, *, anchor: str | None = None) -> VerifyResult:
    """Walk the chain from the first entry and report the first entry that breaks it.

    Args:
        store: The store whose log is checked.
        anchor: A head hash saved earlier (from a previous `verify`); if given, the chain must
            still contain it, which detects entries cut off the end since then.

    Returns:
        A `VerifyResult`; `ok` is False at the first edited, removed or reordered entry.
    """
    prev, checked, anchor_seen = GENESIS_HASH, 0, anchor is None or anchor == GENESIS_HASH
    last_id: int | None = None
    with store.unit() as s:
        for e in audit_repo.walk(s):
            checked += 1
            if e.prev_hash != prev:
                why = ("first entry does not start the chain (earlier entries were removed)" if last_id is None
                       else "does not link to the entry before it (an entry was removed or reordered)")
                return VerifyResult(False, checked, e.id, why, prev)
            if _hash_of(e) != e.hash:
                return VerifyResult(False, checked, e.id, "contents do not match its hash (edited or moved)", prev)
            prev, last_id = e.hash, e.id
            anchor_seen = anchor_seen or e.hash == anchor
    if not anchor_seen:
        return VerifyResult(False, checked, last_id,
                            "saved head hash not found: entries were removed from the end", prev)
    return VerifyResult(True, checked, head_hash=prev)
