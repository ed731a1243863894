"""Ingest: camera registry, live streams, sampling, scene cuts, the pipeline runner (in-process or on Ray).

Video decoding lives in `epitrace.media`; `VideoError`, `probe_video` and `iter_frames` are
re-exported here for the callers that still import them from ingest.
"""

from epitrace.ingest.cameras import (
    CameraConfig,
    camera_calibration,
    check_calibration,
    ground_mapper,
    load_cameras_yaml,
    register_camera,
)
from epitrace.ingest.distributed import ChunkEvent, RayUnavailableError, ingest_with_ray
from epitrace.ingest.job import FrameRange, Registration, VideoJob, register_video
from epitrace.ingest.pipeline import IngestPipeline, IngestResult
from epitrace.ingest.scene_cuts import SceneCutDetector
from epitrace.ingest.stream import (
    Gap,
    StreamError,
    StreamOptions,
    StreamResult,
    ingest_stream,
    is_live_url,
    list_gaps,
    safe_url,
)
from epitrace.ingest.vision_models import VisionModels
from epitrace.media import VideoError, iter_frames, probe_video, to_bgr

__all__ = [
    "CameraConfig",
    "ChunkEvent",
    "FrameRange",
    "Gap",
    "IngestPipeline",
    "IngestResult",
    "RayUnavailableError",
    "Registration",
    "SceneCutDetector",
    "StreamError",
    "StreamOptions",
    "StreamResult",
    "VideoError",
    "VideoJob",
    "VisionModels",
    "camera_calibration",
    "check_calibration",
    "ground_mapper",
    "ingest_stream",
    "ingest_with_ray",
    "is_live_url",
    "iter_frames",
    "list_gaps",
    "load_cameras_yaml",
    "probe_video",
    "register_camera",
    "register_video",
    "safe_url",
    "to_bgr",
]
