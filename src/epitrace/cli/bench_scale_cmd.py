"""`epitrace bench index` and `bench footprint`: the figures behind the capacity plan (docs/scaling.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from epitrace.cli.common import console, friendly_errors, progress_bar
from epitrace.config import get_settings


def write_figures(out: Path | None, figures: dict[str, Any]) -> None:
    """Write a benchmark's figures as JSON to `out` (its folder made), if one was asked for."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(figures, indent=2))


def bench_index(
    kind: str = typer.Option("body", "--kind", help="body (576-d) or face (128-d) vectors."),
    sightings: int = typer.Option(10_000_000, "--sightings", min=1000, help="Sightings in the synthetic index."),
    face_share: float = typer.Option(0.53, "--face-share", help="Share of sightings with a face vector "
                                     "(PETS measured: 0.53); used for --kind face."),
    factory: str = typer.Option(None, "--factory", help="FAISS index factory string (L2 on unit vectors); "
                                "default body IVF4096,SQ8 (576-d, measured at 10M), face IVF4096,Flat."),
    queries: int = typer.Option(1000, "--queries", min=10, help="Query vectors (new sightings of indexed people)."),
    nprobe: str = typer.Option("1,4,8,16,32,64,128,256", "--nprobe", help="Probe settings to sweep (IVF nprobe, "
                               "HNSW efSearch)."),
    threads: int = typer.Option(1, "--threads", min=1, help="Search threads (build uses all cores)."),
    workdir: Path = typer.Option(None, "--workdir", help="Cache of vectors' ground truth and indices "
                                 "(default $EPITRACE_HOME/bench/ann/KIND-N-sSEED); reused when present."),
    milvus_lite: bool = typer.Option(False, "--milvus-lite", help="Also insert the same vectors into the "
                                     "Milvus backend (milvus-lite file in the work folder) and query it."),
    out: Path = typer.Option(None, "--out", help="Also write the figures as JSON here."),
) -> None:
    """Approximate search over a synthetic city-scale index: recall@10 vs exact, latency, memory.

    Vectors are clustered by person with the spread measured on real embeddings, so recall is
    informative. The first run builds (long, niced CPU); later runs only query.
    """
    from epitrace.evaluation.ann_bench import DEFAULT_FACTORY, AnnSpec, default_workdir, run

    if kind not in DEFAULT_FACTORY:
        raise typer.BadParameter("--kind must be body or face")
    vectors = sightings if kind == "body" else round(sightings * face_share)
    spec = AnnSpec(kind=kind, vectors=vectors, factory=factory or DEFAULT_FACTORY[kind], queries=queries,
                   nprobes=tuple(int(p) for p in nprobe.split(",")))
    folder = workdir or default_workdir(get_settings().home / "bench", spec)
    with friendly_errors(), progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        figures = run(spec, folder, progress, threads=threads)
        if milvus_lite:
            from epitrace.evaluation.ann_milvus import run_milvus

            figures["milvus_lite"] = run_milvus(spec, folder, str(folder / "milvus" / "bench.db"), progress,
                                                queries=min(queries, 200))
    figures["sightings"] = sightings
    table = Table("probe", "recall@10", "nearest in top 10", "same person in top 10",
                  "query median / p95 ms", "batch of 10 median / p95 ms")
    for row in figures["search"]["sweep"]:
        probe = next(iter(row.values()))
        q, b = row["per_query"], row["per_batch_of_10"]
        table.add_row(str(probe), f"{row['recall_at_10']:.3f}", f"{row['nearest_in_top_k']:.3f}",
                      f"{row['same_person_in_top_k']:.2f}", f"{q['median_ms']:.2f} / {q['p95_ms']:.2f}",
                      f"{b['median_ms']:.2f} / {b['p95_ms']:.2f}")
    console.print(table)
    search = figures["search"]
    console.print(f"{spec.factory} over {vectors:,} {kind} vectors ({sightings:,} sightings): index "
                  f"{search['index_bytes'] / 1e9:.2f} GB on disk, {search['index_rss_gb']:.2f} GB resident; "
                  f"same person in exact top 10: {search['same_person_in_exact_top_k']:.2f}; cache {folder}")
    if milvus_lite:
        m = figures["milvus_lite"]
        console.print(f"milvus-lite ({m['index']}): insert {m['insert']['wall_seconds']} s, recall@10 "
                      f"{m['recall_at_10']}, query {m['per_query']['median_ms']} / {m['per_query']['p95_ms']} ms, "
                      f"batch of 10 {m['per_batch_of_10']['median_ms']} / {m['per_batch_of_10']['p95_ms']} ms")
    write_figures(out, figures)


def bench_footprint(
    video: Path = typer.Option(..., "--video", help="Video file (e.g. PETS vtest.avi)."),
    fps: float = typer.Option(7.0, "--fps", help="True frame rate of the video."),
    analysed_fps: float = typer.Option(None, "--analysed-fps", help="Frames analysed per second (default: "
                                       "settings, 7)."),
    cameras: int = typer.Option(10_820, "--cameras", help="Cameras in the projection (pilot city: 10,820)."),
    retention_days: int = typer.Option(30, "--retention-days", help="Days sightings are kept."),
    node_cores: int = typer.Option(32, "--node-cores", help="Cores per ingest node in the projection "
                                   "(assumed as fast as this machine's)."),
    out: Path = typer.Option(None, "--out", help="Also write the figures as JSON here."),
) -> None:
    """Per camera-hour cost of ingest (CPU, sightings, bytes) and a city projection from it."""
    from epitrace.evaluation.footprint import measure_footprint, project

    with friendly_errors():
        figures = measure_footprint(get_settings(), video, fps, analysed_fps)
    hour = figures["per_camera_hour"]
    figures["projection"] = project(hour, cameras=cameras, retention_days=retention_days, node_cores=node_cores)
    table = Table("per camera-hour", "value")
    for key, value in hour.items():
        table.add_row(key, f"{value:,.1f}")
    console.print(table)
    p = figures["projection"]
    console.print(f"{figures['video_seconds']} s of video, {figures['frames_analysed']} frames analysed: "
                  f"{figures['cpu_seconds']} CPU s ({figures['wall_seconds']} s wall), {figures['sightings']} "
                  f"sightings. {cameras:,} cameras: {p['cores_busy']:,} cores busy, {p['nodes']} nodes of "
                  f"{node_cores} cores at {p['utilisation']:.0%}; {p['tb_per_day']} TB/day, "
                  f"{p['tb_in_retention']} TB in {retention_days} days")
    write_figures(out, figures)
