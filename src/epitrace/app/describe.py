"""Search a case's footage by a description (clothing colours, height) when there is no photo.

Same rules as every search: the case must be open, only its window and cameras are read (the
description may narrow them, never widen them), and the search is audited in the same unit.
"""

from __future__ import annotations

from epitrace.app.case_session import CaseSession
from epitrace.tracing.describe import DescribedCandidate, Description, described_tracks, rank


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
