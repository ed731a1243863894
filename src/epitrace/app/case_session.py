"""Opening a case: access check, the case and its subjects loaded once, and the audit binding.

Every case use case takes a `CaseSession`. Opening one is the only way in, so the rules that
decide whether a user may touch a case, and which sightings belong to it, live here once:
role and assignment (`open_case`), and scope (`require_sighting`: inside the case's window and
cameras, or refused exactly as if it did not exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from epitrace.app.errors import OutOfScope
from epitrace.app.services import Services
from epitrace.privacy.users import User
from epitrace.store import Unit
from epitrace.store.case_scope import Scope, scope_of
from epitrace.store.orm import Case, Track


@dataclass(frozen=True)
class SubjectView:
    """A subject of the case as the use cases need it (no vectors: those stay sealed in the store)."""

    id: int
    label: str
    face_consent: bool
    confirmed: tuple[int, ...]  # confirmed sighting (track) ids
    queries: dict[str, int] = field(default_factory=dict)  # enrolled query vectors per kind

    @property
    def enrolled(self) -> bool:
        """Whether the subject can be searched for."""
        return any(self.queries.values())


@dataclass(frozen=True)
class CaseSession:
    """One user's access to one case, loaded once, with an audit binding."""

    services: Services
    user: User
    case: Case
    scope: Scope
    subjects: tuple[SubjectView, ...]

    @property
    def id(self) -> str:
        """The case id."""
        return self.case.id

    def audit(self, action: str, *, tx: Unit | None = None, **detail: object) -> None:
        """One audit entry for this case, with its legal basis and the acting user.

        Inside the use case's unit `tx` when given, so the entry commits (or not) with what it records.
        """
        from epitrace.privacy.audit import record

        record(self.services.store, user=self.user.name, action=action, case_id=self.case.id,
               legal_basis=self.case.legal_basis, detail=detail or None, session=tx)

    def subject(self, subject_id: int) -> SubjectView:
        """A subject of this case (LookupError for another case's subject: the same as none)."""
        for s in self.subjects:
            if s.id == subject_id:
                return s
        raise LookupError(f"case {self.id} has no subject {subject_id}")

    def subject_by_label(self, label: str) -> SubjectView | None:
        """The subject with this label (or this id written as text), if any.

        Refused (CaseRuleError) when the text is one subject's label and another's id: a photo must
        never be enrolled, under one subject's face consent, as another person's query.
        """
        from epitrace.tracing import CaseRuleError

        found = {s.id: s for s in self.subjects if s.label == label or str(s.id) == label}
        if len(found) > 1:
            raise CaseRuleError(f"{label!r} is the label of one subject of case {self.id} and the id of another: "
                                "name the subject by its id (`epitrace case` tables and the web page show it)")
        return next(iter(found.values()), None)

    def require_open(self, doing: str) -> None:
        """Refuse `doing` unless the case is open.

        Nothing is searched or shown from footage before a supervisor approves the case, nor after it is
        closed (CaseRuleError).
        """
        from epitrace.tracing import CaseRuleError

        status = self.case.status
        if status == "pending":
            raise CaseRuleError(f"case {self.id} is waiting for a supervisor's approval: {doing} is possible "
                                "once it is approved (`epitrace case approve`, by someone other than its creator)")
        if status != "open":
            raise CaseRuleError(f"case {self.id} is {status}: {doing} is no longer possible")

    def require_not_pending(self, doing: str) -> None:
        """Refuse `doing` on a case not yet approved (reading a closed case's results is allowed).

        A case closed while still pending was never approved: closing it must not open what approval
        guards, so it shows nothing either.
        """
        from epitrace.tracing import CaseRuleError

        if self.case.status == "pending":
            self.require_open(doing)
        if self.case.status == "closed" and self.case.approved_at is None:
            raise CaseRuleError(f"case {self.id} was closed without ever being approved: {doing} is not possible")

    @property
    def confirmed_tracks(self) -> set[int]:
        """Every confirmed sighting of every subject: the people whose faces this case may show."""
        return {t for s in self.subjects for t in s.confirmed}

    def require_sighting(self, track_id: int, tx: Unit | None = None) -> Track:
        """The sighting if it lies in the case's window and cameras; OutOfScope otherwise."""
        from epitrace.store.case_scope import track_in_scope

        track = track_in_scope(self.services.store, scope=self.scope, track_id=track_id, session=tx)
        if track is None:
            raise OutOfScope(f"no sighting {track_id} in case {self.id}'s cameras and window")
        return track

    def require_sightings(self, track_ids: list[int], tx: Unit | None = None) -> list[int]:
        """The ids, without duplicates, if every one lies in scope; OutOfScope names the first that does not."""
        from epitrace.store.case_scope import tracks_in_scope

        ids = list(dict.fromkeys(track_ids))
        inside = tracks_in_scope(self.services.store, scope=self.scope, track_ids=ids, session=tx)
        for track_id in ids:
            if track_id not in inside:
                raise OutOfScope(f"no sighting {track_id} in case {self.id}'s cameras and window")
        return ids


def open_case(services: Services, user: User, case_id: str) -> CaseSession:
    """Check that `user` may open `case_id`, then load it with its subjects.

    The access check runs before the case is looked up, so an investigator learns nothing about
    cases that are not theirs, not even whether they exist. Refusals are audited.

    Raises:
        AccessDenied: Wrong role, not assigned, or disabled.
        UnknownCaseError: No such case (only said to those who may open any case).
    """
    from epitrace.privacy.users import require_case_access
    from epitrace.store.case_scope import query_counts
    from epitrace.store.cases import confirmed_by_subject, get_case

    store = services.store
    with store.unit() as tx:  # one read transaction: the case, its subjects, decisions and query counts
        require_case_access(store, user=user, case_id=case_id, session=tx)
        case = get_case(store, case_id=case_id, session=tx)
        confirmed = confirmed_by_subject(store, case_id=case_id, session=tx)
        counts = query_counts(store, subject_ids=[s.id for s in case.subjects], session=tx)
    subjects = tuple(SubjectView(s.id, s.label, s.face_consent, tuple(confirmed.get(s.id, [])), counts[s.id])
                     for s in case.subjects)
    return CaseSession(services, user, case, scope_of(case), subjects)


def reload(session: CaseSession) -> CaseSession:
    """The same user's session on the case's current state (after a change such as a new subject)."""
    return open_case(session.services, session.user, session.id)
