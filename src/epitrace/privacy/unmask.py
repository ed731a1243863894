"""Unmasking a contact: a deliberate, reasoned and audited exception to redaction.

Contacts are shown mosaicked. An investigator who must identify one (e.g. to reach them for a
test) unmasks that one sighting with a written reason; the grant is per user, case and track, so
it never widens to other people, other cases or colleagues, and it is written to the audit log.
"""

from __future__ import annotations

import time

from epitrace.privacy import audit
from epitrace.privacy.users import User, require_case_access, require_role
from epitrace.store import unmask_repo
from epitrace.store.orm_access import UnmaskGrant
from epitrace.store.repo import Store, Unit

MIN_REASON_CHARS = 15
UNMASK_ROLES = ("admin", "investigator")

__all__ = ["MIN_REASON_CHARS", "UNMASK_ROLES", "UnmaskGrant", "is_unmasked", "unmask_contact",
           "unmasked_tracks"]


def unmask_contact(store: Store, *, user: User, case_id: str, track_id: int, reason: str,
                   session: Unit | None = None) -> None:
    """Let `user` see track `track_id` unmasked within `case_id`; audited with the reason.

    The grant and its audit entry are written in one transaction (the caller's, with `session`).

    Raises:
        AccessDenied: Wrong role, or the case is not theirs.
        ValueError: The reason is missing or too short to be meaningful.
        LookupError: No such track.
    """
    require_role(user, *UNMASK_ROLES)
    require_case_access(store, user=user, case_id=case_id, session=session)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValueError(f"say why this contact must be unmasked (at least {MIN_REASON_CHARS} characters)")
    from epitrace.store.cases import get_case

    with store.unit(session) as s:
        if not unmask_repo.track_exists(s, track_id=track_id):
            raise LookupError(f"unknown sighting {track_id}")
        legal_basis = get_case(store, case_id=case_id, session=s).legal_basis
        unmask_repo.put_grant(s, user_id=user.id, user_name=user.name, case_id=case_id, track_id=track_id,
                              reason=reason, ts=time.time())
        audit.record(store, user=user.name, action="unmask", case_id=case_id, legal_basis=legal_basis,
                     detail={"track_id": int(track_id), "reason": reason}, session=s)


def is_unmasked(store: Store, *, user: User, case_id: str, track_id: int, session: Unit | None = None) -> bool:
    """Whether `user` has unmasked this track in this case (and still has the role for it)."""
    if user.disabled or user.role not in UNMASK_ROLES:
        return False
    with store.unit(session) as s:
        return unmask_repo.has_grant(s, user_id=user.id, case_id=case_id, track_id=track_id)


def unmasked_tracks(store: Store, *, user: User, case_id: str, session: Unit | None = None) -> set[int]:
    """Track ids `user` has unmasked in `case_id`."""
    if user.disabled or user.role not in UNMASK_ROLES:
        return set()
    with store.unit(session) as s:
        return unmask_repo.granted_tracks(s, user_id=user.id, case_id=case_id)
