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

if TYPE_CHECKING:
    from epitrace.app.ingest import Ingestor, IngestRequest
    from epitrace.app.ingest_recovery import IngestStore
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
    server_owned: bool = True  # the server saved or stored the path (an upload, a resumed video)
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
        """Share of the job done, 0-1 (1 once done; 0 while the total is unknown)."""
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

    def __init__(self, settings: Settings, store: IngestStore, runner: Runner | None = None,
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
        self._ingestor: Ingestor | None = None  # file jobs share its models
        self.interrupted = self._recover()

    def _recover(self) -> list[int]:
        """On server start, mark videos left "running" by a dead process as interrupted (F12)."""
        from epitrace.app.ingest_recovery import mark_interrupted

        marked = mark_interrupted(self.settings, self.store)
        if marked:
            logger.warning("ingest of video(s) %s was interrupted; resume them from the ingest page", marked)
        return marked

    def submit(self, job: Job) -> Job:
        """Queue a file job (one runs at a time), or start a live stream at once.

        A stream gets its own thread, since it runs until cancelled.
        """
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
        """The job `job_id`, or LookupError (jobs are forgotten when the server restarts)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise LookupError(f"no ingest job {job_id!r} (jobs are kept in memory until the server restarts)")
        return job

    def list(self) -> list[Job]:
        """Every job remembered, newest first."""
        return sorted(self._jobs.values(), key=lambda j: -j.created_ts)

    def cancel(self, job_id: str, by: str | None = None) -> Job:
        """Ask a queued or running job to stop at its next frame; what it committed stays.

        With `by` (who asked), the cancellation is audited: an operator may stop another's ingest.
        """
        job = self.get(job_id)
        if job.status in ("queued", "running"):
            was = job.status
            job.cancel.set()
            if job.status == "queued":
                job.status = "cancelled"
            if by is not None:
                from epitrace.ingest import safe_url
                from epitrace.privacy.audit import record

                source = safe_url(job.url) if job.url else Path(job.source).name
                record(self.store, user=by, action="ingest_cancel",
                       detail={"job": job.id, "camera": job.camera_id, "source": source[:200], "was": was,
                               "created_by": job.created_by})
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

    def _request(self, job: Job) -> IngestRequest:
        from epitrace.app.ingest import IngestRequest

        return IngestRequest(source=job.url or job.source, camera_id=job.camera_id, start=job.start, fps=job.fps,
                             ray=self.ray_address, stop_after_frames=job.max_frames, max_seconds=job.max_seconds,
                             server_owned=job.server_owned, actor=job.created_by)

    def _ingest(self, job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """The default runner: the application's ingest entry point (in-process, Ray or stream)."""
        from epitrace.app.ingest import Ingestor, IngestWatch

        request = self._request(job)
        if request.runner == "stream":
            return self._ingest_stream(job, request)
        if self._ingestor is None:
            self._ingestor = Ingestor(self.settings)
        outcome = self._ingestor.run(request, IngestWatch(progress=progress))
        (_, result), = outcome.files
        return {**file_result(result), "ray": self.ray_address} if outcome.runner == "ray" else file_result(result)

    def _ingest_stream(self, job: Job, request: IngestRequest) -> dict[str, Any]:
        """A live stream until cancelled (or `max_seconds`), with models of its own.

        It reconnects with back-off and records gaps; each connection's tracks are stored as it
        goes. It runs beside file jobs, so it does not share their models.
        """
        from epitrace.app.ingest import Ingestor, IngestWatch

        analysed = 0

        def on_segment(segment: IngestResult) -> None:
            nonlocal analysed
            analysed += segment.frames_analysed
            job.frames_done = analysed
            self.store.reload_indices()  # searches see each stored connection at once

        outcome = Ingestor(self.settings).run(request, IngestWatch(on_segment=on_segment, stop=job.cancel))
        result = outcome.stream
        assert result is not None
        return {"segments": len(result.segments), "gaps": len(result.gaps), "frames_analysed": analysed,
                "frames_dropped": result.frames_dropped,
                "tracks_added": sum(s.tracks_added for s in result.segments), "stopped": job.cancel.is_set()}
