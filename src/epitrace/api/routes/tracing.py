"""Enrolment, search, confirm/reject and trajectories of a case's subjects (all audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, Request, UploadFile

from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep, ServerDep, SettingsDep
from epitrace.api.errors import errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import thumb_url

router = APIRouter(prefix="/api/cases/{case_id}", tags=["tracing"])
SubjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Subject id.")]


def _subject(case: CaseDep, subject_id: int):  # type: ignore[no-untyped-def]
    from epitrace.store.cases import get_subject

    return get_subject(case.store, case_id=case.id, subject_id=subject_id)


@router.post("/subjects/{subject_id}/enrol/track", responses=errors(404, 409))
def enrol_track(body: S.EnrolTrackIn, case: CaseDep, subject_id: SubjectId) -> S.EnrolOut:
    """Enrol by a picked sighting: its body vector (and its face only with consent).

    The picked sighting is also confirmed as the subject's: the investigator has just said who
    it is, and as an anchor it lets the search drop sightings the subject cannot have produced
    (someone else on the same camera at the same time).
    """
    from epitrace.api.queries import query_counts, track_in_scope
    from epitrace.tracing import confirm
    from epitrace.tracing import enrol_track as enrol

    _subject(case, subject_id)
    track_in_scope(case.store, case=case.case, track_id=body.track_id)
    enrol(case.store, case_id=case.id, subject_id=subject_id, track_id=body.track_id)
    confirm(case.store, case_id=case.id, subject_id=subject_id, track_id=body.track_id, user=case.user.name)
    case.audit("enrol", subject=subject_id, sighting=body.track_id)
    case.audit("confirm", subject=subject_id, sightings=[body.track_id], by="enrolment")
    return S.EnrolOut(subject_id=subject_id, queries=query_counts(case.store, subject_id=subject_id))


@router.post("/subjects/{subject_id}/enrol/photo", responses=errors(400, 404, 409, 413))
def enrol_photo(request: Request, case: CaseDep, subject_id: SubjectId, settings: SettingsDep,
                server: ServerDep, file: Annotated[UploadFile, File(description="A face photo (JPEG/PNG).")],
                face: Annotated[int | None, Query(ge=0, le=100, description="Which face (0 = leftmost).")] = None
                ) -> S.EnrolOut:
    """Enrol by a face photo: only for a subject who consented to face matching."""
    import cv2
    import numpy as np

    from epitrace.api.queries import query_counts
    from epitrace.tracing import enrol_photo as enrol
    from epitrace.tracing import require_face_consent

    _subject(case, subject_id)
    require_face_consent(case.store, case_id=case.id, subject_id=subject_id)  # before reading any face
    data = file.file.read(server.max_image_bytes() + 1)
    if len(data) > server.max_image_bytes():
        from epitrace.api.errors import UploadTooLarge

        raise UploadTooLarge(server.max_image_bytes())
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) if data else None
    if image is None:
        raise ValueError("the photo is not a readable image (JPEG or PNG)")
    embed = request.app.state.face_embedder(settings.models_dir, face)
    enrol(case.store, case_id=case.id, subject_id=subject_id, image_bgr=image, embed_face=embed)
    case.audit("enrol", subject=subject_id, photos=1)
    return S.EnrolOut(subject_id=subject_id, queries=query_counts(case.store, subject_id=subject_id))


@router.post("/search", responses=errors(404))
def search(body: S.SearchIn, case: CaseDep, settings: SettingsDep) -> S.SearchOut:
    """Search every (or the given) subject at once: ranked candidates, best first."""
    from epitrace.api.queries import query_counts
    from epitrace.tracing.case_faces import lazy_face_embed
    from epitrace.tracing.search import search_subjects

    wanted = body.subject_ids or [s.id for s in case.case.subjects]
    labels = {s.id: s.label for s in case.case.subjects}
    for sid in wanted:
        if sid not in labels:
            raise LookupError(f"case {case.id} has no subject {sid}")
    enrolled = [sid for sid in wanted if query_counts(case.store, subject_id=sid)]
    found = search_subjects(case.store, case_id=case.id, subject_ids=enrolled, config=settings.tracing,
                            face_embed=lazy_face_embed(settings.models_dir)) if enrolled else {}
    case.audit("search", subjects=sorted(wanted))
    out = []
    for sid in wanted:
        cands = [S.CandidateOut(track_id=c.track_id, camera_id=c.camera_id, start=S.utc(c.start_ts),
                                end=S.utc(c.end_ts), body_score=c.body_score, face_score=c.face_score,
                                score=c.score, match=c.match, decision=c.decision,  # type: ignore[arg-type]
                                thumbnail_url=thumb_url(case.id, c.track_id)) for c in found.get(sid, [])[:body.top]]
        out.append(S.SubjectCandidates(subject_id=sid, label=labels[sid], enrolled=sid in enrolled, candidates=cands))
    return S.SearchOut(subjects=out)


@router.post("/subjects/{subject_id}/decisions", responses=errors(404, 409))
def decide(body: S.DecisionIn, case: CaseDep, subject_id: SubjectId) -> S.DecisionOut:
    """Confirm sightings as the subject (they refine the next search) or reject them."""
    from epitrace.api.queries import track_in_scope
    from epitrace.tracing import confirm, reject

    _subject(case, subject_id)
    ids = list(dict.fromkeys(body.track_ids))
    for track_id in ids:
        track_in_scope(case.store, case=case.case, track_id=track_id)
    act = confirm if body.decision == "confirmed" else reject
    for track_id in ids:
        act(case.store, case_id=case.id, subject_id=subject_id, track_id=track_id, user=case.user.name)
    case.audit("confirm" if body.decision == "confirmed" else "reject", subject=subject_id, sightings=ids)
    return S.DecisionOut(subject_id=subject_id, decision=body.decision, track_ids=ids)


@router.get("/subjects/{subject_id}/trajectory", responses=errors(404))
def trajectory(case: CaseDep, subject_id: SubjectId) -> S.TrajectoryOut:
    """The subject's confirmed sightings as visits per camera, earliest first."""
    from epitrace.tracing import trajectory as route

    subject = _subject(case, subject_id)
    visits = route(case.store, subject_id=subject_id)
    case.audit("view", what="route", subject=subject_id)
    return S.TrajectoryOut(subject_id=subject_id, label=subject.label, visits=[S.VisitOut(
        camera_id=v.camera_id, camera_name=v.camera_name, place=v.place, latitude=v.latitude, longitude=v.longitude,
        entry=S.utc(v.entry_ts), exit=S.utc(v.exit_ts), track_ids=v.track_ids,
        thumbnail_urls=[thumb_url(case.id, t) for t in v.track_ids]) for v in visits])
