"""The investigator's loop: confirm or reject candidates; trace every subject of a case."""

from __future__ import annotations

from epitrace.config import TracingConfig
from epitrace.store import Store
from epitrace.store.cases import get_case, get_subject, get_tracks, query_vectors, set_decision
from epitrace.tracing.case_faces import FaceEmbedFn
from epitrace.tracing.search import Candidate, search_subjects


def _decide(store: Store, case_id: str, subject_id: int, track_id: int, decision: str,
            user: str, score: float) -> None:
    get_subject(store, case_id=case_id, subject_id=subject_id)
    if track_id not in get_tracks(store, track_ids=[track_id]):
        raise LookupError(f"no sighting {track_id}")
    set_decision(store, subject_id=subject_id, track_id=track_id, decision=decision, score=score,
                 user=user)


def confirm(store: Store, *, case_id: str, subject_id: int, track_id: int, user: str = "",
            score: float = 0.0) -> None:
    """Mark a sighting as the subject; it refines the next search and anchors the route."""
    _decide(store, case_id, subject_id, track_id, "confirmed", user, score)


def reject(store: Store, *, case_id: str, subject_id: int, track_id: int, user: str = "",
           score: float = 0.0) -> None:
    """Mark a sighting as not the subject; it is never proposed again for them."""
    _decide(store, case_id, subject_id, track_id, "rejected", user, score)


def trace_case(store: Store, *, case_id: str, config: TracingConfig,
               face_embed: FaceEmbedFn | None = None) -> dict[int, list[Candidate]]:
    """Search every enrolled subject of the case (up to 10) in one batched search.

    `face_embed` is needed only where ingest kept face chips instead of embeddings."""
    case = get_case(store, case_id=case_id)
    enrolled, results = [], {}
    for subject in case.subjects:
        if query_vectors(store, subject_id=subject.id, kind="body") or query_vectors(
                store, subject_id=subject.id, kind="face"):
            enrolled.append(subject.id)
        else:
            results[subject.id] = []  # not enrolled yet
    if enrolled:
        results.update(search_subjects(store, case_id=case_id, subject_ids=enrolled, config=config,
                                       face_embed=face_embed))
    return dict(sorted(results.items()))
