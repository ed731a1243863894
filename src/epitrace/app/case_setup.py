"""Opening cases, listing them, and adding subjects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from epitrace.app.actors import STAFF
from epitrace.app.case_session import CaseSession, open_case, reload
from epitrace.app.services import Services
from epitrace.app.text_rules import check_text
from epitrace.privacy.users import User, require_role
from epitrace.store.orm import Camera, Case

ALL_CAMERAS = "all"
"""The explicit camera scope "every camera" (never implied by leaving the list out)."""

APPROVERS = ("supervisor", "admin")


@dataclass(frozen=True)
class CaseRequest:
    """What an investigator asks for when opening a case (checked by `create_case`)."""

    legal_basis: str
    onset: datetime
    cameras: list[str] | Literal["all"] | None  # None: not said, which is refused
    isolation: datetime | None = None
    title: str = ""


FUTURE_SLACK = timedelta(minutes=5)
"""Clock difference tolerated between a client and the server."""


def _checked(services: Services, request: CaseRequest) -> CaseRequest:
    """The request with its text cleaned, or a clear error for the rule it breaks."""
    from epitrace.tracing import CaseRuleError, default_window

    basis = check_text(request.legal_basis, what="the legal basis", min_visible=10)
    title = check_text(request.title, what="the title", max_len=200)
    if request.cameras is None or request.cameras == []:
        raise CaseRuleError("name the cameras the case may search (a list), or say all cameras explicitly "
                            f"({ALL_CAMERAS!r}): the approver sees exactly that scope")
    now = datetime.now(UTC)
    for name, value in (("onset", request.onset), ("isolation", request.isolation)):
        if value is not None and value.tzinfo is None:
            raise CaseRuleError("times need a time zone, e.g. 2026-03-01T09:00:00+09:00")
        if value is not None and value > now + FUTURE_SLACK:
            raise CaseRuleError(f"the {name} time {value.isoformat()} is in the future")
    start, end = default_window(request.onset, request.isolation)
    limit = services.settings.case_max_window_days
    if end - start > timedelta(days=limit):
        raise CaseRuleError(f"the case window ({start:%Y-%m-%d} to {end:%Y-%m-%d}, {(end - start).days} days) is "
                            f"longer than the {limit} days allowed: set the isolation time, or check the onset")
    return CaseRequest(basis, request.onset, request.cameras, request.isolation, title)


def create_case(services: Services, user: User, request: CaseRequest) -> CaseSession:
    """Open a case, pending until a supervisor approves it; an investigator who opens one is assigned to it. Audited."""
    from epitrace.privacy.audit import record
    from epitrace.privacy.users import assign
    from epitrace.tracing import new_case

    require_role(user, *STAFF)
    request = _checked(services, request)
    cameras = None if request.cameras == ALL_CAMERAS else list(request.cameras or [])
    store = services.store
    with store.unit() as tx:  # the case, its assignment and its audit entry together
        case = new_case(store, legal_basis=request.legal_basis, onset=request.onset, isolation=request.isolation,
                        cameras=cameras, title=request.title, user=user.name, session=tx)
        if user.role == "investigator":  # whoever opens a case works on it
            assign(store, user=user.name, case_id=case.id, by=user.name, session=tx)
        record(store, user=user.name, action="case_new", case_id=case.id, legal_basis=case.legal_basis,
               detail={"cameras": case.camera_scope or ALL_CAMERAS, "status": "pending"}, session=tx)
        case_id = case.id
    return open_case(services, user, case_id)


def approve_case(services: Services, user: User, case_id: str) -> Case:
    """Approve a pending case (a supervisor or admin other than its creator): it becomes searchable.

    The audit entry records what was approved: the legal basis, the window and the camera scope.
    """
    from epitrace.privacy.audit import record
    from epitrace.privacy.users import AccessDenied
    from epitrace.store.case_states import set_approved
    from epitrace.store.cases import get_case
    from epitrace.tracing import CaseRuleError

    require_role(user, *APPROVERS)
    case = get_case(services.store, case_id=case_id)
    if case.created_by == user.name:
        raise AccessDenied(f"{user.name!r} opened case {case_id}: someone else must approve it")
    if case.status != "pending":
        raise CaseRuleError(f"case {case_id} is {case.status}, not waiting for approval")
    with services.store.unit() as tx:
        set_approved(services.store, case_id=case_id, by=user.name, session=tx)
        record(services.store, user=user.name, action="case_approve", case_id=case_id, legal_basis=case.legal_basis,
               detail={"window": [case.window_start_ts, case.window_end_ts],
                       "cameras": case.camera_scope or ALL_CAMERAS, "created_by": case.created_by}, session=tx)
    return get_case(services.store, case_id=case_id)


def close_case(session: CaseSession, *, outcome: str) -> CaseSession:
    """Close the case with its outcome: no more searches; its data go once its retention passes. Audited."""
    from epitrace.store.case_states import set_closed
    from epitrace.tracing import CaseRuleError

    text = check_text(outcome, what="the outcome", min_visible=3, max_len=500)
    if session.case.status == "closed":
        raise CaseRuleError(f"case {session.id} is already closed")
    with session.services.store.unit() as tx:
        set_closed(session.services.store, case_id=session.id, by=session.user.name, outcome=text, session=tx)
        session.audit("case_close", tx=tx, outcome=text)
    return reload(session)


def visible_cases(services: Services, user: User) -> list[Case]:
    """Cases the user may list: admins, auditors and supervisors all (metadata only), investigators theirs.

    Audited as a `view` of the case list (how many were shown): titles and legal bases of every
    case are what a supervisor or auditor reads there.
    """
    from epitrace.privacy.audit import record
    from epitrace.privacy.users import assigned_cases
    from epitrace.store.cases import find_cases

    require_role(user, "admin", "auditor", "investigator", "supervisor")
    with services.store.unit() as tx:
        cases = find_cases(services.store, session=tx)
        if user.role == "investigator":
            mine = set(assigned_cases(services.store, user=user, session=tx))
            cases = [c for c in cases if c.id in mine]
        record(services.store, user=user.name, action="view", detail={"what": "case list", "cases": len(cases)},
               session=tx)
    return cases


def case_cameras(session: CaseSession) -> list[Camera]:
    """The cameras of the case's scope."""
    from epitrace.store.case_scope import scope_cameras

    return scope_cameras(session.services.store, scope=session.scope)


def view_case(session: CaseSession) -> list[Camera]:
    """The case's cameras (the session already holds the case and its subjects). Audited."""
    session.audit("view", what="case")
    return case_cameras(session)


def add_subject(session: CaseSession, *, label: str, face_consent: bool) -> tuple[CaseSession, int]:
    """Add a subject (at most 10); face consent governs every later use of face data. Audited.

    Labels are unique in the case and not bare numbers, so a label never names another subject.

    Returns the reloaded session and the new subject's id.
    """
    from epitrace.tracing import CaseRuleError
    from epitrace.tracing import add_subject as add

    text = check_text(label, what="the label", min_visible=1, max_len=100)
    if text.isdigit():  # `--subject 7` means subject id 7: a label "7" could name another subject
        raise CaseRuleError(f"a label of digits only ({text!r}) reads as a subject id: add a word, "
                            f"e.g. 'patient-{text}'")
    if any(s.label == text for s in session.subjects):  # one label, one person (consent is per subject)
        raise CaseRuleError(f"case {session.id} already has a subject labelled {text!r}")
    with session.services.store.unit() as tx:
        subject = add(session.services.store, case_id=session.id, label=text, face_consent=face_consent, session=tx)
        session.audit("subject_add", tx=tx, subject=subject.id, face_consent=face_consent)
        subject_id = subject.id
    return reload(session), subject_id


def withdraw_face_consent(session: CaseSession, *, subject_id: int) -> tuple[CaseSession, int]:
    """The subject withdrew face-matching consent: no face is used for them again. Audited.

    Their face query vectors (from photos or sightings) are deleted in the same unit as the audit
    entry; body and clothing queries stay, so tracing goes on by silhouette. Possible on a case of
    any status. Returns the reloaded session and how many face vectors were deleted.
    """
    from epitrace.tracing import withdraw_face_consent as withdraw

    session.subject(subject_id)  # another case's subject is refused like none
    with session.services.store.unit() as tx:
        deleted = withdraw(session.services.store, case_id=session.id, subject_id=subject_id, session=tx)
        session.audit("consent_withdraw", tx=tx, subject=subject_id, face_vectors_deleted=deleted)
    return reload(session), deleted


def subject_for(session: CaseSession, *, label: str, face_consent: bool | None) -> tuple[CaseSession, int]:
    """The subject with this label or id, added (with `face_consent`, default no) when new."""
    found = session.subject_by_label(label)
    if found is not None:
        return session, found.id
    return add_subject(session, label=label, face_consent=bool(face_consent))
