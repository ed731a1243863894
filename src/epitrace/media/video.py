"""Video files via PyAV: probe, hash and decode, with clear errors for bad input.

Frame numbers are the decode order from the first frame (0-based), whether decoding starts at
the beginning or seeks: stored boxes, evidence clips and picker frames all rely on that.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)


class VideoError(ValueError):
    """The file is missing, not a video, corrupt or truncated."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about its first video stream."""

    path: Path
    fps: float  # frame rate the container declares
    frames: int  # declared frame count (0 when unknown)
    width: int
    height: int


def file_sha256(path: Path) -> str:
    """Content hash: re-ingesting the same footage under another name is still recognised."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def probe_video(path: Path) -> VideoInfo:
    """Open `path` and read its video stream's properties, or raise VideoError."""
    if not path.exists():
        raise VideoError(f"{path}: no such file")
    if path.is_dir():
        raise VideoError(f"{path} is a folder: use `epitrace ingest-folder` or name a file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoError(f"{path}: no video stream (is it an audio or other file?)")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            info = VideoInfo(path, fps, int(stream.frames or 0), stream.codec_context.width,
                             stream.codec_context.height)
    except av.FFmpegError as exc:
        raise VideoError(f"{path}: not a readable video ({exc.__class__.__name__}: {exc})") from exc
    if info.width <= 0 or info.height <= 0:
        raise VideoError(f"{path}: video stream has no picture size; the file may be corrupt")
    return info


SEEK_MIN_FRAMES = 64  # nearer the start, decoding through is as cheap as seeking


class _SeekFailed(Exception):
    """Frame numbers cannot be derived from time stamps here: decode from the start instead."""


def iter_frames(path: Path, start_frame: int = 0) -> Iterator[tuple[int, av.VideoFrame]]:
    """Yield (index, frame) from `start_frame` on; frames before it are decoded, not converted.

    Far from the start, seeks to the key frame before `start_frame` and numbers frames by their
    time stamps, after checking that those count frames exactly (constant rate); otherwise it
    decodes from the first frame, so both ways give the same numbers and pixels.

    Raises VideoError when decoding breaks before the end (corrupt or truncated data); the
    frames already yielded stay valid, so the caller can keep what it has.
    """
    if start_frame >= SEEK_MIN_FRAMES:
        try:
            yield from _iter_frames(path, start_frame, seek=True)
            return
        except _SeekFailed as why:
            logger.info("%s: no exact seek (%s); decoding from the first frame", path, why)
    yield from _iter_frames(path, start_frame, seek=False)


def _first_pts(path: Path) -> int | None:
    with av.open(str(path)) as container:
        frame = next(container.decode(container.streams.video[0]), None)
        return None if frame is None else frame.pts


def _iter_frames(path: Path, start_frame: int, seek: bool) -> Iterator[tuple[int, av.VideoFrame]]:
    index = -1
    try:
        first_pts = _first_pts(path) if seek else None
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate, base = stream.average_rate, stream.time_base
            if seek:
                if first_pts is None or not rate or not base:
                    raise _SeekFailed("no time stamps or frame rate")
                target = first_pts + int((start_frame - 1) / rate / base)
                container.seek(target, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if seek and index < start_frame:  # still before the wanted frame: check numbering
                    if frame.pts is None:
                        raise _SeekFailed("a frame has no time stamp")
                    exact = float((frame.pts - first_pts) * base * rate)  # type: ignore[operator]
                    number = round(exact)
                    if abs(exact - number) > 0.1 or number > start_frame or (index >= 0 and number != index + 1):
                        raise _SeekFailed(f"frame time stamps do not count frames (at frame {number})")
                    index = number - 1
                index += 1
                if index >= start_frame:
                    yield index, frame
    except av.FFmpegError as exc:
        if seek and index < start_frame:
            raise _SeekFailed(str(exc)) from exc
        raise VideoError(
            f"{path}: decoding failed after frame {index} ({exc}); the file is corrupt or truncated"
        ) from exc
    if seek and index < start_frame:
        raise _SeekFailed("no frame after the seek point")
    if index < 0:
        raise VideoError(f"{path}: no frame could be decoded; the file is corrupt or empty")


def to_bgr(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    """The frame as an (h, w, 3) BGR array, the layout OpenCV and the vision models take."""
    return np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)
