"""Append-only, keyed hash chain of who did what to which case (and under what legal basis).

Every entry stores an HMAC-SHA256, under the audit key, of a canonical JSON of its own fields
(id, ts, user, action, case_id, legal_basis, detail) together with the previous entry's HMAC,
so the log is a chain: editing a field, removing an entry from the middle, or swapping two
entries' ids breaks it at that entry, and `verify` names the first entry where it breaks.
Someone holding the database but not the key (kept apart, see `epitrace.store.audit_files`)
cannot re-hash a rewritten history. After every committed entry its (id, HMAC) is appended to
the anchor file, so cutting the newest rows, deleting every row or dropping the table is caught
without any hand-kept anchor.

Entries written before the key existed (revision 0008) are unkeyed sha256 links; they verify as
a legacy prefix, reported as such, bound to the keyed chain by the first keyed entry. An unkeyed
entry after a keyed one is tampering.

Concurrency: `record` takes the chain's write lock, reads the last entry and inserts the next
one with an explicit id (last id + 1) in one transaction (`epitrace.store.audit_repo`), so the
chain never forks; a writer that finds the database busy retries from a fresh read. Inside an
enclosing unit of work the entry commits or rolls back with the unit's other writes, and its
anchor line is written only once the unit commits.

Example:
    >>> from epitrace.privacy.audit import record, verify
    >>> record(store, user="ana", action="search", case_id="C1", detail={"subjects": 2})  # doctest: +SKIP
    >>> verify(store).ok  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from epitrace.store import audit_repo
from epitrace.store.audit_files import AnchorError
from epitrace.store.orm_access import AuditEntry
from epitrace.store.repo import AFTER_ROLLBACK, Store, Unit
from epitrace.store.sealing import KeyMissingError

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first entry."""

ACTIONS = frozenset({
    "login", "login_failed", "login_locked", "search", "view", "export", "unmask", "enrol", "confirm",
    "reject", "purge", "case_new", "case_close", "user_add", "user_disable", "user_enable", "assign", "deny",
})
"""Actions used by EpiTrace itself; others are allowed if they look like `[a-z][a-z0-9_.]*`."""

_ACTION_RE = re.compile(r"[a-z][a-z0-9_.]{0,31}")

__all__ = ["ACTIONS", "GENESIS_HASH", "AuditEntry", "VerifyResult", "canonical_detail", "entries",
           "entry_hash", "record", "verify"]


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify`.

    Attributes:
        ok: True when every entry links to the one before, hashes to its stored hash, and the
            log reaches as far as the anchor file says it did.
        checked: Entries read.
        first_bad_id: Id of the first entry that fails (None when ok, or when the fault is not
            one entry's, e.g. a dropped table).
        reason: Why it fails (empty when ok).
        head_hash: Hash of the last entry read (GENESIS_HASH for an empty log).
        legacy: Unkeyed entries at the start (written before the audit key existed).
        anchored_id: The newest entry id the anchor file records (None without an anchor).
    """

    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH
    legacy: int = 0
    anchored_id: int | None = None


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """`detail` as canonical JSON text (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def _fields_text(*, id: int, ts: float, user: str, action: str, case_id: str | None,  # noqa: A002
                 legal_basis: str | None, detail: str, prev_hash: str) -> bytes:
    fields = {"id": id, "ts": ts, "user": user, "action": action, "case_id": case_id,
              "legal_basis": legal_basis, "detail": detail, "prev_hash": prev_hash}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def entry_hash(*, id: int, ts: float, user: str, action: str, case_id: str | None,  # noqa: A002
               legal_basis: str | None, detail: str, prev_hash: str, key: bytes | None = None) -> str:
    """Hex HMAC-SHA256 under `key` of the canonical JSON of an entry's fields (all but `hash`).

    Without a key, the legacy unkeyed sha256 of the same text.
    """
    text = _fields_text(id=id, ts=ts, user=user, action=action, case_id=case_id, legal_basis=legal_basis,
                        detail=detail, prev_hash=prev_hash)
    if key is None:
        return hashlib.sha256(text).hexdigest()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def _hash_of(e: AuditEntry, key: bytes | None) -> str:
    return entry_hash(id=e.id, ts=e.ts, user=e.user, action=e.action, case_id=e.case_id,
                      legal_basis=e.legal_basis, detail=e.detail, prev_hash=e.prev_hash, key=key)


def record(store: Store, *, user: str, action: str, case_id: str | None = None,
           legal_basis: str | None = None, detail: Mapping[str, Any] | None = None,
           session: Unit | None = None, keep_on_rollback: bool = False) -> AuditEntry:
    """Append one entry, chained to the last one, in one transaction; anchor it once committed.

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
        KeyMissingError: The audit key is malformed or readable by others.

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
    key = store.audit_files.key(create=True)

    def make(new_id: int, prev: str) -> AuditEntry:
        entry = AuditEntry(id=new_id, ts=time.time(), user=user, action=action, case_id=case_id,
                           legal_basis=legal_basis, detail=detail_text, prev_hash=prev, keyed=True)
        entry.hash = _hash_of(entry, key)
        return entry

    if session is None:
        entry = audit_repo.append(store, make=make, genesis=GENESIS_HASH)
        store.audit_files.append_anchor([(entry.id, entry.hash)])
        return entry
    entry = audit_repo.append(store, make=make, genesis=GENESIS_HASH, session=session)
    audit_repo.after_commit(session, (entry.id, entry.hash), store.audit_files.append_anchor)
    hooks = session.info.get(AFTER_ROLLBACK) if keep_on_rollback else None
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
    """Walk the chain from the first entry and report the first fault; never raises on tampering.

    Checks every link and keyed hash, that unkeyed entries only form a legacy prefix, that each
    entry the anchor file records still has the recorded hash, and that the log reaches the
    newest anchored id (so cut rows, deleted rows and a dropped table are caught).

    Args:
        store: The store whose log is checked.
        anchor: A head hash saved by hand earlier (optional now): the chain must still contain it.

    Returns:
        A `VerifyResult`; `ok` is False at the first edited, removed, reordered or missing entry.
    """
    try:
        key = store.audit_files.key(create=False)
        anchors = store.audit_files.read_anchor()
    except (KeyMissingError, AnchorError) as exc:
        return VerifyResult(False, 0, None, str(exc))
    try:
        result = _walk(store, key, anchors or {}, anchor)
    except audit_repo.LogUnreadableError as exc:
        return VerifyResult(False, 0, None, str(exc), anchored_id=max(anchors) if anchors else None)
    return result


def _walk(store: Store, key: bytes | None, anchors: dict[int, str], anchor: str | None) -> VerifyResult:
    prev, checked, legacy, keyed_seen = GENESIS_HASH, 0, 0, False
    anchor_seen = anchor is None or anchor == GENESIS_HASH
    last_id: int | None = None
    top = max(anchors) if anchors else None

    def bad(e: AuditEntry, why: str) -> VerifyResult:
        return VerifyResult(False, checked, e.id, why, prev, legacy, top)

    with store.unit() as s:
        for e in audit_repo.walk(s):
            checked += 1
            if e.prev_hash != prev:
                return bad(e, "first entry does not start the chain (earlier entries were removed)" if last_id is None
                           else "does not link to the entry before it (an entry was removed or reordered)")
            if e.keyed:
                if key is None:
                    return bad(e, f"keyed entry but no audit key at {store.audit_files.source}: cannot check it "
                                  "(restore the key, or set EPITRACE_AUDIT_KEY)")
                keyed_seen = True
            elif keyed_seen:
                return bad(e, "unkeyed entry after keyed ones: written without the audit key (history rewritten)")
            else:
                legacy += 1
            if not hmac.compare_digest(_hash_of(e, key if e.keyed else None), e.hash):
                return bad(e, "contents do not match its hash (edited or moved, or re-hashed without the audit key)")
            if e.id in anchors and anchors[e.id] != e.hash:
                return bad(e, "differs from the anchor file's record of it: history was rewritten")
            prev, last_id = e.hash, e.id
            anchor_seen = anchor_seen or e.hash == anchor
    if top is not None and (last_id is None or last_id < top):
        where = "the log is empty (every row deleted)" if last_id is None else f"the log ends at entry {last_id}"
        return VerifyResult(False, checked, last_id, f"truncated: the anchor file records entry {top}, but {where}",
                            prev, legacy, top)
    if top is None and checked and (keyed_seen or key is not None):  # a keyed store always anchors
        return VerifyResult(False, checked, None, f"the anchor file {store.audit_files.anchor_file} is missing: "
                            "cannot prove nothing was cut off the end", prev, legacy, top)
    if not anchor_seen:
        return VerifyResult(False, checked, last_id,
                            "saved head hash not found: entries were removed from the end", prev, legacy, top)
    return VerifyResult(True, checked, head_hash=prev, legacy=legacy, anchored_id=top)
