"""The demo's case, run as a team would run it: through the same use cases, rules and audit.

An investigator (`demo`) opens the case, a supervisor (`demo-supervisor`) approves it, the
investigator enrols the longest-seen pedestrian by a picked sighting (no face consent), confirms
the sightings the search finds above threshold, lists contacts and writes the report. Every step
is in the audit log under the person who took it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from epitrace.app.case_session import CaseSession, open_case
from epitrace.app.case_setup import CaseRequest, add_subject, approve_case, create_case
from epitrace.app.evidence import contacts, write_report
from epitrace.app.services import Services
from epitrace.app.subject_search import decide, enrol_by_sighting, search
from epitrace.config import get_policy

DEMO_USER = "demo"
DEMO_SUPERVISOR = "demo-supervisor"
DEMO_ADMIN = "demo-admin"
LEGAL_BASIS = "Demonstration on PETS 2009 research footage (no real patient)"


@dataclass(frozen=True)
class DemoOutcome:
    """What the demo case found and wrote, and the accounts it created (passwords shown once)."""

    case_id: str
    confirmed: int
    contact_people: int
    policy: str
    distance_m: float
    report: tuple[Path, Path]
    new_accounts: list[tuple[str, str, str]] = field(default_factory=list)  # name, role, password


def demo_accounts(services: Services) -> list[tuple[str, str, str]]:
    """Create the demo's investigator and supervisor; return the new ones with their passwords.

    An admin is created too when the store has no account yet (the first must be an admin).
    """
    from epitrace.privacy.users import add_user, list_users

    existing = {u.name for u in list_users(services.store)}
    created = []
    for name, role in ((DEMO_ADMIN, "admin"), (DEMO_USER, "investigator"), (DEMO_SUPERVISOR, "supervisor")):
        if name in existing or (role == "admin" and existing):
            continue
        password = secrets.token_urlsafe(12)
        add_user(services.store, name=name, password=password, role=role, by="demo")
        created.append((name, role, password))
    return created


def longest_sighting(services: Services, camera_id: str) -> int | None:
    """The longest-seen track of a camera: the demo's "patient" (picked, as an investigator would)."""
    from epitrace.store.ingest_repo import longest_track_id

    return longest_track_id(services.store, camera_id=camera_id)


def _demo_case(services: Services, *, title: str, camera_id: str, start: datetime) -> tuple[CaseSession, bool]:
    """The demo case for the demo investigator: reused, or opened and approved. (session, new?)."""
    from epitrace.privacy.users import get_user
    from epitrace.store.cases import find_cases

    investigator = get_user(services.store, name=DEMO_USER)
    found = next((c for c in find_cases(services.store, text=title) if c.title == title), None)
    if found is not None:
        return open_case(services, investigator, found.id), False
    session = create_case(services, investigator, CaseRequest(
        # onset an hour after the footage starts, isolation an hour later: both in the past (a case's
        # times may not lie in the future), and the window (onset - 2 days) covers the footage
        legal_basis=LEGAL_BASIS, onset=start + timedelta(hours=1), isolation=start + timedelta(hours=2),
        cameras=[camera_id], title=title))
    approve_case(services, get_user(services.store, name=DEMO_SUPERVISOR), session.id)
    return open_case(services, investigator, session.id), True


def trace_demo(services: Services, *, camera_id: str, title: str, start: datetime,
               report_dir: Path) -> DemoOutcome | None:
    """Run the demo case end to end; None when the camera has no sighting to trace."""
    picked = longest_sighting(services, camera_id)
    if picked is None:
        return None
    accounts = demo_accounts(services)
    session, new = _demo_case(services, title=title, camera_id=camera_id, start=start)
    if new:
        session, subject_id = add_subject(session, label="pedestrian-1", face_consent=False)
        session = enrol_by_sighting(session, subject_id=subject_id, track_id=picked)
        found = search(session, subject_ids=[subject_id])[0].candidates
        matches = [c.track_id for c in found if c.match and c.decision is None]  # a real investigator
        if matches:                                                               # reviews each one
            decide(session, subject_id=subject_id, track_ids=matches, decision="confirmed")
        session = open_case(services, session.user, session.id)
    policy = get_policy("cdc")
    rows = contacts(session, policy=policy)
    report = write_report(session, policy=policy, out_dir=report_dir)
    return DemoOutcome(session.id, len(session.confirmed_tracks), len({r.contact.person_id for r in rows}),
                       policy.name, policy.distance_m, report, accounts)
