"""`epitrace ingest VIDEO|FOLDER|URL --camera ID [--start ISO8601] [--fps N] [--ray [ADDRESS]]`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import click
import typer
from typer.core import TyperCommand

from epitrace.cli.common import console, err_console, friendly_errors, progress_bar
from epitrace.config import Settings, get_settings
from epitrace.ingest import IngestPipeline, IngestResult, probe_video
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.ingest.stream import is_live_url
from epitrace.store import Store

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".mpg", ".mpeg"}
NAME_TIME = re.compile(r"(\d{8})[T_-]?(\d{6})")
RAY_ADDRESS = re.compile(r"^(local|auto|ray://\S+|[\w.\-]+:\d+)$")


def parse_start(text: str) -> datetime:
    """An ISO 8601 time with a zone ('Z' or an offset)."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"--start {text!r} is not ISO 8601 (e.g. 2026-03-01T09:00:00+09:00)") from exc
    if value.tzinfo is None:
        raise ValueError(f"--start {text!r} has no time zone: add Z or an offset like +09:00")
    return value


def folder_plan(folder: Path, start: datetime, fps: float | None) -> list[tuple[Path, datetime]]:
    """Files of a folder in name order with their start times.

    A time stamp in the name (YYYYMMDD-HHMMSS, in the zone of --start) wins; otherwise a file
    starts where the previous one ended (consecutive recorder segments).
    """
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not files:
        raise ValueError(f"{folder}: no video files ({', '.join(sorted(VIDEO_SUFFIXES))})")
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


def run_ingest(store: Store, pipeline: IngestPipeline, path: Path, camera_id: str, start: datetime,
               fps: float | None) -> IngestResult:
    """Ingest one file with a progress bar."""
    with progress_bar() as bar:
        task = bar.add_task(path.name, total=None)
        return ingest_file(store, pipeline, path, camera_id, start, fps,
                           progress=lambda done, total: bar.update(task, completed=done, total=total or None))


def report(result: IngestResult, path: Path) -> None:
    if result.skipped:
        console.print(f"{path.name}: already ingested (video {result.video_id}); nothing added")
        return
    resumed = f", resumed at frame {result.resumed_from}" if result.resumed_from else ""
    console.print(f"{path.name}: {result.tracks_added} tracks, {result.frames_analysed} frames analysed "
                  f"at {result.analysed_fps:.1f} frames/s ({result.times_real_time:.1f}x real time){resumed}")


class IngestCommand(TyperCommand):
    """Lets `--ray` stand alone (a local Ray) as well as take an address: `--ray host:6379`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--ray" and (i + 1 == len(args) or not RAY_ADDRESS.match(args[i + 1])):
                fixed.append("local")
        return super().parse_args(ctx, fixed)


def ingest(
    video: str = typer.Argument(None, help="A video file, a folder of them, or a live stream URL (rtsp://, http://)."),
    camera: str = typer.Option(..., "--camera", help="Registered camera id."),
    start: str = typer.Option(None, "--start", help="Start time of the (first) file, ISO 8601 with zone "
                              "(files only: live streams are stamped from the wall clock)."),
    fps: float = typer.Option(None, "--fps", help="True frame rate if the file's is wrong."),
    analysed_fps: float = typer.Option(None, "--analysed-fps", help="Frames analysed per second."),
    url: str = typer.Option(None, "--url", help="A live stream URL (the same as giving it as VIDEO)."),
    ray: str = typer.Option(None, "--ray", help="Run on Ray: `--ray` alone starts a local Ray; "
                            "`--ray HOST:PORT` (or ray://HOST:PORT) joins a cluster."),
    workers: int = typer.Option(None, "--workers", min=1, help="Ray workers (default: one per CPU of the cluster)."),
    duration: float = typer.Option(None, "--duration", min=0.1, help="Live streams: stop after this many "
                                   "seconds (default: until Ctrl-C)."),
) -> None:
    """Detect, track and index the people in CCTV footage or a live stream (resumable, idempotent)."""
    settings = get_settings()
    source = url or video
    if not source:
        raise typer.BadParameter("give a video file, a folder, or a stream URL (VIDEO or --url)")
    with friendly_errors(), _setup_errors():
        if analysed_fps:
            settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
                update={"analysed_fps": analysed_fps})})
        from epitrace.store import open_store

        open_store(settings).get_camera(camera)  # unknown camera: fail before loading models
        if is_live_url(source):
            if ray:
                raise ValueError("live streams are read in-process, one reader per stream: drop --ray "
                                 "(use --ray for files and folders)")
            _ingest_live(settings, source, camera, fps, duration)
            return
        if start is None:
            raise ValueError("--start is needed for files (ISO 8601 with zone, e.g. 2026-03-01T09:00:00+09:00)")
        begin = parse_start(start)
        path = Path(source)
        plan = folder_plan(path, begin, fps) if path.is_dir() else [(path, begin)]
        if ray:
            _ingest_on_ray(settings, plan, camera, fps, ray, workers)
            return
        store, pipeline = open_pipeline(settings)
        for file, at in plan:
            report(run_ingest(store, pipeline, file, camera, at, fps), file)


@contextmanager
def _setup_errors() -> Iterator[None]:
    """Ray and stream set-up errors: one line with what to do, exit code 2."""
    from epitrace.ingest import RayUnavailableError
    from epitrace.ingest.stream import StreamError

    try:
        yield
    except (RayUnavailableError, StreamError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc


def _ingest_on_ray(settings: Settings, plan: list[tuple[Path, datetime]], camera: str, fps: float | None,
                   address: str, workers: int | None) -> None:
    from epitrace.ingest import ingest_with_ray

    with progress_bar() as bar:
        task = bar.add_task(f"{len(plan)} file(s) on Ray", total=None)
        results = ingest_with_ray(
            settings, plan, camera, fps=fps, address=None if address == "local" else address, workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total or None))
    for (path, _), result in zip(plan, results, strict=True):
        report(result, path)


def _ingest_live(settings: Settings, url: str, camera: str, fps: float | None, duration: float | None) -> None:
    """Read the stream in a worker thread so Ctrl-C can end it cleanly (the open segment is kept)."""
    from epitrace.ingest.stream import StreamOptions, ingest_stream, safe_url

    store, pipeline = open_pipeline(settings)
    stop = threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["result"] = ingest_stream(
                store, pipeline, url, camera, fps=fps, options=StreamOptions(max_seconds=duration),
                on_segment=lambda seg: report(seg, Path(f"segment {seg.video_id}")), stop=stop)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    console.print(f"reading {safe_url(url)} (Ctrl-C to stop)")
    thread = threading.Thread(target=work, name="live ingest")
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.5)
    except KeyboardInterrupt:
        console.print("stopping: finishing the current segment")
        stop.set()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    result = outcome["result"]
    console.print(f"{len(result.segments)} segment(s), {sum(s.tracks_added for s in result.segments)} tracks, "  # type: ignore[attr-defined]
                  f"{len(result.gaps)} gap(s) recorded, {result.frames_dropped} frames dropped while behind")  # type: ignore[attr-defined]
