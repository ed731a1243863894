"""Images leaving the server: thumbnails and picker frames, redacted unless allowed.

Evidence files are read in exactly one place (`reports.data.thumbnail_jpeg`, through the store,
which unseals them). Frames are decoded from the ingested video (the one exception to
"never re-decode to answer a query", as for evidence clips) and every head on them is mosaicked:
an investigator picks the patient by silhouette and clothing, as enrolment by sighting does.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from epitrace.ingest.source import to_bgr
from epitrace.privacy import redact_frame
from epitrace.reports.data import encode_jpeg
from epitrace.store import Store
from epitrace.store.orm import Video


def decode_frame(path: Path, index: int) -> npt.NDArray[np.uint8]:
    """Frame `index` (0-based, in decode order) of a video: seek near it, then decode forward.

    The index of a decoded frame is read from its time stamp at the file's own frame rate, which
    is how ingest counted frames for constant-rate footage; without time stamps it falls back to
    decoding from the start.
    """
    if not path.is_file():
        raise FileNotFoundError(f"the video {path.name} is no longer on the server (purged or moved)")
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = float(stream.average_rate or stream.guessed_rate or 0)
            base = stream.start_time or 0
            tb = float(stream.time_base) if stream.time_base else 0.0
            if rate and tb and index > 2 * rate:
                container.seek(base + int((index / rate - 1.0) / tb), stream=stream, backward=True)
            count = -1
            for frame in container.decode(stream):
                count += 1
                n = round((frame.pts - base) * tb * rate) if frame.pts is not None and tb and rate else count
                if n >= index:
                    return to_bgr(frame)
    except av.FFmpegError as exc:
        raise ValueError(f"{path.name}: the video no longer decodes ({exc})") from exc
    raise LookupError(f"frame {index} is past the end of {path.name}")


def frame_jpeg(store: Store, video: Video, frame: int, max_width: int = 1280) -> bytes:
    """Frame `frame` of `video` with the heads of every stored track on it mosaicked."""
    from epitrace.privacy.clips import TrackBoxes

    image = decode_frame(Path(video.path), frame)
    step = int(np.ceil((video.fps or 25.0) / video.analysed_fps)) if video.analysed_fps else 1
    boxes = TrackBoxes([p for p in store.video_points(video.id) if abs(p[1] - frame) <= 4 * step], hold=step)
    present = list(boxes.at(frame).values())
    out = redact_frame(image, np.array(present, np.float32).reshape(-1, 4)) if present else image
    if out.shape[1] > max_width:
        scale = max_width / out.shape[1]
        out = cv2.resize(out, (max_width, round(out.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return encode_jpeg(out)
