"""The audit log for admins and auditors: entries (filtered) and the hash-chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epitrace.api import schemas as S
from epitrace.api.deps import AuditReader, ServicesDep
from epitrace.api.errors import errors
from epitrace.api.views import audit_out

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", responses=errors())
def list_entries(reader: AuditReader, services: ServicesDep,
                 case_id: Annotated[str | None, Query(max_length=32)] = None,
                 user: Annotated[str | None, Query(max_length=64)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> S.AuditList:
    """The newest `limit` entries that match, oldest first (the read is itself recorded: `audit_read`)."""
    from epitrace.app.audit_log import read_audit

    data = [audit_out(e) for e in read_audit(services, reader, case_id=case_id, by=user, limit=limit)]
    return S.AuditList(data=data, count=len(data))


@router.get("/verify", responses=errors())
def verify(reader: AuditReader, services: ServicesDep,
           anchor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None) -> S.VerifyOut:
    """Walk the keyed chain and the anchor file.

    `ok` is false at the first edited, removed, reordered or missing entry, or when the table is gone
    (the reason says which).
    """
    from epitrace.app.audit_log import verify_audit

    r = verify_audit(services, reader, anchor=anchor)
    return S.VerifyOut(ok=r.ok, checked=r.checked, first_bad_id=r.first_bad_id, reason=r.reason,
                       head_hash=r.head_hash, legacy=r.legacy, anchored_id=r.anchored_id)
