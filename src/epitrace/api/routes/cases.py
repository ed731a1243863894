"""Cases, subjects, sightings and the picker frame (all case-scoped but the list and creation).

Each route parses, calls one use case of `epitrace.app` (the CLI calls the same) and formats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from epitrace import app as core
from epitrace.api import schemas as S
from epitrace.api.deps import CASE_ID_PATTERN, CaseDep, CurrentUser, ServicesDep, StaffUser
from epitrace.api.errors import errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import case_out, case_summary, sighting_out

router = APIRouter(prefix="/api/cases", tags=["cases"])
JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "A JPEG image."}}
NO_STORE = {"Cache-Control": "private, no-store"}


@router.get("", responses=errors())
def list_cases(user: CurrentUser, services: ServicesDep) -> S.CaseList:
    """Cases you may see: investigators their assigned ones, admins and auditors all (no footage)."""
    data = [case_summary(c) for c in core.visible_cases(services, user)]
    return S.CaseList(data=data, count=len(data))


@router.post("", status_code=201, responses=errors(409))
def create_case(body: S.CaseCreate, user: StaffUser, services: ServicesDep) -> S.CaseOut:
    """Open a case (window: 2 days before onset to isolation); its creator is assigned to it."""
    session = core.create_case(services, user, core.CaseRequest(
        legal_basis=body.legal_basis, onset=body.onset, isolation=body.isolation, cameras=body.cameras,
        title=body.title))
    return case_out(session, core.case_cameras(session))


@router.post("/{case_id}/approval", responses=errors(404, 409))
def approve_case(user: CurrentUser, services: ServicesDep,
                 case_id: Annotated[str, Path(pattern=CASE_ID_PATTERN)]) -> S.CaseSummary:
    """Approve a pending case (a supervisor or admin other than its creator): it becomes searchable."""
    return case_summary(core.approve_case(services, user, case_id))


@router.post("/{case_id}/close", responses=errors(404, 409))
def close_case(body: S.CaseCloseIn, case: CaseDep) -> S.CaseSummary:
    """Close the case with its outcome: nothing more is searched; retention counts from now."""
    return case_summary(core.close_case(case, outcome=body.outcome).case)


@router.get("/{case_id}", responses=errors(404))
def get_case(case: CaseDep) -> S.CaseOut:
    """The case with its subjects and the cameras in its scope."""
    return case_out(case, core.view_case(case))


@router.post("/{case_id}/subjects", status_code=201, responses=errors(404, 409))
def add_subject(body: S.SubjectCreate, case: CaseDep) -> S.SubjectOut:
    """Add a subject (at most 10); face consent governs every later use of face data."""
    session, sid = core.add_subject(case, label=body.label, face_consent=body.face_consent)
    s = session.subject(sid)
    return S.SubjectOut(id=s.id, label=s.label, face_consent=s.face_consent, enrolled=s.enrolled,
                        confirmed=len(s.confirmed))


@router.post("/{case_id}/subjects/{subject_id}/consent-withdrawal", responses=errors(404))
def withdraw_consent(subject_id: Annotated[int, Path(ge=1, le=MAX_ID)], case: CaseDep) -> S.SubjectOut:
    """The subject withdrew face-matching consent: their face vectors are deleted; silhouette tracing goes on."""
    session, _ = core.withdraw_face_consent(case, subject_id=subject_id)
    s = session.subject(subject_id)
    return S.SubjectOut(id=s.id, label=s.label, face_consent=s.face_consent, enrolled=s.enrolled,
                        confirmed=len(s.confirmed))


@router.get("/{case_id}/sightings", responses=errors(404))
def list_sightings(case: CaseDep,
                   camera_id: Annotated[str | None, Query(pattern=S.ID_PATTERN)] = None,
                   start: Annotated[datetime | None, Query(description="From (ISO 8601).")] = None,
                   end: Annotated[datetime | None, Query(description="To (ISO 8601).")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> S.SightingList:
    """Sightings (tracks) in the case's scope, to pick a subject from."""
    rows, total = core.sightings(case, camera_id=camera_id, start_ts=start.timestamp() if start else None,
                                 end_ts=end.timestamp() if end else None, limit=limit, offset=offset)
    return S.SightingList(data=[sighting_out(case.id, t) for t in rows], count=total)


@router.get("/{case_id}/frame", responses=errors(404))
def picker_frame(case: CaseDep, camera_id: Annotated[str, Query(pattern=S.ID_PATTERN)],
                 at: Annotated[datetime | None, Query(description="Wanted time (default: busiest).")] = None
                 ) -> S.FrameOut:
    """The analysed frame nearest `at` with every person box on it: click one to enrol it."""
    f, (width, height) = core.picker_frame(case, camera_id=camera_id, ts=at.timestamp() if at else None)
    return S.FrameOut(camera_id=camera_id, video_id=f.video.id, frame=f.frame, time=S.utc(f.ts), width=width,
                      height=height, image_url=f"/api/cases/{case.id}/videos/{f.video.id}/frames/{f.frame}",
                      boxes=[S.BoxOut(track_id=b[0], x1=b[1], y1=b[2], x2=b[3], y2=b[4]) for b in f.boxes],
                      span_start=S.utc(f.span[0]), span_end=S.utc(f.span[1]))


@router.get("/{case_id}/videos/{video_id}/frames/{frame}", response_class=Response,
            responses={**JPEG, **errors(404, 410)})
def frame_image(case: CaseDep, video_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                frame: Annotated[int, Path(ge=0, le=10**9)]) -> Response:
    """One frame of in-scope footage as JPEG, every head mosaicked."""
    return Response(core.frame_image(case, video_id=video_id, frame=frame), media_type="image/jpeg",
                    headers=NO_STORE)


@router.get("/{case_id}/sightings/{track_id}/thumbnail", response_class=Response,
            responses={**JPEG, **errors(404)})
def thumbnail(case: CaseDep, track_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    """A sighting's thumbnail.

    Clear only for the case's confirmed subjects or a contact you unmasked (audited); everyone else's
    head is mosaicked.
    """
    return Response(core.thumbnail(case, track_id=track_id), media_type="image/jpeg", headers=NO_STORE)
