"""The demo's case, run as a team would run it: through the same use cases, rules and audit.

An investigator (`demo`) opens the case, a supervisor (`demo-supervisor`) approves it, the
investigator enrols the longest-seen pedestrian by a picked sighting (no face consent), confirms
the sightings the search finds above threshold, lists contacts and writes the report. Every step
is in the audit log under the person who took it.

The demo creates accounts and approves its own case, which is its point in a throw-away home and
a bypass of account management and of the two-person rule anywhere else: `demo_actor` lets it
run without a login only in a home with no account but the demo's own, and otherwise only for an
administrator (checked before anything is written).
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
from epitrace.privacy.users import User

DEMO_USER = "demo"
DEMO_SUPERVISOR = "demo-supervisor"
DEMO_ADMIN = "demo-admin"
DEMO_ACCOUNTS = (DEMO_ADMIN, DEMO_USER, DEMO_SUPERVISOR)
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


def demo_actor(services: Services, user: User | None) -> str:
    """Who runs the demo (for the audit log), refusing anyone but an administrator in a real home.

    Without a login the demo runs only where no account exists but the demo's own (a fresh or a
    demo home). Elsewhere it would hand whoever can run the CLI an investigator and a supervisor
    with a self-approved case, replace a camera and ingest unaudited, so it needs an administrator.

    Raises:
        AuthError: Not logged in, in a home with other accounts.
        AccessDenied: Logged in, but not as an administrator, in such a home.
    """
    from epitrace.privacy.users import AuthError, list_users, require_role

    if all(u.name in DEMO_ACCOUNTS for u in list_users(services.store)):
        return user.name if user is not None else "demo"
    if user is None:
        raise AuthError("this home has user accounts, and the demo creates accounts and approves its own case: "
                        "log in as an administrator (`epitrace login NAME`), or run the demo in a fresh home "
                        "(EPITRACE_HOME=/tmp/epitrace-demo epitrace demo ...)")
    require_role(user, "admin")
    return user.name


def demo_accounts(services: Services, *, by: str) -> list[tuple[str, str, str]]:
    """Create the demo's investigator and supervisor; return the new ones with their passwords.

    An admin is created too when the store has no account yet (the first must be an admin). `by`
    is `demo_actor`'s answer: call it first.
    """
    from epitrace.privacy.users import add_user, list_users

    existing = {u.name for u in list_users(services.store)}
    created = []
    for name, role in ((DEMO_ADMIN, "admin"), (DEMO_USER, "investigator"), (DEMO_SUPERVISOR, "supervisor")):
        if name in existing or (role == "admin" and existing):
            continue
        password = secrets.token_urlsafe(12)
        add_user(services.store, name=name, password=password, role=role, by=by)
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


def trace_demo(services: Services, *, user: User | None, camera_id: str, title: str, start: datetime,
               report_dir: Path) -> DemoOutcome | None:
    """Run the demo case end to end as `user` (None: not logged in); None when the camera has no sighting.

    Refused (before anything is written) in a home with accounts other than the demo's unless
    `user` is an administrator (`demo_actor`).
    """
    actor = demo_actor(services, user)
    picked = longest_sighting(services, camera_id)
    if picked is None:
        return None
    accounts = demo_accounts(services, by=actor)
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
