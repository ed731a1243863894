"""Reading the audit log: for admins and auditors, and itself recorded.

Who looked at the log, and at which case or user in it, is as sensitive as the log: an entry
`audit_read` (the filters and how many entries were shown) follows every read, in the same unit.
Both front ends read through here.
"""

from __future__ import annotations

from epitrace.app.actors import AUDIT_READERS
from epitrace.app.services import Services
from epitrace.privacy.audit import AuditEntry, VerifyResult, entries, record, verify
from epitrace.privacy.users import User, require_role


def read_audit(services: Services, user: User, *, case_id: str | None = None, by: str | None = None,
               limit: int | None = None) -> list[AuditEntry]:
    """The newest `limit` entries that match (oldest first), recorded as `audit_read`.

    Raises:
        AccessDenied: The user is neither admin nor auditor.
    """
    require_role(user, *AUDIT_READERS)
    with services.store.unit() as tx:
        rows = entries(services.store, case_id=case_id, user=by, limit=limit, session=tx)
        record(services.store, user=user.name, action="audit_read", session=tx,
               detail={"case": case_id, "user": by, "limit": limit, "entries": len(rows)})
    return rows


def verify_audit(services: Services, user: User, *, anchor: str | None = None) -> VerifyResult:
    """Walk the chain (admins and auditors); never raises on tampering, the result says where."""
    require_role(user, *AUDIT_READERS)
    return verify(services.store, anchor=anchor)
