"""Rows of unmask grants (keyword-only; the first argument is the unit's session).

Who may unmask, and why it must be said, is decided in `epitrace.privacy.unmask`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.store.orm import Track
from epitrace.store.orm_access import UnmaskGrant


def track_exists(s: Session, *, track_id: int) -> bool:
    """Whether a sighting with that id is stored."""
    return s.get(Track, int(track_id)) is not None


def put_grant(s: Session, *, user_id: int, user_name: str, case_id: str, track_id: int, reason: str,
              ts: float) -> None:
    """Grant (or renew, with the new reason and time) one user's unmasking of one track in one case."""
    grant = s.get(UnmaskGrant, (user_id, case_id, int(track_id)))
    if grant is None:
        s.add(UnmaskGrant(user_id=user_id, case_id=case_id, track_id=int(track_id), reason=reason, ts=ts,
                          user_name=user_name))
    else:
        grant.reason, grant.ts = reason, ts


def has_grant(s: Session, *, user_id: int, case_id: str, track_id: int) -> bool:
    """Whether the user has unmasked that track in that case."""
    return s.get(UnmaskGrant, (user_id, case_id, int(track_id))) is not None


def granted_tracks(s: Session, *, user_id: int, case_id: str) -> set[int]:
    """Track ids the user has unmasked in the case."""
    return {int(t) for t in s.scalars(select(UnmaskGrant.track_id).where(
        UnmaskGrant.user_id == user_id, UnmaskGrant.case_id == case_id))}
