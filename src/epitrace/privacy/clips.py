"""Redacted evidence clips: a sighting's stretch of video with every head but the subjects' hidden.

The clip is re-decoded from the ingested file (`videos.path`) over the track's span +/- a
margin. In each frame the heads of all stored tracks of that video are mosaicked (boxes at the
analysed frames, interpolated between them and held for one analysis step beyond a track's
ends), except the subject tracks' boxes (who stands in front of whom comes from the camera's
calibration, see `privacy.depth`); optionally a person detector adds a safety net for
people no stored track covers (see `export_redaction` for the measured rules). The MP4 (H.264
when PyAV's ffmpeg has libx264, else MPEG-4 Part 2) is written to a temporary file beside `out`
and renamed into place, so a crash never leaves a half-written clip under the final name.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
import numpy.typing as npt

from epitrace.geometry import CalibrationError, build_calibration
from epitrace.media import iter_frames, to_bgr
from epitrace.privacy.depth import DepthOrder
from epitrace.privacy.export_redaction import (
    DEFAULT_CONFIG,
    ExportRedactionConfig,
    ExportRedactor,
    Regions,
    apply_regions,
)
from epitrace.privacy.face_regions import FaceFinder, detect_faces
from epitrace.store import sightings_repo
from epitrace.store.orm import Track, Video
from epitrace.store.repo import Store
from epitrace.vision.types import Detections

if TYPE_CHECKING:
    from epitrace.vision.persons import PersonDetector

logger = logging.getLogger(__name__)

# on_frame(video frame index, the regions applied to that frame)
FrameHook = Callable[[int, Regions], None]
EXPORT_INPUT_SIZE = 640  # detector input for the safety net (the size tracking runs at)


@lru_cache(maxsize=4)
def export_detector(models_dir: Path, score_threshold: float) -> PersonDetector:
    """The person detector of the clip-export safety net, loaded once per models folder."""
    from epitrace.models import model_path
    from epitrace.vision.persons import PersonDetector

    return PersonDetector(model_path("person_centernet", models_dir), input_size=EXPORT_INPUT_SIZE,
                          score_threshold=score_threshold)


class ClipSourceMissingError(FileNotFoundError):
    """The video a sighting came from is no longer where it was ingested from."""


class TrackBoxes:
    """Boxes of one video's stored tracks at any frame: exact, interpolated or held."""

    def __init__(self, points: list[tuple[int, int, float, float, float, float, float]], hold: int) -> None:
        by_track: dict[int, list[tuple[int, float, float, float, float]]] = {}
        for tid, frame, x1, y1, x2, y2, _ in points:
            by_track.setdefault(int(tid), []).append((int(frame), x1, y1, x2, y2))
        self.hold = hold
        self.tracks: dict[int, tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]] = {}
        for tid, rows in by_track.items():
            rows.sort()
            arr = np.array(rows, np.float64)
            self.tracks[tid] = (arr[:, 0].astype(np.int64), arr[:, 1:].astype(np.float32))

    def at(self, frame: int) -> dict[int, npt.NDArray[np.float32]]:
        """Track id -> box (x1, y1, x2, y2) of every track present at `frame`."""
        out: dict[int, npt.NDArray[np.float32]] = {}
        for tid, (frames, boxes) in self.tracks.items():
            if frame < frames[0] - self.hold or frame > frames[-1] + self.hold:
                continue
            i = int(np.searchsorted(frames, frame))
            if i < len(frames) and frames[i] == frame:
                out[tid] = boxes[i]
            elif i == 0:
                out[tid] = boxes[0]
            elif i == len(frames):
                out[tid] = boxes[-1]
            else:
                f0, f1 = frames[i - 1], frames[i]
                a = (frame - f0) / (f1 - f0)
                out[tid] = ((1 - a) * boxes[i - 1] + a * boxes[i]).astype(np.float32)
        return out


def _load(store: Store, track_id: int) -> tuple[Track, Video]:
    with store.unit() as s:
        found = sightings_repo.track_and_video(s, track_id=track_id)
    if found is None:
        raise LookupError(f"unknown sighting {track_id}: list them with `epitrace sightings`")
    return found


def camera_depth(store: Store, camera_id: str, size: tuple[int, int]) -> DepthOrder:
    """Depth order for one camera's frames: its stored calibration, else image height.

    A calibration that no longer builds (e.g. a moved Tsai file) is logged and ignored: the
    clip is still cut, with the image-height order (feet lower = nearer).
    """
    spec = store.get_camera(camera_id).calibration
    if spec is None:
        return DepthOrder()
    try:
        return DepthOrder(build_calibration(spec), size)
    except (CalibrationError, ValueError, OSError) as exc:
        logger.warning("camera %s: calibration unusable for depth order (%s): image height used", camera_id, exc)
        return DepthOrder()


def _open_stream(container: av.container.OutputContainer, fps: float, width: int, height: int) -> av.VideoStream:
    rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
    for codec, options in (("libx264", {"crf": "20", "preset": "veryfast"}), ("mpeg4", {"qscale": "3"})):
        if codec not in av.codecs_available:
            continue
        try:
            stream = container.add_stream(codec, rate=rate, options=options)
        except (av.FFmpegError, ValueError) as exc:  # codec listed but unusable
            logger.warning("cannot use %s: %s", codec, exc)
            continue
        assert isinstance(stream, av.VideoStream)  # a video codec's stream
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "mpeg4":
            stream.bit_rate = 4_000_000
        return stream
    raise RuntimeError("PyAV's ffmpeg has neither libx264 nor mpeg4: cannot write a clip")


def export_clip(store: Store, *, track_id: int, out: Path, subject_track_ids: set[int],
                margin_s: float = 2.0, detector: PersonDetector | None = None,
                config: ExportRedactionConfig = DEFAULT_CONFIG,
                on_frame: FrameHook | None = None, face_detector: FaceFinder | None = None,
                window: tuple[float, float] | None = None) -> Path:
    """Write the redacted clip of sighting `track_id` to `out` (MP4) and return its path.

    Args:
        store: the store holding the track, its video row and every track of that video.
        track_id: the sighting to export.
        out: target file (parent folders are created); replaced atomically if it exists.
        subject_track_ids: tracks whose people stay recognisable (a case's confirmed subject
            sightings). Every other person's head is mosaicked, `track_id` included if it is
            not in this set (e.g. a contact's sighting).
        margin_s: seconds of video before and after the track.
        detector: optional `PersonDetector` (score threshold <= `config.score_threshold`) run
            on every frame as a safety net for people without a stored track.
        config: export redaction rules.
        on_frame: called per written frame with the regions applied (for measuring coverage).
        face_detector: optional face detector searched in every stored person's head (and the
            safety net's from score 0.3): bystanders' faces are mosaicked exactly, the subjects'
            kept clear unless someone in front of them covers it.
        window: a case's window (UTC epoch seconds): the margin never reaches past it (the
            sighting's own frames are always cut whole), so a clip shows no time the case was not
            approved for.

    Raises:
        LookupError: unknown track.
        ClipSourceMissingError: the video file was purged or moved.
        VideoError: the video no longer decodes.
    """
    track, video = _load(store, track_id)
    source = Path(video.path)
    if not source.is_file():
        raise ClipSourceMissingError(
            f"the video of sighting {track_id} is gone: {source} (camera {video.camera_id!r}) was "
            "purged by retention or moved; the stored sighting data remain but no clip can be cut. "
            "Restore the file at that path to export a clip.")
    fps = video.fps or 25.0
    step = fps / video.analysed_fps if video.analysed_fps else 1.0
    boxes = TrackBoxes(store.video_points(video.id), hold=math.ceil(step))
    margin = round(margin_s * fps)
    first = max(0, track.start_frame - margin)
    last = track.end_frame + margin
    if video.frames_total:
        last = min(last, video.frames_total - 1)
    if window is not None:  # the margin stays inside the case's window; the sighting itself is cut whole
        first = max(first, min(track.start_frame, math.ceil((window[0] - video.start_ts) * fps)))
        last = min(last, max(track.end_frame, math.floor((window[1] - video.start_ts) * fps)))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
    redactor: ExportRedactor | None = None
    written = 0
    try:
        with av.open(str(tmp), "w", format="mp4") as container:
            stream = None
            for index, av_frame in iter_frames(source, start_frame=first):
                if index > last:
                    break
                image = to_bgr(av_frame)
                if stream is None:
                    h, w = image.shape[:2]
                    stream = _open_stream(container, fps, w - w % 2, h - h % 2)
                    redactor = ExportRedactor(config, camera_depth(store, video.camera_id, (w, h)))
                assert redactor is not None  # made with the stream, at the first frame
                present = boxes.at(index)
                keep = [b for t, b in present.items() if t in subject_track_ids]
                others = [b for t, b in present.items() if t not in subject_track_ids]
                dets = detector.detect(image) if detector is not None else Detections.empty()
                faces = None
                if face_detector is not None:
                    searched = [*present.values(), *dets.xyxy[dets.confidence >= 0.3]]
                    faces = detect_faces(face_detector, image, np.array(searched, np.float32).reshape(-1, 4))
                regions = redactor.regions(
                    dets, np.array(keep, np.float32).reshape(-1, 4) if keep else None,
                    always=np.array(others, np.float32).reshape(-1, 4), faces=faces)
                redacted = apply_regions(image, regions, config.block)
                if on_frame is not None:
                    on_frame(index, regions)
                frame = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(redacted[: stream.height, : stream.width]), format="bgr24")
                frame.pts = written
                for packet in stream.encode(frame):
                    container.mux(packet)
                written += 1
            if stream is None:
                raise ValueError(f"{source}: no frame in {first}-{last} for sighting {track_id}")
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    logger.info("wrote %s: %d frames (%d-%d) of %s", out, written, first, first + written - 1, source)
    return out
