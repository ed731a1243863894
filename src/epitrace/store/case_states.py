"""A case's state changes: pending -> open (approved) -> closed, with who and when."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from epitrace.store.orm import Case
from epitrace.store.repo import Store


def set_approved(store: Store, *, case_id: str, by: str, session: Session | None = None) -> None:
    """Mark a pending case approved (open); the caller has checked who may approve it."""
    with store.unit(session) as s:
        case = s.get_one(Case, case_id)
        case.status, case.approved_by, case.approved_at = "open", by, datetime.now(UTC)


def set_closed(store: Store, *, case_id: str, by: str, outcome: str, session: Session | None = None) -> None:
    """Mark a case closed with its outcome; its retention counts from now."""
    with store.unit(session) as s:
        case = s.get_one(Case, case_id)
        case.status, case.closed_by, case.closed_at, case.outcome = "closed", by, datetime.now(UTC), outcome
