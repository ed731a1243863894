"""Ingest: camera registry, video sources, sampling, and the pipeline runner."""

from epitrace.ingest.cameras import (
    CameraConfig,
    camera_calibration,
    check_calibration,
    load_cameras_yaml,
    register_camera,
)
from epitrace.ingest.distributed import ChunkEvent, RayUnavailableError, ingest_with_ray
from epitrace.ingest.pipeline import IngestPipeline, IngestResult
from epitrace.ingest.source import VideoError, probe_video
from epitrace.ingest.vision_models import VisionModels

__all__ = [
    "CameraConfig",
    "ChunkEvent",
    "IngestPipeline",
    "IngestResult",
    "RayUnavailableError",
    "VideoError",
    "VisionModels",
    "camera_calibration",
    "check_calibration",
    "ingest_with_ray",
    "load_cameras_yaml",
    "probe_video",
    "register_camera",
]
