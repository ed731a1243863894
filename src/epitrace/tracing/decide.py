"""The investigator's loop: confirm or reject candidates; trace every subject of a case."""

from __future__ import annotations

from epitrace.config import TracingConfig
from epitrace.store import Store, Unit
from epitrace.store.cases import enrolled_subjects, get_case, get_subject, get_tracks, set_decision
from epitrace.tracing.case_faces import FaceEmbedFn
from epitrace.tracing.search import Candidate, search_subjects


def _decide(store: Store, case_id: str, subject_id: int, track_id: int, decision: str,
            user: str, score: float, session: Unit | None) -> None:
    with store.unit(session) as s:
        get_subject(store, case_id=case_id, subject_id=subject_id, session=s)
        if track_id not in get_tracks(store, track_ids=[track_id], session=s):
            raise LookupError(f"no sighting {track_id}")
        set_decision(store, subject_id=subject_id, track_id=track_id, decision=decision, score=score,
                     user=user, session=s)


def confirm(store: Store, *, case_id: str, subject_id: int, track_id: int, user: str = "",
            score: float = 0.0, session: Unit | None = None) -> None:
    """Mark a sighting as the subject; it refines the next search and anchors the route."""
    _decide(store, case_id, subject_id, track_id, "confirmed", user, score, session)


def reject(store: Store, *, case_id: str, subject_id: int, track_id: int, user: str = "",
           score: float = 0.0, session: Unit | None = None) -> None:
    """Mark a sighting as not the subject; it is never proposed again for them."""
    _decide(store, case_id, subject_id, track_id, "rejected", user, score, session)


def trace_case(store: Store, *, case_id: str, config: TracingConfig,
               face_embed: FaceEmbedFn | None = None,
               session: Unit | None = None) -> dict[int, list[Candidate]]:
    """Search every enrolled subject of the case (up to 10) in one batched search.

    One unit reads the case once; which subjects are enrolled is counted in SQL, so each
    subject's sealed query vectors are opened once, by the search. `face_embed` is needed only
    where ingest kept face chips instead of embeddings.
    """
    with store.unit(session) as s:
        case = get_case(store, case_id=case_id, session=s)
        ids = [subject.id for subject in case.subjects]
        enrolled_ids = enrolled_subjects(store, subject_ids=ids, session=s)
        enrolled = [i for i in ids if i in enrolled_ids]
        results: dict[int, list[Candidate]] = {i: [] for i in ids if i not in enrolled_ids}  # not enrolled yet
        if enrolled:
            results.update(search_subjects(store, case_id=case_id, subject_ids=enrolled, config=config,
                                           face_embed=face_embed, session=s))
    return dict(sorted(results.items()))
