"""A throw-away home for evaluations and benchmarks.

Ingest a video with the real pipeline, read the store, and discard it all (the user's own store is
never touched).

Example:
    >>> with throwaway_pipeline(settings, "epitrace-eval-", {"id": EVAL_CAMERA, "fps": 7.0}) as run:
    ...     result = run.ingest(video, fps=7.0)
    ...     points = run.store.video_points(result.video_id)  # doctest: +SKIP
"""

from __future__ import annotations

import resource
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from epitrace.config import Settings

if TYPE_CHECKING:
    from epitrace.ingest import CameraConfig, IngestPipeline, IngestResult
    from epitrace.store import Store

EVAL_CAMERA = "eval-camera"
EVAL_START = datetime(2009, 1, 1, tzinfo=UTC)  # start time of every throw-away ingest


def cpu_seconds() -> float:
    """CPU time this process has used so far, all threads, user + system (read from the kernel)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Throwaway:
    """An open throw-away home: its folder, settings, store, loaded pipeline and one camera."""

    home: Path
    settings: Settings
    store: Store
    pipeline: IngestPipeline
    camera_id: str
    open_cpu_seconds: float  # CPU spent opening the store and loading the models

    def ingest(self, video: Path, fps: float | None = None,
               stop_after_frames: int | None = None) -> IngestResult:
        """Ingest `video` from its first frame as the camera, starting at `EVAL_START`."""
        from epitrace.ingest.service import ingest_file

        return ingest_file(self.store, self.pipeline, video, self.camera_id, EVAL_START, fps=fps,
                           stop_after_frames=stop_after_frames)


def ephemeral_key(settings: Settings) -> Settings:
    """`settings` sealing with a random key of their own: a throw-away home needs none of the user's.

    An evaluation on a machine where `epitrace keys init` never ran must not fail for want of a key,
    and nothing sealed in a throw-away home outlives it.
    """
    import base64
    import os

    from pydantic import SecretStr

    key = SecretStr(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return settings.model_copy(update={"encryption_key": key})


@contextmanager
def throwaway_pipeline(settings: Settings, prefix: str,
                       camera: CameraConfig | Mapping[str, Any]) -> Iterator[Throwaway]:
    """A fresh temporary home with `settings`' models, a pipeline and `camera` registered.

    The store's engine is disposed on leaving (also on errors), then the folder is removed; a
    caller that reads the database files itself disposes first (disposing twice is harmless).
    """
    from epitrace.ingest import CameraConfig, register_camera
    from epitrace.ingest.service import open_pipeline

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        home = Path(tmp)
        local = ephemeral_key(settings.with_home(home))
        cpu = cpu_seconds()
        store, pipeline = open_pipeline(local)
        cpu = cpu_seconds() - cpu
        try:
            config = camera if isinstance(camera, CameraConfig) else CameraConfig.model_validate(dict(camera))
            register_camera(store, config)
            yield Throwaway(home, local, store, pipeline, config.id, cpu)
        finally:
            store.db.dispose()
