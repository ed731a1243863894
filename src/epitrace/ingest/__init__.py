"""Ingest: camera registry, video sources and live streams, sampling, the pipeline runner (in-process or on Ray)."""

from epitrace.ingest.cameras import (
    CameraConfig,
    camera_calibration,
    check_calibration,
    ground_mapper,
    load_cameras_yaml,
    register_camera,
)
from epitrace.ingest.distributed import ChunkEvent, RayUnavailableError, ingest_with_ray
from epitrace.ingest.pipeline import IngestPipeline, IngestResult
from epitrace.ingest.source import VideoError, probe_video
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

__all__ = [
    "CameraConfig",
    "ChunkEvent",
    "Gap",
    "IngestPipeline",
    "IngestResult",
    "RayUnavailableError",
    "StreamError",
    "StreamOptions",
    "StreamResult",
    "VideoError",
    "VisionModels",
    "camera_calibration",
    "check_calibration",
    "ground_mapper",
    "ingest_stream",
    "ingest_with_ray",
    "is_live_url",
    "list_gaps",
    "load_cameras_yaml",
    "probe_video",
    "register_camera",
    "safe_url",
]
