"""Unmasking a contact: a deliberate, reasoned and audited exception to redaction.

Contacts are shown mosaicked. An investigator who must identify one (e.g. to reach them for a
test) unmasks that one sighting with a written reason; the grant is per user, case and track, so
it never widens to other people, other cases or colleagues, and it is written to the audit log.
"""

from __future__ import annotations

import time

from sqlalchemy import Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from epitrace.privacy import audit
from epitrace.privacy.users import User, require_case_access, require_role
from epitrace.store.orm import Base, Track
from epitrace.store.repo import Store

MIN_REASON_CHARS = 15
UNMASK_ROLES = ("admin", "investigator")


class UnmaskGrant(Base):
    """User `user_id` may see track `track_id` of case `case_id` without mosaic, and why."""

    __tablename__ = "unmask_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    track_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    ts: Mapped[float] = mapped_column(Float)
    user_name: Mapped[str] = mapped_column(String(64))


def unmask_contact(store: Store, *, user: User, case_id: str, track_id: int, reason: str) -> None:
    """Let `user` see track `track_id` unmasked within `case_id`; audited with the reason.

    Raises:
        AccessDenied: Wrong role, or the case is not theirs.
        ValueError: The reason is missing or too short to be meaningful.
        LookupError: No such track.
    """
    require_role(user, *UNMASK_ROLES)
    require_case_access(store, user=user, case_id=case_id)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValueError(f"say why this contact must be unmasked (at least {MIN_REASON_CHARS} characters)")
    from epitrace.store.cases import get_case

    with store.db.session() as s:
        if s.get(Track, track_id) is None:
            raise LookupError(f"unknown sighting {track_id}")
        grant = s.get(UnmaskGrant, (user.id, case_id, track_id))
        if grant is None:
            s.add(UnmaskGrant(user_id=user.id, case_id=case_id, track_id=track_id, reason=reason,
                              ts=time.time(), user_name=user.name))
        else:
            grant.reason, grant.ts = reason, time.time()
    audit.record(store, user=user.name, action="unmask", case_id=case_id,
                 legal_basis=get_case(store, case_id=case_id).legal_basis,
                 detail={"track_id": int(track_id), "reason": reason})


def is_unmasked(store: Store, *, user: User, case_id: str, track_id: int) -> bool:
    """Whether `user` has unmasked this track in this case (and still has the role for it)."""
    if user.disabled or user.role not in UNMASK_ROLES:
        return False
    with store.db.session() as s:
        return s.get(UnmaskGrant, (user.id, case_id, int(track_id))) is not None


def unmasked_tracks(store: Store, *, user: User, case_id: str) -> set[int]:
    """Track ids `user` has unmasked in `case_id`."""
    if user.disabled or user.role not in UNMASK_ROLES:
        return set()
    with store.db.session() as s:
        return set(s.scalars(select(UnmaskGrant.track_id).where(
            UnmaskGrant.user_id == user.id, UnmaskGrant.case_id == case_id)))
