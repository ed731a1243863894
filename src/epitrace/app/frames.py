"""Frames of ingested footage leaving the system, every head mosaicked.

Frames are decoded from the ingested video (the one exception to "never re-decode to answer a
query", as for evidence clips), numbered exactly as ingest numbered them (`iter_frames`), so the
boxes stored for a frame number lie on this very image.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.ingest.source import iter_frames, to_bgr
from epitrace.privacy import redact_frame
from epitrace.reports.data import encode_jpeg
from epitrace.store.orm import Video
from epitrace.store.repo import Store


def decode_frame(path: Path, index: int) -> npt.NDArray[np.uint8]:
    """Frame `index` of a video.

    Raises ClipSourceMissingError when the file was purged or moved, VideoError when it no
    longer decodes, LookupError when `index` is past its end.
    """
    from epitrace.privacy.clips import ClipSourceMissingError

    if not path.is_file():
        raise ClipSourceMissingError(f"the video {path.name} is no longer on the server (purged or moved)")
    frames = iter_frames(path, index)
    try:
        first = next(frames, None)
        if first is None:
            raise LookupError(f"frame {index} is past the end of {path.name}")
        return to_bgr(first[1])
    finally:
        getattr(frames, "close", lambda: None)()  # a generator: release the decoder now


def frame_size(path: Path) -> tuple[int, int]:
    """(width, height) of a video."""
    from epitrace.ingest import probe_video

    info = probe_video(path)
    return info.width, info.height


def redacted_frame_jpeg(store: Store, video: Video, frame: int, models_dir: Path | None = None,
                        max_width: int = 1280) -> bytes:
    """Frame `frame` of `video` with every head mosaicked.

    Those of the stored tracks on it and, with `models_dir`, those the person detector finds (the safety
    net for people the tracker missed; always on for picker frames) and every face the face detector
    finds: a face whose body is out of sight is boxed as a head-sized person, whose top third alone
    would be mosaicked.
    """
    from epitrace.app.footage import face_detector
    from epitrace.privacy.clips import TrackBoxes, export_detector
    from epitrace.privacy.crops import FACE_MARGIN, FACE_NET_THRESHOLD
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG
    from epitrace.store.case_scope import points_near
    from epitrace.vision.boxes import grow_boxes

    image = decode_frame(Path(video.path), frame)
    step = int(np.ceil((video.fps or 25.0) / video.analysed_fps)) if video.analysed_fps else 1
    boxes = TrackBoxes(points_near(store, video_id=video.id, frame=frame, frames=4 * step), hold=step)
    present = list(boxes.at(frame).values())
    faces = np.zeros((0, 4), np.float32)
    if models_dir is not None:
        found = export_detector(models_dir, DEFAULT_CONFIG.score_threshold).detect(image)
        present += [b for b in np.asarray(found.xyxy, np.float32).reshape(-1, 4)]
        faces = grow_boxes(face_detector(models_dir).detect(image, threshold=FACE_NET_THRESHOLD).xyxy, FACE_MARGIN)
    out = redact_frame(image, np.array(present, np.float32).reshape(-1, 4), face_boxes=faces) \
        if present or len(faces) else image
    if out.shape[1] > max_width:
        scale = max_width / out.shape[1]
        out = np.asarray(cv2.resize(out, (max_width, round(out.shape[0] * scale)), interpolation=cv2.INTER_AREA),
                         np.uint8)
    return encode_jpeg(out)
