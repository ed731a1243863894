"""Distributed ingest on Ray: cut segments (chunks) of videos run on worker actors.

Each actor loads the vision models once and runs the ordinary pipeline over one chunk at a
time (`IngestPipeline.run` with a chunk's `VideoJob`), with a fresh tracker from the chunk's first frame, exactly
as the in-process runner does at a cut; it returns the chunk's finished tracks. Only the driver
writes to the store, one transaction per chunk, so a worker killed mid-chunk leaves nothing
behind: its chunk is simply given to a (restarted) worker again. The video's `resume_frame` is
the end of the unbroken run of stored chunks from its start, so a killed *driver* resumes like
the in-process runner (tracks from there on are deleted and redone).

Ray is optional: it is imported only here, on use.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from epitrace.config import IngestSettings, Settings
from epitrace.ingest.cameras import ground_mapper
from epitrace.ingest.job import FrameRange, VideoJob, register_video
from epitrace.ingest.pipeline import IngestPipeline, IngestResult, Progress
from epitrace.ingest.segments import Chunk, close_checked, cut_frames, plan_chunks
from epitrace.ingest.service import load_models
from epitrace.media import VideoError
from epitrace.store import Store, TrackRecord, VideoState, open_store

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3  # a chunk whose worker dies this many times fails its video


class RayUnavailableError(RuntimeError):
    """Ray is not installed or the cluster address cannot be reached."""


@dataclass(frozen=True)
class ChunkTask:
    """One chunk of one video, everything a worker needs (no store access)."""

    path: str
    video_id: int
    camera_id: str
    chunk: Chunk
    start_ts: float
    fps: float
    calibration: dict[str, Any] | None
    attempt: int = 1

    def job(self) -> VideoJob:
        """The pipeline's job for this chunk: its frames only, the video left open."""
        return VideoJob(self.video_id, self.camera_id, self.path, self.start_ts, self.fps,
                        ground_mapper(self.calibration), FrameRange(self.chunk.start, self.chunk.stop),
                        finish=False)


@dataclass(frozen=True)
class ChunkResult:
    """What a worker sends back: the chunk's finished tracks (stored by the driver) and counts."""

    tracks: list[TrackRecord]
    frames_decoded: int
    frames_analysed: int
    wall_seconds: float
    pid: int
    scene_cuts: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ChunkEvent:
    """What the driver just did with a chunk: 'started', 'done', 'retry' or 'failed'."""

    kind: str
    video_id: int
    chunk: Chunk
    pid: int | None = None
    detail: str = ""


class _RecordingStore:
    """Stands in for the Store inside a worker: keeps what the pipeline would commit."""

    def __init__(self) -> None:
        self.tracks: list[TrackRecord] = []
        self.analysed = 0

    def video_state(self, video_id: int) -> VideoState:
        return VideoState(video_id, "running", 0, self.analysed)

    def save_tracks(self, video_id: int, tracks: list[TrackRecord], resume_frame: int,
                    frames_analysed: int) -> list[int]:
        self.tracks.extend(tracks)
        self.analysed = frames_analysed
        return []


class ChunkWorker:
    """A Ray actor body: models loaded once, then any number of chunks."""

    def __init__(self, models_dir: Path, settings: IngestSettings) -> None:
        self.settings = settings
        self.models = load_models(settings, models_dir)

    def pid(self) -> int:
        """The worker's process id (a restarted actor has a new one)."""
        return os.getpid()

    def run(self, task: ChunkTask) -> ChunkResult:
        """Ingest one chunk; its tracks come back to the driver, nothing is written here."""
        store = _RecordingStore()
        pipeline = IngestPipeline(store, self.models, self.settings)  # type: ignore[arg-type]
        result = pipeline.run(task.job())
        return ChunkResult(store.tracks, result.frames_decoded, result.frames_analysed,
                           result.wall_seconds, os.getpid(), result.scene_cuts)


@dataclass
class _VideoRun:
    """Driver-side state of one video being ingested."""

    path: Path
    video_id: int
    camera_id: str
    fps: float
    chunks: list[Chunk]
    resumed_from: int
    declared_frames: int
    tasks: list[ChunkTask] = field(default_factory=list)
    done: set[int] = field(default_factory=set)
    end_frame: int = 0  # one past the last frame decoded (known once the last chunk is done)
    frames_decoded: int = 0
    frames_analysed: int = 0
    tracks_added: int = 0
    scene_cuts: list[int] = field(default_factory=list)
    error: BaseException | None = None
    wall: float = field(default_factory=time.perf_counter)

    def prefix_end(self) -> int:
        """First frame not covered by an unbroken run of stored chunks from the start."""
        end = self.resumed_from
        for c in self.chunks:
            if c.index not in self.done or c.stop is None:
                break
            end = c.stop
        return end


def connect(address: str | None = None, num_cpus: int | None = None) -> bool:
    """Join the Ray cluster at `address`, or start a local Ray (None or 'local').

    Returns True when this call started Ray (the caller shuts it down). Raises
    RayUnavailableError with what to do when Ray is missing or the address cannot be reached.
    """
    try:
        import ray
    except ImportError as exc:
        raise RayUnavailableError("Ray is not installed: pip install 'ray==2.60.0'") from exc
    local = address in (None, "", "local")
    hint = ("Start one with `ray start --head` and pass its address (host:6379 or ray://host:10001), "
            "or give --ray no address to run a local Ray on this machine")
    if not local:
        _check_reachable(address, hint)  # type: ignore[arg-type]
    if ray.is_initialized():  # e.g. the web server's Ray, or a test's
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    quiet: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if local:
        ray.init(num_cpus=num_cpus, **quiet)
        return True
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        raise RayUnavailableError(f"cannot join a Ray cluster at {address!r} ({exc}). {hint}") from exc
    return True


def _check_reachable(address: str, hint: str, timeout_s: float = 3.0) -> None:
    """Fail in seconds on a dead host:port; ray.init itself retries for minutes."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise RayUnavailableError(f"Ray address {address!r} is not host:port or ray://host:port. {hint}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise RayUnavailableError(f"cannot reach a Ray cluster at {address!r} ({exc}). {hint}") from exc


def _wait_alive(actor: Any, timeout_s: float = 600.0) -> int:
    """The actor's pid once it is up (a restarted actor reloads its models first)."""
    import ray
    from ray.exceptions import ActorUnavailableError

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return int(ray.get(actor.pid.remote()))
        except ActorUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ingest_with_ray(
    settings: Settings,
    sources: Sequence[Path | str | tuple[Path | str, datetime]],
    camera_id: str,
    start: datetime | None = None,
    *,
    fps: float | None = None,
    address: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_event: Callable[[ChunkEvent], None] | None = None,
) -> list[IngestResult]:
    """Ingest video files of one camera on Ray workers; same rows as the in-process runner.

    Args:
        settings: settings of the store and of ingest (models, cut length).
        sources: files, or (file, start time) pairs; a bare file starts at `start`.
        camera_id: the registered camera that filmed them.
        start: start time of a bare file (timezone-aware).
        fps: true frame rate when the files' is wrong (the camera's override wins).
        address: Ray cluster address; None starts a local Ray (shut down at the end).
        workers: actors to start (default: one per CPU of the cluster).
        progress: called with (frames done, frames total) over all files as chunks finish.
        on_event: called for each chunk started, done, retried or failed (tests, UIs).

    Returns:
        One IngestResult per file (`skipped` when it was already ingested).

    Example:
        >>> ingest_with_ray(settings, [Path("cam1.mp4")], "cam1", start=t0)  # doctest: +SKIP
    """
    store = open_store(settings)
    store.get_camera(camera_id)  # unknown camera: fail before starting anything
    plan = [(Path(s[0]), s[1]) if isinstance(s, tuple) else (Path(s), start) for s in sources]
    if any(at is None for _, at in plan):
        raise ValueError("a start time is needed for each file (start=... or (path, start) pairs)")
    started = connect(address, workers if address in (None, "", "local") else None)
    try:
        return _Driver(settings, store, workers, progress, on_event).run(plan, camera_id, fps)  # type: ignore[arg-type]
    finally:
        store.db.dispose()
        if started:
            import ray

            ray.shutdown()


class _Driver:
    """Registers videos, hands chunks to actors, stores results, retries dead workers' chunks."""

    def __init__(self, settings: Settings, store: Store, workers: int | None, progress: Progress | None,
                 on_event: Callable[[ChunkEvent], None] | None) -> None:
        self.settings, self.store, self.workers = settings, store, workers
        self.progress, self.on_event = progress, on_event

    def run(self, plan: list[tuple[Path, datetime]], camera_id: str, fps: float | None) -> list[IngestResult]:
        results: dict[Path, IngestResult] = {}
        jobs: list[_VideoRun] = []
        for path, at in plan:
            job_or_result = self._register(path, camera_id, at, fps)
            if isinstance(job_or_result, IngestResult):
                results[path] = job_or_result
            else:
                jobs.append(job_or_result)
        if jobs:
            self._schedule(jobs)
        errors = []
        for job in jobs:
            try:
                results[job.path] = self._result(job)
            except VideoError as exc:
                errors.append(exc)
        if errors:
            raise errors[0]
        return [results[path] for path, _ in plan]

    def _register(self, path: Path, camera_id: str, at: datetime, fps: float | None) -> _VideoRun | IngestResult:
        """Create (or resume) the video row and list the chunks still to do."""
        cfg = self.settings.ingest
        reg = register_video(self.store, cfg.analysed_fps, path, camera_id, at, fps,
                             stored_path=str(path.resolve()), resume_cut_s=cfg.cut_s, log=logger)
        if reg.skipped:
            return IngestResult(reg.video_id, camera_id, skipped=True)
        # A resumed video redoes from the start of the segment holding its resume point.
        chunks = [c for c in plan_chunks(reg.frames, cut_frames(cfg.cut_s, reg.fps))
                  if c.stop is None or c.stop > reg.resume]
        job = _VideoRun(path, reg.video_id, camera_id, reg.fps, chunks, reg.resume, reg.frames)
        job.tasks = [ChunkTask(str(path.resolve()), reg.video_id, camera_id, c, at.timestamp(), reg.fps,
                               reg.camera.calibration) for c in chunks]
        return job

    def _schedule(self, jobs: list[_VideoRun]) -> None:
        import ray
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        by_id = {job.video_id: job for job in jobs}
        pending: deque[ChunkTask] = deque(t for job in jobs for t in job.tasks)
        total = sum(self._frames(job, t.chunk) for job in jobs for t in job.tasks)
        finished = 0
        actors = self._start_actors(min(len(pending), self._worker_count()))
        pids: dict[int, int | None] = {i: None for i in range(len(actors))}
        idle = deque(range(len(actors)))
        inflight: dict[Any, tuple[ChunkTask, int]] = {}
        try:
            while pending or inflight:
                while pending and idle:
                    task, slot = pending.popleft(), idle.popleft()
                    if by_id[task.video_id].error is not None:
                        idle.append(slot)
                        continue
                    if pids[slot] is None:
                        pids[slot] = _wait_alive(actors[slot])
                    inflight[actors[slot].run.remote(task)] = (task, slot)
                    self._event("started", task, pids[slot])
                ready, _ = ray.wait(list(inflight), num_returns=1)
                task, slot = inflight.pop(ready[0])
                job = by_id[task.video_id]
                try:
                    result: ChunkResult = ray.get(ready[0])
                except (RayActorError, WorkerCrashedError) as exc:  # the worker died mid-chunk
                    pids[slot] = None  # Ray restarts the actor (models load again)
                    idle.append(slot)
                    if task.attempt >= MAX_ATTEMPTS:
                        job.error = RuntimeError(f"chunk {task.chunk} of {job.path}: {MAX_ATTEMPTS} workers died")
                        self._event("failed", task, None, str(exc))
                    else:
                        logger.warning("worker died during chunk %s of video %s: retrying", task.chunk, task.video_id)
                        self._event("retry", task, None, type(exc).__name__)
                        pending.appendleft(ChunkTask(**{**task.__dict__, "attempt": task.attempt + 1}))
                    continue
                except RayTaskError as exc:  # the chunk itself failed (e.g. truncated file)
                    idle.append(slot)
                    job.error = exc.cause if isinstance(exc.cause, BaseException) else exc
                    self._event("failed", task, pids[slot], str(job.error))
                    continue
                idle.append(slot)
                if job.error is None:
                    self._store(job, task.chunk, result)
                    self._event("done", task, result.pid, f"{len(result.tracks)} tracks")
                finished += self._frames(job, task.chunk)
                if self.progress is not None:
                    self.progress(finished, total)
        finally:
            for actor in actors:
                ray.kill(actor)

    def _worker_count(self) -> int:
        import ray

        if self.workers:
            return self.workers
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def _start_actors(self, n: int) -> list[Any]:
        import ray

        # One CPU and one model thread per actor: ONNX Runtime gives bit-identical outputs for any
        # thread count (checked on the detector and body embedder), and actors, not threads, scale.
        remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=0)(ChunkWorker)
        cfg = self.settings.ingest.model_copy(update={"threads": 1})
        return [remote.remote(self.settings.models_dir, cfg) for _ in range(max(n, 1))]

    def _frames(self, job: _VideoRun, chunk: Chunk) -> int:
        return chunk.frames if chunk.frames is not None else max(cut_frames(self.settings.ingest.cut_s, job.fps), 1)

    def _store(self, job: _VideoRun, chunk: Chunk, result: ChunkResult) -> None:
        """One transaction per chunk; the resume point moves only over an unbroken prefix."""
        job.done.add(chunk.index)
        previous = self.store.video_state(job.video_id).frames_analysed
        self.store.save_tracks(job.video_id, result.tracks, resume_frame=job.prefix_end(),
                               frames_analysed=previous + result.frames_analysed)
        if chunk.stop is None:
            job.end_frame = chunk.start + result.frames_decoded
        job.frames_decoded += result.frames_decoded
        job.frames_analysed += result.frames_analysed
        job.tracks_added += len(result.tracks)
        job.scene_cuts.extend(result.scene_cuts)

    def _result(self, job: _VideoRun) -> IngestResult:
        if job.error is not None:
            self.store.fail_video(job.video_id)
            if isinstance(job.error, VideoError):
                raise job.error
            raise VideoError(f"{job.path}: {job.error}") from job.error
        close_checked(self.store, self.settings.ingest, job.video_id, job.fps, job.path,
                      job.declared_frames, job.end_frame, scene_cuts=job.scene_cuts)
        wall = time.perf_counter() - job.wall
        return IngestResult(job.video_id, job.camera_id, skipped=False, resumed_from=job.resumed_from,
                            frames_decoded=job.frames_decoded, frames_analysed=job.frames_analysed,
                            tracks_added=job.tracks_added, video_seconds=job.frames_decoded / job.fps,
                            wall_seconds=wall, scene_cuts=sorted(job.scene_cuts))

    def _event(self, kind: str, task: ChunkTask, pid: int | None, detail: str = "") -> None:
        if self.on_event is not None:
            self.on_event(ChunkEvent(kind, task.video_id, task.chunk, pid, detail))
