"""Undoing a decision: a confirmed or rejected sighting becomes a candidate again (audited).

A mis-click in candidate review must be reversible without pretending the opposite decision
was made; the audit log keeps both the decision and its undoing.
"""

from __future__ import annotations

from epitrace.app.case_session import CaseSession


def undo_decision(session: CaseSession, *, subject_id: int, track_ids: list[int]) -> dict[int, str]:
    """Clear the subject's decisions on in-scope sightings, all or none, and audit it.

    Returns the decisions that were cleared (track id -> "confirmed" or "rejected"); sightings
    without a decision are left as they are.
    """
    from epitrace.store.decision_undo import clear_decisions, decisions_of

    session.subject(subject_id)
    session.require_open("undoing a decision")
    store = session.services.store
    with store.unit() as tx:
        ids = session.require_sightings(track_ids, tx)
        before = decisions_of(store, subject_id=subject_id, track_ids=ids, session=tx)
        if before:
            clear_decisions(store, subject_id=subject_id, track_ids=list(before), session=tx)
        session.audit("undo_decision", tx=tx, subject=subject_id, sightings=sorted(before),
                      cleared={str(k): v for k, v in sorted(before.items())})
    return before
