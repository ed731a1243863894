"""A frame leaves with no face clear, even one whose body the detector does not see.

As found: picker frames (and the admins' calibration frame) mosaicked the top 30% of every person
box, stored or found by the person detector. A face whose body is out of sight (at the frame's
edge, behind a counter, in a crowd) is boxed by the person detector as a head-sized "person", and
only its top third was mosaicked: here 6 of 24 and 39 of 96 rows of a real face photo pasted into a
frame, the mouth and nose left clear. Frames now also mosaic every face the face detector finds.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from epitrace.app.frames import redacted_frame_jpeg
from epitrace.config import Settings
from epitrace.store import Camera, Video, open_store
from tests_paths import SHARED_DATA

FACE = SHARED_DATA / "faces" / "deepface_pairs" / "img1.jpg"
TOP, LEFT = 20, 600


def _face(size: int, models_dir: Path) -> np.ndarray:
    from epitrace.models import model_path
    from epitrace.vision.faces import FaceDetector

    img = cv2.imread(str(FACE))
    box = np.asarray(FaceDetector(model_path("face_centerface", models_dir)).detect(img).xyxy)[0]
    x1, y1, x2, y2 = (int(v) for v in box)
    return np.asarray(cv2.resize(img[y1:y2, x1:x2], (size, size)), np.uint8)


def _video(path: Path, face: np.ndarray) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(7, 1))
        stream.width, stream.height, stream.pix_fmt = 768, 576, "yuv420p"
        stream.options = {"qscale": "2"}
        for _ in range(3):
            img = np.full((576, 768, 3), 90, np.uint8)
            img[TOP:TOP + face.shape[0], LEFT:LEFT + face.shape[1]] = face
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.mark.parametrize("size", [32, 96])
def test_a_face_without_a_body_is_mosaicked_whole(tmp_path: Path, models_dir: Path, size: int) -> None:
    if not FACE.exists():
        pytest.skip("shared face photos not found")
    face = _face(size, models_dir)
    clip = _video(tmp_path / "heads.avi", face)
    store = open_store(Settings(home=tmp_path / "home"))
    store.upsert_camera(Camera(id="desk", name="Desk", place="", latitude=None, longitude=None, calibration=None))
    vid = store.create_video(Video(camera_id="desk", path=str(clip), sha256="d" * 64, start_ts=0.0, fps=7.0,
                                   analysed_fps=7.0, frames_total=3))
    from epitrace.store.case_scope import video_of

    video = video_of(store, video_id=vid)
    assert video is not None
    shown = cv2.imdecode(np.frombuffer(redacted_frame_jpeg(store, video, 1, models_dir), np.uint8),
                         cv2.IMREAD_COLOR).astype(int)
    region = shown[TOP:TOP + size, LEFT:LEFT + size]
    rows_changed = (np.abs(region - face.astype(int)).sum(axis=2) > 30).mean(axis=1) > 0.2
    assert rows_changed.mean() > 0.9, f"only {rows_changed.sum()} of {size} rows of the face were mosaicked"
