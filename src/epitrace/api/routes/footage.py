"""Footage spans, the photo face picker, undoing a decision, and camera calibration checks.

Each route parses, calls one use case of `epitrace.app` (footage, decisions_undo) and formats.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from epitrace import app as core
from epitrace.api import schemas as S
from epitrace.api.deps import CaseDep, CurrentUser, ServerDep, ServicesDep
from epitrace.api.errors import UploadTooLarge, errors
from epitrace.api.views import camera_out
from epitrace.app.cameras import get_camera
from epitrace.app.decisions_undo import undo_decision
from epitrace.app.footage import (
    calibration_frame,
    check_calibration_points,
    footage_spans,
    photo_faces,
    save_calibration_points,
)

router = APIRouter(tags=["footage"])
SubjectId = Annotated[int, Path(ge=1, le=S.MAX_ID, description="Subject id.")]
Point = tuple[Annotated[float, Field(ge=-1e6, le=1e6)], Annotated[float, Field(ge=-1e6, le=1e6)]]


class SpanOut(BaseModel):
    """Recorded, in-scope time of a camera (UTC)."""

    start: datetime
    end: datetime
    video_ids: list[int]


class FootageOut(BaseModel):
    """A camera's recorded spans in the case's window."""

    camera_id: str
    time_zone: str = Field(description="IANA zone of the camera's clock (times are UTC; show them in it).")
    spans: list[SpanOut] = Field(description="Recorded in-scope time, earliest first; gaps left out.")


class FaceOut(BaseModel):
    """One face of a photo, pixels."""

    index: int = Field(description="Pass as `face` when enrolling the photo (0 = leftmost).")
    x1: float
    y1: float
    x2: float
    y2: float
    score: float


class FacesOut(BaseModel):
    """A photo's size and its faces, leftmost first."""

    width: int
    height: int
    faces: list[FaceOut]


class UndoIn(S.In):
    """The sightings whose decision is undone."""

    track_ids: list[S.RowId] = Field(min_length=1, max_length=500)


class UndoOut(BaseModel):
    """The decisions that were undone."""

    subject_id: int
    cleared: dict[int, str] = Field(description="Sighting id -> the decision that was undone.")


class CalibrationPointsIn(S.In):
    """Clicked pixels and their typed ground positions."""

    image: list[Point] = Field(min_length=4, max_length=100, description="Clicked pixels (u, v) on the frame.")
    ground: list[Point] = Field(min_length=4, max_length=100, description="Their ground positions (x, y), metres.")


class CalibrationCheckOut(BaseModel):
    """A point calibration's ground error on its own points, metres."""

    rmse_m: float
    mean_m: float
    max_m: float
    residuals_m: list[float]


@router.get("/api/cases/{case_id}/footage", responses=errors(404))
def spans(case: CaseDep, camera_id: Annotated[str, Query(pattern=S.ID_PATTERN)]) -> FootageOut:
    """A camera's recorded time in the case's window, so a picker can jump to a time and skip gaps."""
    found = footage_spans(case, camera_id=camera_id)
    zone = next((c.timezone for c in core.case_cameras(case) if c.id == camera_id), "UTC")
    return FootageOut(camera_id=camera_id, time_zone=zone, spans=[
        SpanOut(start=S.utc(s.start_ts), end=S.utc(s.end_ts), video_ids=list(s.video_ids)) for s in found])


@router.post("/api/cases/{case_id}/subjects/{subject_id}/enrol/photo/faces", responses=errors(400, 404, 413))
def faces(case: CaseDep, subject_id: SubjectId, server: ServerDep,
          file: Annotated[UploadFile, File(description="A face photo (JPEG/PNG).")]) -> FacesOut:
    """The faces of a photo, leftmost first, to click one; nothing is stored (consent checked first)."""
    case.subject(subject_id)
    data = file.file.read(server.max_image_bytes() + 1)
    if len(data) > server.max_image_bytes():
        raise UploadTooLarge(server.max_image_bytes())
    image = core.decode_photo(data)
    found = photo_faces(case, subject_id=subject_id, image_bgr=image)
    return FacesOut(width=int(image.shape[1]), height=int(image.shape[0]), faces=[
        FaceOut(index=f.index, x1=f.box[0], y1=f.box[1], x2=f.box[2], y2=f.box[3], score=f.score) for f in found])


@router.post("/api/cases/{case_id}/subjects/{subject_id}/decisions/undo", responses=errors(404, 409))
def undo(body: UndoIn, case: CaseDep, subject_id: SubjectId) -> UndoOut:
    """Undo confirm or reject: the sightings become candidates again (audited)."""
    return UndoOut(subject_id=subject_id, cleared=undo_decision(case, subject_id=subject_id,
                                                                track_ids=body.track_ids))


JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "A JPEG image."}}


@router.get("/api/cameras/{camera_id}/calibration-frame", response_class=Response,
            responses={**JPEG, **errors(404, 410)})
def frame(user: CurrentUser, services: ServicesDep,
          camera_id: Annotated[str, Path(pattern=S.ID_PATTERN)]) -> Response:
    """A frame of the camera's latest footage at full size, heads mosaicked (administrators)."""
    return Response(calibration_frame(services, user, camera_id=camera_id), media_type="image/jpeg",
                    headers={"Cache-Control": "private, no-store"})


@router.post("/api/cameras/calibration/check", responses=errors(400))
def check(body: CalibrationPointsIn, user: CurrentUser) -> CalibrationCheckOut:
    """The ground error of a point calibration on its own points, before saving it with PUT /api/cameras."""
    if len(body.image) != len(body.ground):
        raise ValueError(f"{len(body.image)} image points but {len(body.ground)} ground points")
    c = check_calibration_points(user, image=list(body.image), ground=list(body.ground))
    return CalibrationCheckOut(rmse_m=c.rmse_m, mean_m=c.mean_m, max_m=c.max_m, residuals_m=c.residuals_m)


@router.put("/api/cameras/{camera_id}/calibration", responses=errors(400, 404))
def save_calibration(body: CalibrationPointsIn, user: CurrentUser, services: ServicesDep,
                     camera_id: Annotated[str, Path(pattern=S.ID_PATTERN)]) -> S.CameraOut:
    """Replace only the camera's calibration by clicked points (name, zone, retention unchanged; admins)."""
    if len(body.image) != len(body.ground):
        raise ValueError(f"{len(body.image)} image points but {len(body.ground)} ground points")
    save_calibration_points(services, user, camera_id=camera_id, image=list(body.image), ground=list(body.ground))
    return camera_out(get_camera(services, camera_id))
