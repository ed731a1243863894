"""Media: probe and decode video files with PyAV and number their frames; a leaf package.

Ingest, privacy (evidence clips), the API (picker frames) and evaluation all decode through
here, so every caller numbers frames exactly as ingest numbered the stored boxes.
"""

from epitrace.media.video import (
    SEEK_MIN_FRAMES,
    VideoError,
    VideoInfo,
    file_sha256,
    iter_frames,
    probe_video,
    to_bgr,
)

__all__ = [
    "SEEK_MIN_FRAMES",
    "VideoError",
    "VideoInfo",
    "file_sha256",
    "iter_frames",
    "probe_video",
    "to_bgr",
]
