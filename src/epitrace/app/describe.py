"""Search a case's footage by a description (clothing colours, height) when there is no photo.

Same rules as every search: the case must be open, only its window and cameras are read (the
description may narrow them, never widen them), and the search is audited in the same unit.
"""

from __future__ import annotations

from dataclasses import replace

from epitrace.app.case_session import CaseSession
from epitrace.store import Store, Unit
from epitrace.store.attributes_repo import attributes_of
from epitrace.tracing import Candidate
from epitrace.tracing.describe import DescribedCandidate, Description, described_tracks, explain, rank


def describe(session: CaseSession, description: Description, *, limit: int = 50) -> list[DescribedCandidate]:
    """Ranked in-scope candidates for `description`, best first, with what matched. Audited."""
    session.require_open("searching")
    cameras = description.cameras
    if cameras is not None:
        outside = [c for c in cameras if not session.scope.covers_camera(c)]
        if outside:
            from epitrace.app.errors import OutOfScope

            raise OutOfScope(f"camera {outside[0]!r} is not one of case {session.id}'s cameras")
    store = session.services.store
    with store.unit() as tx:
        rows = described_tracks(store, scope=session.scope, d=description, session=tx)
        found = rank(description, rows, limit=limit)
        session.audit("search", tx=tx, by="description", upper=description.upper, lower=description.lower,
                      height_m=description.height_m, cameras=list(cameras) if cameras else None,
                      results=len(found))
    return found


def explain_candidates(store: Store, found: dict[int, list[Candidate]], tx: Unit) -> dict[int, list[Candidate]]:
    """The same candidates, each with its track's attributes in words (where they were measured)."""
    ids = sorted({c.track_id for cands in found.values() for c in cands})
    looks = attributes_of(store, track_ids=ids, session=tx)
    return {sid: [replace(c, explanation=explain(looks[c.track_id])) if c.track_id in looks else c for c in cands]
            for sid, cands in found.items()}
