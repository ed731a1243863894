"""`epitrace ingest VIDEO|FOLDER --camera ID --start ISO8601 [--fps N]`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import typer

from epitrace.cli.common import console, friendly_errors, progress_bar
from epitrace.config import get_settings
from epitrace.ingest import IngestPipeline, IngestResult, probe_video
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.store import Store

VIDEO_SUFFIXES = {".avi", ".mp4", ".mkv", ".mov", ".ts", ".m4v", ".webm", ".mpg", ".mpeg"}
NAME_TIME = re.compile(r"(\d{8})[T_-]?(\d{6})")


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


def ingest(
    video: Path = typer.Argument(..., help="A video file, or a folder of them."),
    camera: str = typer.Option(..., "--camera", help="Registered camera id."),
    start: str = typer.Option(..., "--start", help="Start time of the (first) file, ISO 8601 with zone."),
    fps: float = typer.Option(None, "--fps", help="True frame rate if the file's is wrong."),
    analysed_fps: float = typer.Option(None, "--analysed-fps", help="Frames analysed per second."),
) -> None:
    """Detect, track and index the people in CCTV footage (resumable, idempotent)."""
    settings = get_settings()
    with friendly_errors():
        if analysed_fps:
            settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
                update={"analysed_fps": analysed_fps})})
        begin = parse_start(start)
        from epitrace.store import open_store

        open_store(settings).get_camera(camera)  # unknown camera: fail before loading models
        plan = folder_plan(video, begin, fps) if video.is_dir() else [(video, begin)]
        store, pipeline = open_pipeline(settings)
        for path, at in plan:
            report(run_ingest(store, pipeline, path, camera, at, fps), path)
