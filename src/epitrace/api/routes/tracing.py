"""Enrolment, search, confirm/reject and trajectories of a case's subjects (all audited).

Each route parses, calls one use case of `epitrace.app` (the CLI calls the same) and formats.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from epitrace import app as core
from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep, ServerDep
from epitrace.api.errors import UploadTooLarge, errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import thumb_url

router = APIRouter(prefix="/api/cases/{case_id}", tags=["tracing"])
SubjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="Subject id.")]


def _enrol_out(session: core.CaseSession, subject_id: int) -> S.EnrolOut:
    return S.EnrolOut(subject_id=subject_id, queries=dict(session.subject(subject_id).queries))


@router.post("/subjects/{subject_id}/enrol/track", responses=errors(404, 409))
def enrol_track(body: S.EnrolTrackIn, case: CaseDep, subject_id: SubjectId) -> S.EnrolOut:
    """Enrol by a picked sighting: its body vector (and its face only with consent).

    The picked sighting is also confirmed as the subject's (as `epitrace case enrol --sighting`
    does): the investigator has just said who it is.
    """
    return _enrol_out(core.enrol_by_sighting(case, subject_id=subject_id, track_id=body.track_id), subject_id)


@router.post("/subjects/{subject_id}/enrol/photo", responses=errors(400, 404, 409, 413))
def enrol_photo(case: CaseDep, subject_id: SubjectId, server: ServerDep,
                file: Annotated[UploadFile, File(description="A face photo (JPEG/PNG).")],
                face: Annotated[int | None, Query(ge=0, le=100, description="Which face (0 = leftmost).")] = None
                ) -> S.EnrolOut:
    """Enrol by a face photo: only for a subject who consented to face matching."""
    from epitrace.tracing import require_face_consent

    case.subject(subject_id)
    require_face_consent(case.services.store, case_id=case.id, subject_id=subject_id)  # before reading any face
    data = file.file.read(server.max_image_bytes() + 1)
    if len(data) > server.max_image_bytes():
        raise UploadTooLarge(server.max_image_bytes())
    image = core.decode_photo(data)
    return _enrol_out(core.enrol_by_photo(case, subject_id=subject_id, images_bgr=[image], face_index=face),
                      subject_id)


@router.post("/search", responses=errors(404))
def search(body: S.SearchIn, case: CaseDep) -> S.SearchOut:
    """Search every (or the given) subject at once: ranked candidates, best first."""
    out = []
    for r in core.search(case, subject_ids=body.subject_ids or None):
        cands = [S.CandidateOut(track_id=c.track_id, camera_id=c.camera_id, start=S.utc(c.start_ts),
                                end=S.utc(c.end_ts), body_score=c.body_score, face_score=c.face_score,
                                score=c.score, match=c.match, decision=c.decision,  # type: ignore[arg-type]
                                thumbnail_url=thumb_url(case.id, c.track_id),
                                explanation=None if c.explanation is None else str(c.explanation),
                                explanation_phrases=S.phrases_out(c.explanation), face_band=c.face_band,  # type: ignore[arg-type]
                                face_reason=None if c.face_reason is None else str(c.face_reason),
                                face_reason_phrases=S.phrases_out(c.face_reason))
                 for c in r.candidates[:body.top]]
        out.append(S.SubjectCandidates(subject_id=r.subject_id, label=r.label, enrolled=r.enrolled,
                                       candidates=cands))
    return S.SearchOut(subjects=out)


@router.post("/describe", responses=errors(404, 409))
def describe(body: S.DescribeIn, case: CaseDep) -> S.DescribeOut:
    """Search the case's footage by clothing colours and height, for a patient with no photo."""
    from epitrace.app.describe import describe as describe_case
    from epitrace.tracing.describe import Description

    d = Description(upper=body.upper, lower=body.lower, height_m=body.height_m, tolerance_m=body.tolerance_m,
                    start_ts=None if body.start is None else body.start.timestamp(),
                    end_ts=None if body.end is None else body.end.timestamp(),
                    cameras=None if body.cameras is None else tuple(body.cameras))
    found = describe_case(case, d, limit=body.top)
    return S.DescribeOut(candidates=[
        S.DescribedOut(track_id=c.track_id, camera_id=c.camera_id, start=S.utc(c.start_ts), end=S.utc(c.end_ts),
                       score=c.score, matched=list(c.matched), explanation=str(c.explanation),
                       explanation_phrases=S.phrases_out(c.explanation),
                       thumbnail_url=thumb_url(case.id, c.track_id)) for c in found])


@router.post("/subjects/{subject_id}/decisions", responses=errors(404, 409))
def decide(body: S.DecisionIn, case: CaseDep, subject_id: SubjectId) -> S.DecisionOut:
    """Confirm sightings as the subject (they refine the next search) or reject them."""
    ids = core.decide(case, subject_id=subject_id, track_ids=body.track_ids, decision=body.decision)
    return S.DecisionOut(subject_id=subject_id, decision=body.decision, track_ids=ids)


@router.get("/subjects/{subject_id}/trajectory", responses=errors(404))
def trajectory(case: CaseDep, subject_id: SubjectId) -> S.TrajectoryOut:
    """The subject's confirmed sightings as visits per camera, earliest first."""
    visits = core.route(case, subject_id=subject_id)
    return S.TrajectoryOut(subject_id=subject_id, label=case.subject(subject_id).label, visits=[S.VisitOut(
        camera_id=v.camera_id, camera_name=v.camera_name, place=v.place, latitude=v.latitude, longitude=v.longitude,
        entry=S.utc(v.entry_ts), exit=S.utc(v.exit_ts), track_ids=v.track_ids,
        thumbnail_urls=[thumb_url(case.id, t) for t in v.track_ids]) for v in visits])
