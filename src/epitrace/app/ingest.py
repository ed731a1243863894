"""Ingest use case: one entry point for a file, a folder of files, a Ray run or a live stream.

Both front ends describe what to ingest as an `IngestRequest` and call `Ingestor.run`; the
choice of runner (in-process, Ray, live stream), loading the models from `settings.ingest` and
turning set-up failures into application errors happen here, once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from epitrace.app.errors import AppError, ErrorKind
from epitrace.app.ingest_rules import check_fps, refuse_store_path, stream_scheme
from epitrace.config import Settings
from epitrace.ingest import (
    ChunkEvent,
    IngestResult,
    RayUnavailableError,
    StreamError,
    StreamOptions,
    StreamResult,
    VisionModels,
    ingest_stream,
    ingest_with_ray,
    is_live_url,
    probe_video,
)
from epitrace.ingest.pipeline import Progress
from epitrace.ingest.service import ingest_file, load_models, open_pipeline

VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".mpg", ".mpeg"})
NAME_TIME = re.compile(r"(\d{8})[T_-]?(\d{6})")
Runner = Literal["file", "ray", "stream"]


class BadIngestRequest(AppError, ValueError):
    """The request cannot run as given (no start time for a file, Ray for a live stream, ...)."""

    kind = ErrorKind.INVALID


class IngestUnavailable(AppError, RuntimeError):
    """The Ray cluster or the live stream cannot be reached; the message says what to check."""

    kind = ErrorKind.UNAVAILABLE


@dataclass(frozen=True)
class IngestRequest:
    """What to ingest and how, as a front end parsed it.

    Attributes:
        source: a video file, a folder of them, or a live stream URL (rtsp://, http://, ...).
        camera_id: the registered camera that filmed it.
        start: time of the (first) file's first frame, with a zone; live streams are stamped
            from the wall clock and ignore it.
        fps: true frame rate when the file's is wrong.
        ray: run files on Ray: "local" starts a local Ray, otherwise a cluster address.
        workers: Ray workers (default one per CPU of the cluster).
        stop_after_frames: files: stop at this frame, leaving the video resumable (runs
            in-process even when `ray` is set).
        max_seconds: live streams: stop after this long (None: until `stop` is set).
        server_owned: the path is the server's own (an upload it saved, a video it resumes).
    """

    source: str
    camera_id: str
    start: datetime | None = None
    fps: float | None = None
    ray: str | None = None
    workers: int | None = None
    stop_after_frames: int | None = None
    max_seconds: float | None = None
    server_owned: bool = False
    actor: str = "system"
    """Who asked (audited with the start and end of the run)."""
    """The server itself chose the path (its own upload, a resumed video): not checked against the home."""

    @property
    def live(self) -> bool:
        """True when the source is a live stream URL."""
        return is_live_url(self.source)

    @property
    def runner(self) -> Runner:
        """Which runner the request goes to."""
        if self.live:
            return "stream"
        return "ray" if self.ray and self.stop_after_frames is None else "file"


@dataclass
class IngestWatch:
    """What a front end hears while ingest runs (every callback optional).

    Attributes:
        on_start: a file (its name), a Ray run ("N file(s) on Ray") or a stream begins.
        progress: (frames done, frames total or 0) of the current file, or over all files on Ray;
            may raise to stop a file ingest (what was committed stays, and resumes later).
        on_file: a file is done (or skipped as already ingested).
        on_segment: a live connection is stored.
        on_chunk: what the Ray driver did with a chunk.
        stop: set it to end a live stream (the open connection is stored first).
    """

    on_start: Callable[[str], None] | None = None
    progress: Progress | None = None
    on_file: Callable[[Path, IngestResult], None] | None = None
    on_segment: Callable[[IngestResult], None] | None = None
    on_chunk: Callable[[ChunkEvent], None] | None = None
    stop: threading.Event | None = None


@dataclass(frozen=True)
class IngestOutcome:
    """What a request did: each file's result in order, or the stream's."""

    runner: Runner
    files: list[tuple[Path, IngestResult]] = field(default_factory=list)
    stream: StreamResult | None = None


def plan_files(source: Path, start: datetime, fps: float | None,
               guard: Callable[[Path], Path] | None = None) -> list[tuple[Path, datetime]]:
    """A file with its start time, or a folder's video files in name order with theirs.

    In a folder a time stamp in the name (YYYYMMDD-HHMMSS, in the zone of `start`) wins;
    otherwise a file starts where the previous one ended (consecutive recorder segments).
    `guard` checks each file before it is opened (e.g. a symlink to the database).
    """
    if not source.is_dir():
        return [(guard(source) if guard else source, start)]
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if guard is not None:
        files = [guard(p) for p in files]
    if not files:
        raise BadIngestRequest(f"{source}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
    plan, at = [], start
    for path in files:
        match = NAME_TIME.search(path.stem)
        if match:
            at = datetime.strptime("".join(match.groups()), "%Y%m%d%H%M%S").replace(tzinfo=start.tzinfo)
        plan.append((path, at))
        info = probe_video(path)
        rate = fps or info.fps
        at = at + timedelta(seconds=info.frames / rate if rate else 0)
    return plan


class Ingestor:
    """Runs ingest requests with models loaded once.

    The vision models are loaded from `settings.ingest` on first use and kept, so a server's
    worker loads them once for all its file jobs.
    """

    def __init__(self, settings: Settings, models: VisionModels | None = None) -> None:
        self.settings = settings
        self._models = models

    @property
    def models(self) -> VisionModels:
        """The model stack, loaded on first use (a Ray run never loads it in the driver)."""
        if self._models is None:
            self._models = load_models(self.settings.ingest, self.settings.models_dir)
        return self._models

    def run(self, request: IngestRequest, watch: IngestWatch | None = None) -> IngestOutcome:
        """Check the request, then run it in-process, on Ray or as a live stream.

        Raises:
            BadIngestRequest: the request cannot run as given.
            UnknownCameraError: the camera is not registered (before any model loads).
            IngestUnavailable: Ray or the stream cannot be reached.
            VideoError: a file is not a readable video, or is truncated (what was decoded stays).
        """
        watch = watch or IngestWatch()
        self._check(request)
        self._audit(request, "ingest_start", {})
        try:
            outcome = self._dispatch(request, watch)
        except BaseException as exc:
            self._audit(request, "ingest_end", {"ok": False, "error": type(exc).__name__})
            raise
        videos = [r.video_id for _, r in outcome.files] or (
            [s.video_id for s in outcome.stream.segments] if outcome.stream else [])
        self._audit(request, "ingest_end", {"ok": True, "videos": videos})
        return outcome

    def _dispatch(self, request: IngestRequest, watch: IngestWatch) -> IngestOutcome:
        try:
            if request.runner == "stream":
                return self._stream(request, watch)
            assert request.start is not None
            guard = None if request.server_owned else self._guard
            plan = plan_files(Path(request.source), request.start, request.fps, guard)  # links in a folder too
            if request.runner == "ray":
                return self._ray(request, plan, watch)
            return self._files(request, plan, watch)
        except (RayUnavailableError, StreamError) as exc:
            raise IngestUnavailable(str(exc)) from exc

    def _guard(self, path: Path) -> Path:
        """`path` as given, once its resolved target is known not to be the store's own (F4)."""
        refuse_store_path(path, self.settings)
        return path

    def _audit(self, request: IngestRequest, action: str, detail: dict[str, object]) -> None:
        """Record who ingested what into which camera (F6): the file's name or the URL without credentials."""
        from epitrace.ingest import safe_url
        from epitrace.privacy.audit import record
        from epitrace.store import open_store

        source = safe_url(request.source) if request.live else Path(request.source).name
        store = open_store(self.settings)
        try:
            record(store, user=request.actor, action=action,
                   detail={"camera": request.camera_id, "source": source[:200], **detail})
        finally:
            store.db.dispose()

    def _check(self, request: IngestRequest) -> None:
        if not request.source:
            raise BadIngestRequest("give a video file, a folder, or a stream URL")
        stream_scheme(request.source)  # file://, ftp://, ... refused
        check_fps(request.fps)
        if not request.live and not request.server_owned:
            refuse_store_path(request.source, self.settings)
        if request.live and request.ray:
            raise BadIngestRequest("live streams are read in-process, one reader per stream: drop --ray "
                                   "(use --ray for files and folders)")
        if not request.live:
            if request.start is None:
                raise BadIngestRequest("a start time (--start) is needed for files (ISO 8601 with zone, e.g. "
                                       "2026-03-01T09:00:00+09:00)")
            if request.start.tzinfo is None:
                raise BadIngestRequest("the start time needs a time zone, e.g. 2026-03-01T09:00:00+09:00")
        from epitrace.store import open_store

        store = open_store(self.settings)
        try:
            store.get_camera(request.camera_id)  # unknown camera: fail before loading models
        finally:
            store.db.dispose()

    def _files(self, request: IngestRequest, plan: list[tuple[Path, datetime]], watch: IngestWatch) -> IngestOutcome:
        store, pipeline = open_pipeline(self.settings, self.models)
        done: list[tuple[Path, IngestResult]] = []
        try:
            for path, at in plan:
                if watch.on_start is not None:
                    watch.on_start(path.name)
                result = ingest_file(store, pipeline, path, request.camera_id, at, request.fps,
                                     progress=watch.progress, stop_after_frames=request.stop_after_frames)
                done.append((path, result))
                if watch.on_file is not None:
                    watch.on_file(path, result)
        finally:
            store.db.dispose()
        return IngestOutcome("file", done)

    def _ray(self, request: IngestRequest, plan: list[tuple[Path, datetime]], watch: IngestWatch) -> IngestOutcome:
        if watch.on_start is not None:
            watch.on_start(f"{len(plan)} file(s) on Ray")
        address = None if request.ray == "local" else request.ray
        results = ingest_with_ray(self.settings, [(p, at) for p, at in plan], request.camera_id, fps=request.fps,
                                  address=address, workers=request.workers, progress=watch.progress,
                                  on_event=watch.on_chunk)
        done = [(path, result) for (path, _), result in zip(plan, results, strict=True)]
        if watch.on_file is not None:
            for path, result in done:
                watch.on_file(path, result)
        return IngestOutcome("ray", done)

    def _stream(self, request: IngestRequest, watch: IngestWatch) -> IngestOutcome:
        if watch.on_start is not None:
            from epitrace.ingest import safe_url

            watch.on_start(safe_url(request.source))
        store, pipeline = open_pipeline(self.settings, self.models)
        try:
            result = ingest_stream(store, pipeline, request.source, request.camera_id, request.fps,
                                   options=StreamOptions(max_seconds=request.max_seconds),
                                   on_segment=watch.on_segment, stop=watch.stop)
        finally:
            store.db.dispose()
        return IngestOutcome("stream", stream=result)
