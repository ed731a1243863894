"""Clearing an investigator's decision on a sighting (the undo of confirm or reject)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from epitrace.store.orm import SightingDecision
from epitrace.store.repo import Store


def decisions_of(store: Store, *, subject_id: int, track_ids: list[int],
                 session: Session | None = None) -> dict[int, str]:
    """The current decision on each of `track_ids` for the subject (undecided ones absent)."""
    with store.unit(session) as s:
        rows = s.execute(select(SightingDecision.track_id, SightingDecision.decision).where(
            SightingDecision.subject_id == subject_id, SightingDecision.track_id.in_(track_ids)))
        return {int(t): str(d) for t, d in rows}


def clear_decisions(store: Store, *, subject_id: int, track_ids: list[int], session: Session | None = None) -> None:
    """Forget the decisions on `track_ids` for the subject: they are candidates again."""
    with store.unit(session) as s:
        s.execute(delete(SightingDecision).where(SightingDecision.subject_id == subject_id,
                                                 SightingDecision.track_id.in_(track_ids)))
