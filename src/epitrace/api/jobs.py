"""Ingest jobs inside the server: one background worker, progress, cancel.

Jobs run one at a time (decoding and the detector already use the CPU's cores) in a worker
thread that loads the vision models once. Jobs live in memory: what is done is in the `videos`
table, and ingest's resume rule makes a cancelled or interrupted job safe to submit again (it
continues from the last checkpoint without duplicates). Each job ingests through its own Store
(its own vector index objects), so searches served meanwhile never read an index being written;
the server's indices are reloaded from disk when a job ends.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from epitrace.config import Settings
from epitrace.store import Store

if TYPE_CHECKING:
    from epitrace.ingest import IngestResult

logger = logging.getLogger(__name__)
MAX_KEPT = 200  # finished jobs remembered for the jobs page


class JobCancelled(Exception):
    """Raised inside the pipeline's progress callback to stop a cancelled job."""


@dataclass
class Job:
    """One ingest request and its live state."""

    camera_id: str
    source: str  # a path on the server (uploads are saved first)
    start: datetime
    created_by: str
    fps: float | None = None
    max_frames: int | None = None
    url: str | None = field(default=None, repr=False)  # a live stream's URL, credentials included
    max_seconds: float | None = None  # a live stream stops after this long (None: until cancelled)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_ts: float = field(default_factory=time.time)
    status: str = "queued"  # queued, running, done, failed, cancelled
    frames_done: int = 0
    frames_total: int = 0
    error: str | None = None
    result: dict[str, Any] | None = None
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        return min(self.frames_done / self.frames_total, 1.0) if self.frames_total else 0.0


Runner = Callable[[Job, Callable[[int, int], None]], dict[str, Any]]


def file_result(result: IngestResult) -> dict[str, Any]:
    """A file job's result as the job shows it (the same in-process and on Ray)."""
    return {"video_id": result.video_id, "skipped": result.skipped, "resumed_from": result.resumed_from,
            "frames_analysed": result.frames_analysed, "tracks_added": result.tracks_added,
            "video_seconds": round(result.video_seconds, 2), "wall_seconds": round(result.wall_seconds, 2)}


class JobManager:
    """Queue of ingest jobs and the worker that runs them."""

    def __init__(self, settings: Settings, store: Store, runner: Runner | None = None,
                 ray_address: str | None = None) -> None:
        self.settings = settings
        self.store = store
        self.ray_address = ray_address  # "local", or a cluster's address: jobs run on Ray
        self._runner = runner or self._ingest
        self._jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._streams: list[threading.Thread] = []
        self._models: Any = None

    def submit(self, job: Job) -> Job:
        """Queue a file job (one runs at a time); a live stream starts at once in its own thread,
        since it runs until cancelled."""
        with self._lock:
            self._jobs[job.id] = job
            self._forget_old()
            if job.url is not None:
                thread = threading.Thread(target=self._run, args=(job,), name=f"epitrace-stream-{job.id}",
                                          daemon=True)
                self._streams.append(thread)
                thread.start()
                return job
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="epitrace-ingest", daemon=True)
                self._thread.start()
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise LookupError(f"no ingest job {job_id!r} (jobs are kept in memory until the server restarts)")
        return job

    def list(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: -j.created_ts)

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status in ("queued", "running"):
            job.cancel.set()
            if job.status == "queued":
                job.status = "cancelled"
        return job

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel everything and stop the worker (server shutdown)."""
        for job in list(self._jobs.values()):
            if job.status in ("queued", "running"):
                job.cancel.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
        for thread in self._streams:
            thread.join(timeout)

    def _forget_old(self) -> None:
        finished = [j for j in self.list() if j.status in ("done", "failed", "cancelled")]
        for job in finished[MAX_KEPT:]:
            self._jobs.pop(job.id, None)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if job.cancel.is_set():
                job.status = "cancelled"
                continue
            self._run(job)

    def _run(self, job: Job) -> None:
        def progress(done: int, total: int) -> None:
            job.frames_done, job.frames_total = done, total
            if job.cancel.is_set():
                raise JobCancelled(job.id)

        job.status = "running"
        try:
            job.result = self._runner(job, progress)
            job.status = "done"
        except JobCancelled:
            job.status = "cancelled"
        except Exception as exc:  # noqa: BLE001 - a failed job reports its error, the server lives on
            logger.warning("ingest job %s failed: %s", job.id, exc, exc_info=not isinstance(exc, ValueError))
            job.status, job.error = "failed", str(exc) or exc.__class__.__name__
        finally:
            self._reload_indices()

    def _reload_indices(self) -> None:
        """Make the server's store re-read the vector indices the job wrote."""
        self.store.reload_indices()

    def _ingest(self, job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """The default runner: the in-process pipeline over a file, through a Store of its own."""
        from epitrace.ingest import IngestPipeline, VisionModels
        from epitrace.ingest.service import ingest_file
        from epitrace.store import open_store

        if job.url is not None:
            return self._ingest_stream(job, progress)
        if self.ray_address and job.max_frames is None:
            return self._ingest_on_ray(job, progress)
        cfg = self.settings.ingest
        if self._models is None:
            self._models = VisionModels.load(self.settings.models_dir, cfg.threads, cfg.person_score,
                                             cfg.detector_input, cfg.faces)
        store = open_store(self.settings)
        try:
            pipeline = IngestPipeline(store, self._models, cfg)
            result = ingest_file(store, pipeline, Path(job.source), job.camera_id, job.start, job.fps,
                                 progress=progress, stop_after_frames=job.max_frames)
        finally:
            store.db.dispose()
        return file_result(result)

    def _ingest_on_ray(self, job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """The same job on Ray workers (`epitrace serve --ray`): chunks run on model-holding actors."""
        from epitrace.ingest.distributed import ingest_with_ray

        address = None if self.ray_address == "local" else self.ray_address
        (result,) = ingest_with_ray(self.settings, [(Path(job.source), job.start)], job.camera_id, fps=job.fps,
                                    address=address, progress=progress)
        return {**file_result(result), "ray": self.ray_address}

    def _ingest_stream(self, job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """A live stream until cancelled (or `max_seconds`): reconnects with back-off, records
        gaps; each connection's tracks are stored as it goes. Its own models: it runs beside
        file jobs."""
        from epitrace.ingest import IngestPipeline, VisionModels
        from epitrace.ingest.stream import StreamOptions, ingest_stream
        from epitrace.store import open_store

        cfg = self.settings.ingest
        models = VisionModels.load(self.settings.models_dir, cfg.threads, cfg.person_score,
                                   cfg.detector_input, cfg.faces)
        store = open_store(self.settings)
        analysed = 0

        def on_segment(segment: Any) -> None:
            nonlocal analysed
            analysed += segment.frames_analysed
            job.frames_done = analysed
            self.store.reload_indices()  # searches see each stored connection at once

        assert job.url is not None
        try:
            result = ingest_stream(store, IngestPipeline(store, models, cfg), job.url, job.camera_id, job.fps,
                                   options=StreamOptions(max_seconds=job.max_seconds), on_segment=on_segment,
                                   stop=job.cancel)
        finally:
            store.db.dispose()
        return {"segments": len(result.segments), "gaps": len(result.gaps), "frames_analysed": analysed,
                "frames_dropped": result.frames_dropped,
                "tracks_added": sum(s.tracks_added for s in result.segments), "stopped": job.cancel.is_set()}

