"""Cases, subjects, sightings and the picker frame (all case-scoped but the list and creation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep, CurrentUser, StaffUser, StoreDep
from epitrace.api.errors import errors
from epitrace.api.schemas import MAX_ID
from epitrace.api.views import case_out, case_summary, sighting_out

router = APIRouter(prefix="/api/cases", tags=["cases"])
JPEG = {200: {"content": {"image/jpeg": {}}, "description": "A JPEG image."}}


@router.get("", responses=errors())
def list_cases(user: CurrentUser, store: StoreDep) -> S.CaseList:
    """Cases you may see: investigators their assigned ones, admins and auditors all (no footage)."""
    from epitrace.api.queries import visible_cases

    data = [case_summary(c) for c in visible_cases(store, user=user)]
    return S.CaseList(data=data, count=len(data))


@router.post("", status_code=201, responses=errors(409))
def create_case(body: S.CaseCreate, user: StaffUser, store: StoreDep) -> S.CaseOut:
    """Open a case (window: 2 days before onset to isolation); its creator is assigned to it."""
    from epitrace.privacy.audit import record
    from epitrace.privacy.users import assign
    from epitrace.store.cases import get_case
    from epitrace.tracing import new_case

    case = new_case(store, legal_basis=body.legal_basis, onset=body.onset, isolation=body.isolation,
                    cameras=body.cameras, title=body.title, user=user.name)
    if user.role == "investigator":
        assign(store, user=user.name, case_id=case.id, by=user.name)
    record(store, user=user.name, action="case_new", case_id=case.id, legal_basis=case.legal_basis,
           detail={"cameras": case.camera_scope})
    return case_out(store, get_case(store, case_id=case.id))


@router.get("/{case_id}", responses=errors(404))
def get_case(case: CaseDep) -> S.CaseOut:
    """The case with its subjects and the cameras in its scope."""
    case.audit("view", what="case")
    return case_out(case.store, case.case)


@router.post("/{case_id}/subjects", status_code=201, responses=errors(404, 409))
def add_subject(body: S.SubjectCreate, case: CaseDep) -> S.SubjectOut:
    """Add a subject (at most 10); face consent governs every later use of face data."""
    from epitrace.tracing import add_subject as add

    subject = add(case.store, case_id=case.id, label=body.label, face_consent=body.face_consent)
    case.audit("subject_add", subject=subject.id, face_consent=body.face_consent)
    return S.SubjectOut(id=subject.id, label=subject.label, face_consent=subject.face_consent, enrolled=False,
                        confirmed=0)


@router.get("/{case_id}/sightings", responses=errors(404))
def list_sightings(case: CaseDep,
                   camera_id: Annotated[str | None, Query(pattern=S.ID_PATTERN)] = None,
                   start: Annotated[datetime | None, Query(description="From (ISO 8601).")] = None,
                   end: Annotated[datetime | None, Query(description="To (ISO 8601).")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> S.SightingList:
    """Sightings (tracks) in the case's scope, to pick a subject from."""
    from epitrace.api.queries import sightings

    rows, total = sightings(case.store, case=case.case, camera_id=camera_id,
                            start_ts=start.timestamp() if start else None, end_ts=end.timestamp() if end else None,
                            limit=limit, offset=offset)
    case.audit("view", what="sightings", camera=camera_id, count=len(rows))
    return S.SightingList(data=[sighting_out(case.id, t) for t in rows], count=total)


@router.get("/{case_id}/frame", responses=errors(404))
def picker_frame(case: CaseDep, camera_id: Annotated[str, Query(pattern=S.ID_PATTERN)],
                 at: Annotated[datetime | None, Query(description="Wanted time (default: busiest).")] = None
                 ) -> S.FrameOut:
    """The analysed frame nearest `at` with every person box on it: click one to enrol it."""
    from epitrace.api.queries import picker_frame as pick

    f = pick(case.store, case=case.case, camera_id=camera_id, ts=at.timestamp() if at else None)
    width, height = _frame_size(f.video.path)
    return S.FrameOut(camera_id=camera_id, video_id=f.video.id, frame=f.frame, time=S.utc(f.ts), width=width,
                      height=height, image_url=f"/api/cases/{case.id}/videos/{f.video.id}/frames/{f.frame}",
                      boxes=[S.BoxOut(track_id=b[0], x1=b[1], y1=b[2], x2=b[3], y2=b[4]) for b in f.boxes],
                      span_start=S.utc(f.span[0]), span_end=S.utc(f.span[1]))


def _frame_size(path: str) -> tuple[int, int]:
    from pathlib import Path as FsPath

    from epitrace.ingest import probe_video

    info = probe_video(FsPath(path))
    return info.width, info.height


@router.get("/{case_id}/videos/{video_id}/frames/{frame}", response_class=Response,
            responses={**JPEG, **errors(404, 410)})
def frame_image(case: CaseDep, video_id: Annotated[int, Path(ge=1, le=MAX_ID)],
                frame: Annotated[int, Path(ge=0, le=10**9)]) -> Response:
    """One frame of in-scope footage as JPEG, every head mosaicked."""
    from epitrace.api.media import frame_jpeg
    from epitrace.api.queries import video_in_scope

    video = video_in_scope(case.store, case=case.case, video_id=video_id, frame=frame)
    data = frame_jpeg(case.store, video, frame)
    case.audit("view", what="frame", video=video_id, frame=frame)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.get("/{case_id}/sightings/{track_id}/thumbnail", response_class=Response,
            responses={**JPEG, **errors(404)})
def thumbnail(case: CaseDep, track_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> Response:
    """A sighting's thumbnail: clear only for the case's confirmed subjects or a contact you
    unmasked (audited); everyone else's head is mosaicked."""
    from epitrace.api.queries import first_thumbnail, track_in_scope
    from epitrace.privacy.unmask import is_unmasked
    from epitrace.reports.data import thumbnail_jpeg
    from epitrace.store.cases import confirmed_tracks

    track_in_scope(case.store, case=case.case, track_id=track_id)
    rel = first_thumbnail(case.store, track_id=track_id)
    if rel is None:
        raise LookupError(f"sighting {track_id} has no thumbnail")
    unmasked = is_unmasked(case.store, user=case.user, case_id=case.id, track_id=track_id)
    clear = unmasked or track_id in confirmed_tracks(case.store, case_id=case.id)
    if unmasked:
        case.audit("view", what="unmasked_thumbnail", track_id=track_id)
    return Response(thumbnail_jpeg(case.store, rel, redact=not clear), media_type="image/jpeg",
                    headers={"Cache-Control": "private, no-store"})
