"""Wire settings, store and models into a ready pipeline (used by the CLI, eval and bench)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from epitrace.config import Settings
from epitrace.ingest.cameras import ground_mapper
from epitrace.ingest.pipeline import IngestPipeline, IngestResult, Progress
from epitrace.ingest.vision_models import VisionModels
from epitrace.store import Store, open_store


def open_pipeline(settings: Settings) -> tuple[Store, IngestPipeline]:
    """The store of `settings` and a pipeline with every model loaded."""
    store = open_store(settings)
    _ = store.sealer  # no encryption key: say so now, not after minutes of decoding
    cfg = settings.ingest
    models = VisionModels.load(settings.models_dir, cfg.threads, cfg.person_score,
                               cfg.detector_input, cfg.faces)
    return store, IngestPipeline(store, models, cfg)


def ingest_file(store: Store, pipeline: IngestPipeline, path: Path, camera_id: str,
                start: datetime, fps: float | None = None, progress: Progress | None = None,
                stop_after_frames: int | None = None) -> IngestResult:
    """Ingest one file, mapping feet to the ground with the camera's calibration (if any)."""
    to_ground = ground_mapper(store.get_camera(camera_id).calibration)
    return pipeline.ingest(path, camera_id, start, fps=fps, to_ground=to_ground,
                           progress=progress, stop_after_frames=stop_after_frames)
