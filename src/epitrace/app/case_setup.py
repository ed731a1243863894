"""Opening cases, listing them, and adding subjects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from epitrace.app.actors import STAFF
from epitrace.app.case_session import CaseSession, open_case, reload
from epitrace.app.services import Services
from epitrace.privacy.users import User, require_role
from epitrace.store.orm import Camera, Case


@dataclass(frozen=True)
class CaseRequest:
    """What an investigator asks for when opening a case."""

    legal_basis: str
    onset: datetime
    isolation: datetime | None = None
    cameras: list[str] | None = None  # None: every camera
    title: str = ""


def create_case(services: Services, user: User, request: CaseRequest) -> CaseSession:
    """Open a case; an investigator who opens one is assigned to it. Audited."""
    from epitrace.privacy.audit import record
    from epitrace.privacy.users import assign
    from epitrace.tracing import new_case

    require_role(user, *STAFF)
    case = new_case(services.store, legal_basis=request.legal_basis, onset=request.onset,
                    isolation=request.isolation, cameras=request.cameras, title=request.title, user=user.name)
    if user.role == "investigator":  # whoever opens a case works on it
        assign(services.store, user=user.name, case_id=case.id, by=user.name)
    record(services.store, user=user.name, action="case_new", case_id=case.id, legal_basis=case.legal_basis,
           detail={"cameras": case.camera_scope})
    return open_case(services, user, case.id)


def visible_cases(services: Services, user: User) -> list[Case]:
    """Cases the user may list: admins and auditors all (metadata only), investigators theirs."""
    from epitrace.privacy.users import assigned_cases
    from epitrace.store.cases import find_cases

    cases = find_cases(services.store)
    if user.role == "investigator":
        mine = set(assigned_cases(services.store, user=user))
        cases = [c for c in cases if c.id in mine]
    elif user.role not in ("admin", "auditor"):
        require_role(user, "admin", "auditor", "investigator")
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

    Returns the reloaded session and the new subject's id.
    """
    from epitrace.tracing import add_subject as add

    subject = add(session.services.store, case_id=session.id, label=label, face_consent=face_consent)
    session.audit("subject_add", subject=subject.id, face_consent=face_consent)
    return reload(session), subject.id


def subject_for(session: CaseSession, *, label: str, face_consent: bool | None) -> tuple[CaseSession, int]:
    """The subject with this label or id, added (with `face_consent`, default no) when new."""
    found = session.subject_by_label(label)
    if found is not None:
        return session, found.id
    return add_subject(session, label=label, face_consent=bool(face_consent))
