"""Finding footage and setting cameras up from the web app.

Recorded spans, a face picker for photos, a frame to calibrate on and a calibration's error
before it is saved. Each use case applies its rule here (case scope, consent, the administrator role) and audits
what it shows, so the routes only parse and format.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from epitrace.app.actors import ADMIN, require
from epitrace.app.case_session import CaseSession
from epitrace.app.errors import OutOfScope
from epitrace.app.services import Services
from epitrace.privacy.users import User
from epitrace.store.footage_spans import FootageSpan

if TYPE_CHECKING:
    from epitrace.vision.faces import FaceDetector


@dataclass(frozen=True)
class FaceBox:
    """One face of a photo, in pixels; `index` is what enrolment's `face` takes (0 = leftmost)."""

    index: int
    box: tuple[float, float, float, float]
    score: float


@dataclass(frozen=True)
class CalibrationCheck:
    """A point calibration's ground error on its own points, before anyone saves it."""

    rmse_m: float
    mean_m: float
    max_m: float
    residuals_m: list[float]


def footage_spans(session: CaseSession, *, camera_id: str) -> list[FootageSpan]:
    """The camera's recorded time inside the case's window (gaps left out). Audited as a view."""
    from epitrace.store.footage_spans import footage_spans as query

    session.require_open("looking at footage")
    if not session.scope.covers_camera(camera_id):
        raise OutOfScope(f"camera {camera_id!r} is not in case {session.id}'s scope")
    spans = query(session.services.store, scope=session.scope, camera_id=camera_id)
    session.audit("view", what="footage_spans", camera=camera_id, spans=len(spans))
    return spans


@lru_cache(maxsize=2)
def _detector(models_dir: Path) -> FaceDetector:
    from epitrace.models import model_path
    from epitrace.vision.faces import FaceDetector

    return FaceDetector(model_path("face_centerface", models_dir))


def face_detector(models_dir: Path) -> FaceDetector:
    """The face detector (loaded once per models folder): photo faces, and the thumbnails' safety net."""
    return _detector(models_dir)


def photo_faces(session: CaseSession, *, subject_id: int, image_bgr: npt.NDArray[np.uint8]) -> list[FaceBox]:
    """The faces of an enrolment photo, leftmost first, so the investigator can click one.

    Only for a subject who consented to face matching (checked before any face is looked for);
    nothing is stored: enrolment itself happens on the photo's upload with the chosen index.
    """
    from epitrace.tracing import require_face_consent

    session.subject(subject_id)
    require_face_consent(session.services.store, case_id=session.id, subject_id=subject_id)
    faces = _detector(session.services.settings.models_dir).detect(image_bgr)
    boxes = np.asarray(faces.xyxy, np.float32).reshape(-1, 4)
    scores = np.asarray(faces.confidence, np.float32).reshape(-1)
    order = boxes[:, 0].argsort(kind="stable")  # the same order as enrolment's `face` index
    session.audit("view", what="photo_faces", subject=subject_id, faces=len(order))
    return [FaceBox(i, (float(boxes[k, 0]), float(boxes[k, 1]), float(boxes[k, 2]), float(boxes[k, 3])),
                    float(scores[k])) for i, k in enumerate(order)]


def calibration_frame(services: Services, user: User, *, camera_id: str) -> bytes:
    """A frame of the camera's latest footage, every head mosaicked, to click floor marks on.

    Administrators only (they set cameras up); audited like any frame shown.
    """
    from epitrace.app.frames import redacted_frame_jpeg
    from epitrace.privacy.audit import record
    from epitrace.store.footage_spans import latest_video

    require(user, ADMIN)
    services.store.get_camera(camera_id)  # UnknownCameraError for a wrong id
    video = latest_video(services.store, camera_id=camera_id)
    if video is None:
        raise OutOfScope(f"camera {camera_id!r} has no footage yet: ingest some to calibrate on")
    data = redacted_frame_jpeg(services.store, video, 0, services.settings.models_dir, max_width=100_000)
    record(services.store, user=user.name, action="view", detail={"what": "calibration_frame", "camera": camera_id,
                                                                  "video": video.id})
    return data


def check_calibration_points(user: User, *, image: list[tuple[float, float]],
                             ground: list[tuple[float, float]]) -> CalibrationCheck:
    """Fit a homography to 4+ clicked pixels and their typed ground positions; its error on them.

    With exactly 4 points the fit is exact (error 0): a fifth point is what measures it.
    Raises CalibrationError (a ValueError) when the points cannot define a ground plane.
    """
    from epitrace.geometry import Calibration

    require(user, ADMIN)
    calibration = Calibration.from_point_pairs(image, ground)
    mapped = calibration.image_to_ground(np.asarray(image, np.float64))
    residuals = np.linalg.norm(mapped - np.asarray(ground, np.float64), axis=1)
    return CalibrationCheck(float(np.sqrt(np.mean(residuals ** 2))), float(residuals.mean()), float(residuals.max()),
                            [float(r) for r in residuals])


def save_calibration_points(services: Services, user: User, *, camera_id: str, image: list[tuple[float, float]],
                            ground: list[tuple[float, float]]) -> None:
    """Replace only the camera's calibration with a point fit; its name, zone, rate and retention stay.

    The calibration page used to re-send the whole camera and silently dropped its retention override.
    Administrators only; audited as `camera_put` like any camera change.
    """
    from epitrace.app.ingest_cameras import add_camera
    from epitrace.geometry.spec import PointsCalibrationSpec
    from epitrace.ingest import CameraConfig

    require(user, ADMIN)
    cam = services.store.get_camera(camera_id)
    spec = PointsCalibrationSpec(type="points", image=list(image), ground=list(ground))
    cfg = CameraConfig(id=cam.id, name=cam.name, place=cam.place, latitude=cam.latitude, longitude=cam.longitude,
                       timezone=cam.timezone, fps=cam.fps_override, retention_days=cam.retention_days,
                       calibration=spec)
    add_camera(services.settings, services.store, cfg, actor=user.name)  # builds the fit first: CalibrationError
