"""Finding a case's subjects: enrol (photo or sighting), search, confirm/reject, route.

Every use case takes an open `CaseSession`, checks scope through it, acts, and writes its audit
entry. Enrolling by a sighting also confirms it, whichever front end asks: the investigator has
just said who it is, and as an anchor it lets the search drop sightings the subject cannot have
produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

import numpy as np
import numpy.typing as npt

from epitrace.app.case_session import CaseSession, reload
from epitrace.tracing import Candidate, Visit

Decision = Literal["confirmed", "rejected"]


@dataclass(frozen=True)
class SubjectCandidates:
    """The ranked candidates of one subject (empty when not enrolled)."""

    subject_id: int
    label: str
    enrolled: bool
    candidates: list[Candidate]


def enrol_by_photo(session: CaseSession, *, subject_id: int, images_bgr: list[npt.NDArray[np.uint8]],
                   face_index: int | None = None) -> CaseSession:
    """Add the face of each photo as a query of the subject: only with face-matching consent.

    Consent is checked before any face is detected. Returns the reloaded session.
    """
    from epitrace.tracing import enrol_photo, require_face_consent
    from epitrace.tracing.case_faces import photo_embedder
    from epitrace.tracing.enrol import FacePhotoEmbedder

    session.subject(subject_id)
    if session.case.status == "closed":
        session.require_open("enrolling a subject")
    store = session.services.store
    require_face_consent(store, case_id=session.id, subject_id=subject_id)
    embed = cast("FacePhotoEmbedder", photo_embedder(session.services.settings.models_dir, face_index))
    with store.unit() as tx:  # every photo or none, with the audit entry
        for image in images_bgr:
            enrol_photo(store, case_id=session.id, subject_id=subject_id, image_bgr=image, embed_face=embed,
                        session=tx)
        session.audit("enrol", tx=tx, subject=subject_id, photos=len(images_bgr))
    return reload(session)


def enrol_by_sighting(session: CaseSession, *, subject_id: int, track_id: int) -> CaseSession:
    """Enrol by a picked in-scope sighting and confirm it as the subject's.

    Its body vector becomes a query, its face only with consent. Returns the reloaded session.
    """
    from epitrace.tracing import confirm, enrol_track

    session.subject(subject_id)
    session.require_open("enrolling by a sighting")
    store = session.services.store
    with store.unit() as tx:
        session.require_sighting(track_id, tx)
        enrol_track(store, case_id=session.id, subject_id=subject_id, track_id=track_id, session=tx)
        confirm(store, case_id=session.id, subject_id=subject_id, track_id=track_id, user=session.user.name,
                session=tx)
        session.audit("enrol", tx=tx, subject=subject_id, sighting=track_id)
        session.audit("confirm", tx=tx, subject=subject_id, sightings=[track_id], by="enrolment")
    return reload(session)


def search(session: CaseSession, *, subject_ids: list[int] | None = None) -> list[SubjectCandidates]:
    """Search every (or the given) subject of the case at once; candidates best first. Audited."""
    from epitrace.app.describe import explain_candidates
    from epitrace.tracing.case_faces import lazy_face_embed
    from epitrace.tracing.search import search_subjects

    session.require_open("searching")
    wanted = [session.subject(sid) for sid in (subject_ids or [s.id for s in session.subjects])]
    enrolled = [s.id for s in wanted if s.enrolled]
    settings = session.services.settings
    found = {}
    with session.services.store.unit() as tx:
        if enrolled:
            found = search_subjects(session.services.store, case_id=session.id, subject_ids=enrolled,
                                    config=settings.tracing, face_embed=lazy_face_embed(settings.models_dir),
                                    session=tx)
            found = explain_candidates(session.services.store, found, tx)
        session.audit("search", tx=tx, subjects=sorted(s.id for s in wanted))
    return [SubjectCandidates(s.id, s.label, s.enrolled, found.get(s.id, [])) for s in wanted]


def decide(session: CaseSession, *, subject_id: int, track_ids: list[int], decision: Decision) -> list[int]:
    """Confirm in-scope sightings as the subject (they refine the next search) or reject them.

    Every sighting is checked before any is changed, so a request is applied whole or not at all.
    Returns the ids decided, without duplicates.
    """
    from epitrace.tracing import confirm, reject

    session.subject(subject_id)
    session.require_open("confirming or rejecting sightings")
    act = confirm if decision == "confirmed" else reject
    with session.services.store.unit() as tx:
        ids = session.require_sightings(track_ids, tx)
        for track_id in ids:
            act(session.services.store, case_id=session.id, subject_id=subject_id, track_id=track_id,
                user=session.user.name, session=tx)
        session.audit("confirm" if decision == "confirmed" else "reject", tx=tx, subject=subject_id, sightings=ids)
    return ids


def route(session: CaseSession, *, subject_id: int) -> list[Visit]:
    """The subject's confirmed sightings as visits per camera, earliest first. Audited."""
    from epitrace.tracing import trajectory

    session.subject(subject_id)
    session.require_not_pending("the route")
    with session.services.store.unit() as tx:
        visits = trajectory(session.services.store, subject_id=subject_id, session=tx)
        session.audit("view", tx=tx, what="route", subject=subject_id)
    return visits
