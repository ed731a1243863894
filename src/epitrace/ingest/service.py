"""Wire settings, store and models into a ready pipeline (the app's entry point, eval and bench)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from epitrace.config import IngestSettings, Settings
from epitrace.ingest.pipeline import IngestPipeline, IngestResult, Progress
from epitrace.ingest.vision_models import VisionModels
from epitrace.store import Store, open_store


def load_models(cfg: IngestSettings, models_dir: Path) -> VisionModels:
    """The model stack `cfg` asks for, from `models_dir` (once per process or Ray worker)."""
    return VisionModels.from_settings(cfg, models_dir)


def open_pipeline(settings: Settings, models: VisionModels | None = None) -> tuple[Store, IngestPipeline]:
    """The store of `settings` and a pipeline with every model loaded (or with `models`)."""
    store = open_store(settings)
    _ = store.sealer  # no encryption key: say so now, not after minutes of decoding
    return store, IngestPipeline(store, models or load_models(settings.ingest, settings.models_dir), settings.ingest)


def ingest_file(store: Store, pipeline: IngestPipeline, path: Path, camera_id: str,
                start: datetime, fps: float | None = None, progress: Progress | None = None,
                stop_after_frames: int | None = None) -> IngestResult:
    """Ingest one file, mapping feet to the ground with the camera's calibration (if any)."""
    if pipeline.store is not store:
        raise ValueError("ingest_file: the pipeline writes to another store than the one given")
    return pipeline.ingest(path, camera_id, start, fps=fps, progress=progress,
                           stop_after_frames=stop_after_frames)
