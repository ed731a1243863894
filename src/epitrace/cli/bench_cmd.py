"""`epitrace bench ingest`: throughput of the full pipeline with a per-stage breakdown."""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from epitrace.cli.bench_scale_cmd import bench_footprint, bench_index, write_figures
from epitrace.cli.common import console, friendly_errors
from epitrace.config import Settings, get_settings

if TYPE_CHECKING:
    from epitrace.ingest import IngestResult

app = typer.Typer(help="Benchmarks (speed). Figures are medians over repeats.", no_args_is_help=True)
app.command("index")(bench_index)
app.command("footprint")(bench_footprint)


BASELINE_DETECTOR = "centernet"  # the default before NanoDet: what `--compare` measures against
CANDIDATE_DETECTOR = "nanodet-int8"  # what `--compare` measures by default


def _with_detector(settings: Settings, detector: str, own_defaults: bool = False) -> Settings:
    """`settings` with another person detector; with `own_defaults` also its own score and input size.

    The baseline of `--compare` runs as it shipped, whatever the candidate is configured with.
    """
    from epitrace.vision.registry import PERSON_DETECTORS

    if detector not in PERSON_DETECTORS.names():
        raise typer.BadParameter(f"unknown detector {detector!r}: one of {', '.join(PERSON_DETECTORS.names())}")
    update: dict[str, Any] = {"person_detector": detector}
    if own_defaults:
        update |= {"person_score": None, "detector_input": None}
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update=update)})


def _ingest_once(settings: Settings, video: Path, fps: float) -> IngestResult:
    """One full-pipeline ingest of `video` in a fresh throw-away home (nothing cached between runs)."""
    from epitrace.evaluation.throwaway import throwaway_pipeline

    with throwaway_pipeline(settings, "epitrace-bench-", {"id": "bench", "fps": fps}) as run:
        return run.ingest(video, fps=fps)


def run_line(n: int, detector: str, fps: float, load: float) -> str:
    """One run's line, with the host's 1-minute load average: on a shared machine it says how far to trust it."""
    return f"run {n} {detector}: {fps:.1f} analysed frames/s (load average {load:.2f})"


def _figures(runs: list[IngestResult], video: Path, detector: str) -> dict[str, Any]:
    """Median figures of `runs` of one detector, with a per-stage table printed."""
    ordered = sorted(runs, key=lambda r: r.analysed_fps)
    median = ordered[len(ordered) // 2]
    total = sum(median.stages.values()) or 1.0
    table = Table("stage", "seconds", "share", "ms / analysed frame", title=f"{detector} (median run)")
    for stage, seconds in median.stages.items():
        table.add_row(stage, f"{seconds:.2f}", f"{100 * seconds / total:.1f}%",
                      f"{1000 * seconds / max(median.frames_analysed, 1):.1f}")
    console.print(table)
    console.print(f"{detector}: median {median.analysed_fps:.1f} analysed frames/s, "
                  f"{median.times_real_time:.2f}x real time, {median.tracks_added} tracks")
    return {
        "video": str(video), "detector": detector, "frames_analysed": median.frames_analysed,
        "analysed_fps_median": round(median.analysed_fps, 2),
        "times_real_time_median": round(median.times_real_time, 2),
        "wall_seconds_median": round(median.wall_seconds, 2),
        "tracks": median.tracks_added, "stages_seconds": median.stages,
        "analysed_fps_all": [round(r.analysed_fps, 2) for r in runs],
    }


@app.command("ingest")
def bench_ingest(
    video: Path = typer.Option(..., "--video", help="Video file (e.g. PETS vtest.avi)."),
    fps: float = typer.Option(7.0, "--fps", help="True frame rate of the video."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Runs (per detector); the median is reported."),
    detector: str = typer.Option(None, "--detector", help="Person detector backend (default: the configured one)."),
    compare: bool = typer.Option(False, "--compare", help=f"Run {BASELINE_DETECTOR} (at its own defaults) and "
                                 f"--detector (default {CANDIDATE_DETECTOR}) in turns in one process; report both "
                                 "and the speed ratio."),
    out: Path = typer.Option(None, "--out", help="Also write the figures as JSON here."),
) -> None:
    """Ingest throughput: analysed frames/s, times real time and each stage's share.

    Why interleave for `--compare`: on a shared machine the load drifts over minutes; runs taken
    in turns see the same drift, so their ratio holds even when the absolute figures do not.
    """
    settings = get_settings()
    with friendly_errors():
        candidate = detector or (CANDIDATE_DETECTOR if compare else settings.ingest.person_detector)
        names = [BASELINE_DETECTOR, candidate] if compare else [candidate]
        if compare and candidate == BASELINE_DETECTOR:
            raise typer.BadParameter(f"--compare measures a detector against {BASELINE_DETECTOR}: pick another")
        configs = {name: _with_detector(settings, name, own_defaults=compare and name == BASELINE_DETECTOR)
                   for name in names}
        runs: dict[str, list[IngestResult]] = {name: [] for name in names}
        loads: dict[str, list[float]] = {name: [] for name in names}
        for n in range(repeats):
            for name in names:
                result = _ingest_once(configs[name], video, fps)
                runs[name].append(result)
                loads[name].append(round(os.getloadavg()[0], 2))
                console.print(run_line(n + 1, name, result.analysed_fps, loads[name][-1]))
    figures = {name: _figures(r, video, name) | {"load_average_1min": loads[name]} for name, r in runs.items()}
    if not compare:
        write_figures(out, figures[candidate])
        return
    base, new = figures[BASELINE_DETECTOR], figures[candidate]
    pairs = sorted(b.analysed_fps and c.analysed_fps / b.analysed_fps
                   for b, c in zip(runs[BASELINE_DETECTOR], runs[candidate], strict=True))
    summary = {"baseline": BASELINE_DETECTOR, "candidate": candidate, "repeats": repeats, "interleaved": True,
               "speedup_of_medians": round(new["analysed_fps_median"] / max(base["analysed_fps_median"], 1e-9), 3),
               "speedup_median_of_pairs": round(statistics.median(pairs), 3),  # even count: the mean of two
               "speedup_pairs": [round(p, 3) for p in pairs], "detectors": figures}
    console.print(f"{candidate} vs {BASELINE_DETECTOR}: {summary['speedup_of_medians']}x analysed frames/s "
                  f"(ratio of medians; median of the {repeats} interleaved pairs "
                  f"{summary['speedup_median_of_pairs']}x)")
    write_figures(out, summary)


@app.command("trace")
def bench_trace(
    camera_hours: float = typer.Option(1000.0, "--camera-hours", help="Size of the synthetic index."),
    cameras: int = typer.Option(100, "--cameras", help="Cameras sharing those hours."),
    tracks_per_hour: float = typer.Option(1070.0, "--tracks-per-hour",
                                          help="Sightings per camera-hour (PETS S2L1 measured: 1,070)."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Trace runs; the median is reported."),
    workdir: Path = typer.Option(None, "--workdir", help="Keep the synthetic index here (reused when present)."),
    out: Path = typer.Option(None, "--out", help="Also write the figures as JSON here."),
) -> None:
    """Trace 10 subjects at once over a synthetic city-scale index; report the time."""
    from epitrace.cli.common import progress_bar
    from epitrace.evaluation.synthetic_index import SyntheticSpec
    from epitrace.evaluation.trace_bench import run_trace_bench

    spec = SyntheticSpec(cameras=cameras, hours_per_camera=camera_hours / cameras, tracks_per_hour=tracks_per_hour)
    tmp = None if workdir else tempfile.TemporaryDirectory(prefix="epitrace-bench-trace-")
    home = workdir or Path(tmp.name)  # type: ignore[union-attr]
    try:
        with progress_bar() as bar:
            task = bar.add_task("building synthetic index (cameras)", total=cameras)
            result = run_trace_bench(spec, home, repeats, lambda d, t: bar.update(task, completed=d))
    finally:
        if tmp is not None:
            tmp.cleanup()
    figures = {"camera_hours": camera_hours, "cameras": cameras, **result}
    if result["build_seconds"] is not None:
        console.print(f"built in {result['build_seconds']:.0f} s")
    console.print(f"{result['subjects']} subjects traced over {result['sightings']:,} sightings ({camera_hours:.0f} "
                  f"camera-hours) in {result['trace_seconds_median']} s (median of {repeats}); index opened "
                  f"in {result['open_seconds']:.1f} s; planted sightings found {result['planted_found']}/"
                  f"{result['planted_total']}, false matches {result['false_matches']}")
    recall = result["fast_vs_exact"]
    console.print(f"exact search, interleaved: {result['exact_seconds_median']} s ({result['exact_over_fast']}x); "
                  f"fast path found {recall['match_recall']:.1%} of the exact matches and "
                  f"{recall['candidate_recall']:.1%} of the exact candidates")
    write_figures(out, figures)
