"""`epitrace ingest VIDEO|FOLDER|URL --camera ID [--start ISO8601] [--fps N] [--ray [ADDRESS]]`."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand

from epitrace.app.ingest import Ingestor, IngestOutcome, IngestRequest, IngestWatch, plan_files
from epitrace.cli.common import console, friendly_errors, progress_bar
from epitrace.config import get_settings
from epitrace.ingest import IngestResult

if TYPE_CHECKING:
    from typer._click.core import Context  # the click typer vendors (what TyperCommand takes)

RAY_ADDRESS = re.compile(r"^(local|auto|ray://\S+|[\w.\-]+:\d+)$")
folder_plan = plan_files  # the name this command's callers and tests knew


def cli_actor(svc: Any, acting: Callable[..., Any]) -> str:
    """Who this command is audited as (a logged-in user must be an admin or operator)."""
    import getpass

    from epitrace.app.ingest_rules import has_staff, ingest_actor

    return ingest_actor(lambda: acting(svc), getpass.getuser(), staffed=lambda: has_staff(svc.store))


def parse_start(text: str, option: str = "--start") -> datetime:
    """An ISO 8601 time with a zone ('Z' or an offset); errors name the `option` it was given as."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{option} {text!r} is not ISO 8601 (e.g. 2026-03-01T09:00:00+09:00)") from exc
    if value.tzinfo is None:
        raise ValueError(f"{option} {text!r} has no time zone: add Z or an offset like +09:00")
    return value


def run_with_progress(ingestor: Ingestor, request: IngestRequest) -> IngestOutcome:
    """Run a file or Ray request with a progress bar per file (one for a Ray run), reporting each file."""
    with progress_bar() as bar:
        task: list[object] = []

        def start(name: str) -> None:
            task[:] = [bar.add_task(name, total=None)]

        def progress(done: int, total: int) -> None:
            bar.update(task[0], completed=done, total=total or None)  # type: ignore[arg-type]

        outcome = ingestor.run(request, IngestWatch(on_start=start, progress=progress))
    for path, result in outcome.files:
        report(result, path)
    return outcome


def report(result: IngestResult, path: Path) -> None:
    """One line per file: what was added, how fast, where it resumed."""
    if result.skipped:
        console.print(f"{escape(path.name)}: already ingested (video {result.video_id}); nothing added")
        return
    resumed = f", resumed at frame {result.resumed_from}" if result.resumed_from else ""
    cuts = f", {len(result.scene_cuts)} scene cut(s)" if result.scene_cuts else ""
    console.print(f"{escape(path.name)}: {result.tracks_added} tracks, {result.frames_analysed} frames analysed "
                  f"at {result.analysed_fps:.1f} frames/s ({result.times_real_time:.1f}x real time){resumed}{cuts}")


class IngestCommand(TyperCommand):
    """Lets `--ray` stand alone (a local Ray) as well as take an address: `--ray host:6379`."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        """Give a bare `--ray` the value 'local' before click parses the line."""
        fixed: list[str] = []
        for i, arg in enumerate(args):
            fixed.append(arg)
            if arg == "--ray" and (i + 1 == len(args) or not RAY_ADDRESS.match(args[i + 1])):
                fixed.append("local")
        return super().parse_args(ctx, fixed)


def ingest(
    video: str = typer.Argument(None, help="A video file, a folder of them, or a live stream URL (rtsp://, http://)."),
    camera: str = typer.Option("", "--camera", help="Registered camera id (not with --resume)."),
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
    resume: int = typer.Option(None, "--resume", min=1, help="Resume an interrupted or failed video by id "
                               "(from its safe point; no VIDEO or --start needed)."),
) -> None:
    """Detect, track and index the people in CCTV footage or a live stream (resumable, idempotent)."""
    settings = get_settings()
    source = url or video
    if not source and resume is None:
        raise typer.BadParameter("give a video file, a folder, or a stream URL (VIDEO or --url), or --resume ID")
    with friendly_errors():
        from epitrace.cli.auth import acting, services

        svc = services()
        actor = cli_actor(svc, acting)
        if analysed_fps:
            settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
                update={"analysed_fps": analysed_fps})})
        if resume is not None:
            from dataclasses import replace

            from epitrace.app.ingest_recovery import resume_request

            request = replace(resume_request(svc.store, resume), actor=actor)
        else:
            request = IngestRequest(source=source, camera_id=camera, start=parse_start(start) if start else None,
                                    fps=fps, ray=ray, workers=workers, max_seconds=duration, actor=actor)
        ingestor = Ingestor(settings)
        if request.live:
            _ingest_live(ingestor, request)
        else:
            run_with_progress(ingestor, request)


def _ingest_live(ingestor: Ingestor, request: IngestRequest) -> None:
    """Read the stream in a worker thread so Ctrl-C can end it cleanly (the open segment is kept)."""
    from epitrace.ingest import safe_url

    stop = threading.Event()
    outcome: dict[str, object] = {}
    watch = IngestWatch(on_segment=lambda seg: report(seg, Path(f"segment {seg.video_id}")), stop=stop)

    def work() -> None:
        try:
            outcome["result"] = ingestor.run(request, watch)
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    console.print(f"reading {safe_url(request.source)} (Ctrl-C to stop)")
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
    result = outcome["result"].stream  # type: ignore[attr-defined]
    console.print(f"{len(result.segments)} segment(s), {sum(s.tracks_added for s in result.segments)} tracks, "
                  f"{len(result.gaps)} gap(s) recorded, {result.frames_dropped} frames dropped while behind")
