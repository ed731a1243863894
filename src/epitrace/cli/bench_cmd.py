"""`epitrace bench ingest`: throughput of the full pipeline with a per-stage breakdown."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from epitrace.cli.common import console, friendly_errors
from epitrace.config import get_settings

app = typer.Typer(help="Benchmarks (speed). Figures are medians over repeats.", no_args_is_help=True)


@app.command("ingest")
def bench_ingest(
    video: Path = typer.Option(..., "--video", help="Video file (e.g. PETS vtest.avi)."),
    fps: float = typer.Option(7.0, "--fps", help="True frame rate of the video."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Runs; the median is reported."),
    out: Path = typer.Option(None, "--out", help="Also write the figures as JSON here."),
) -> None:
    """Ingest throughput: analysed frames/s, times real time and each stage's share."""
    from epitrace.ingest import CameraConfig, register_camera
    from epitrace.ingest.service import ingest_file, open_pipeline

    settings = get_settings()
    runs = []
    with friendly_errors():
        for n in range(repeats):
            with tempfile.TemporaryDirectory(prefix="epitrace-bench-") as tmp:
                local = settings.model_copy(update={"home": Path(tmp), "models_path": settings.models_dir})
                store, pipeline = open_pipeline(local)
                register_camera(store, CameraConfig(id="bench", fps=fps))
                result = ingest_file(store, pipeline, video, "bench", datetime(2009, 1, 1, tzinfo=UTC), fps)
                store.db.dispose()
            runs.append(result)
            console.print(f"run {n + 1}: {result.analysed_fps:.1f} analysed frames/s")
    runs.sort(key=lambda r: r.analysed_fps)
    median = runs[len(runs) // 2]
    total = sum(median.stages.values()) or 1.0
    table = Table("stage", "seconds", "share", "ms / analysed frame")
    for stage, seconds in median.stages.items():
        table.add_row(stage, f"{seconds:.2f}", f"{100 * seconds / total:.1f}%",
                      f"{1000 * seconds / max(median.frames_analysed, 1):.1f}")
    console.print(table)
    figures = {
        "video": str(video), "frames_analysed": median.frames_analysed,
        "analysed_fps_median": round(median.analysed_fps, 2),
        "times_real_time_median": round(median.times_real_time, 2),
        "wall_seconds_median": round(median.wall_seconds, 2),
        "tracks": median.tracks_added, "stages_seconds": median.stages,
        "analysed_fps_all": [round(r.analysed_fps, 2) for r in runs],
    }
    console.print(f"median: {figures['analysed_fps_median']} analysed frames/s, "
                  f"{figures['times_real_time_median']}x real time, {median.tracks_added} tracks")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2))
