"""Opening cases and adding subjects, with the rules investigators rely on."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from epitrace.store import Store, Unit
from epitrace.store.cases import cameras_by_id, delete_queries, get_case, get_subject
from epitrace.store.orm import Case, Subject

MAX_SUBJECTS = 10
DEFAULT_LOOKBACK = timedelta(days=2)


class CaseRuleError(ValueError):
    """A case or subject request breaks a rule (no legal basis, too many subjects, ...)."""


def default_window(onset: datetime, isolation: datetime | None) -> tuple[datetime, datetime]:
    """From 2 days before symptom onset (or the test) to isolation (or now)."""
    end = isolation or datetime.now(UTC)
    start = onset - DEFAULT_LOOKBACK
    if end <= start:
        raise CaseRuleError("isolation must come after onset minus 2 days")
    return start, end


def new_case(store: Store, *, legal_basis: str, onset: datetime, isolation: datetime | None = None,
             cameras: list[str] | None = None, title: str = "", user: str = "",
             session: Unit | None = None) -> Case:
    """Open a case. The legal basis is required: it is shown on every audit line of the case."""
    if not legal_basis.strip():
        raise CaseRuleError("a legal basis is required (e.g. 'Infectious Disease Control Act art. 76-2')")
    for tz_value in (onset, isolation):
        if tz_value is not None and tz_value.tzinfo is None:
            raise CaseRuleError("times need a time zone, e.g. 2026-03-01T09:00:00+09:00")
    start, end = default_window(onset, isolation)
    with store.unit(session) as s:
        if cameras is not None:
            missing = sorted(set(cameras) - set(cameras_by_id(store, session=s)))
            if missing:
                raise CaseRuleError(f"unknown camera(s) in scope: {', '.join(missing)}")
        case = Case(id=f"C-{start:%Y%m%d}-{secrets.token_hex(3)}", title=title,
                    legal_basis=legal_basis.strip(), window_start_ts=start.timestamp(),
                    window_end_ts=end.timestamp(), camera_scope=cameras, created_by=user)
        s.add(case)
    return case


def add_subject(store: Store, *, case_id: str, label: str, face_consent: bool,
                session: Unit | None = None) -> Subject:
    """Add a subject (at most 10 per case); consent governs every later use of face data."""
    with store.unit(session) as s:
        case = get_case(store, case_id=case_id, session=s)
        if case.status not in ("pending", "open"):
            raise CaseRuleError(f"case {case_id} is {case.status}: subjects are added to pending or open cases only")
        if len(case.subjects) >= MAX_SUBJECTS:
            raise CaseRuleError(f"case {case_id} already has {MAX_SUBJECTS} subjects (the maximum)")
        subject = Subject(case_id=case_id, label=label, face_consent=face_consent)
        case.subjects.append(subject)  # through the relationship: a later read in this unit sees it
        s.flush()  # its id, for the caller
    return subject


def withdraw_face_consent(store: Store, *, case_id: str, subject_id: int, session: Unit | None = None) -> int:
    """Record that the subject withdrew face-matching consent and delete their face queries.

    Every later face operation is refused by `enrol.require_face_consent` and search compares no
    face for them; the face vectors their photos or sightings gave are deleted, not kept unused.
    Allowed whatever the case's status: deleting a person's biometric data is never too late.

    Returns:
        How many face query vectors were deleted.
    """
    with store.unit(session) as s:
        subject = get_subject(store, case_id=case_id, subject_id=subject_id, session=s)
        subject.face_consent = False
        return delete_queries(store, subject_id=subject_id, kind="face", session=s)
