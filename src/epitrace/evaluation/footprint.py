"""What a camera-hour costs at ingest: CPU seconds, sightings, and bytes of rows, vectors, files.

The capacity plan (docs/scaling.md) multiplies these by cameras and hours, so they are measured
on the real pipeline: one video is ingested into a throw-away home, the process's CPU time is
read from the kernel (all threads), and the sizes are read from the SQLite pages (`dbstat`), the
vector files and the evidence folder. Scaling to an hour assumes the video's crowd density.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from epitrace.config import Settings
from epitrace.evaluation.throwaway import cpu_seconds, throwaway_pipeline

ROW_TABLES = ("tracks", "track_points", "track_vectors", "thumbnails")


def folder_bytes(folder: Path) -> tuple[int, int]:
    """(bytes, files) of every file under `folder` (0, 0 when it does not exist)."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []
    return sum(p.stat().st_size for p in files), len(files)


def sqlite_footprint(db_file: Path) -> dict[str, Any]:
    """Rows per table and bytes per table (its indices included) from SQLite's page statistics."""
    with sqlite3.connect(db_file) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ROW_TABLES}  # noqa: S608
        owner = dict(con.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        pages: dict[str, int] = {}
        for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            pages[table] = pages.get(table, 0) + int(size)
    return {"rows": rows, "bytes": {t: pages.get(t, 0) for t in ROW_TABLES},
            "file_bytes": db_file.stat().st_size}


def measure_footprint(settings: Settings, video: Path, fps: float, analysed_fps: float | None = None) -> dict[str, Any]:
    """Ingest `video` once into a throw-away home; CPU, stage wall times, rows and bytes, per hour too."""
    if analysed_fps is not None:
        settings = settings.model_copy(update={"ingest": settings.ingest.model_copy(
            update={"analysed_fps": analysed_fps})})
    with throwaway_pipeline(settings, "epitrace-footprint-", {"id": "bench", "fps": fps}) as run:
        load_cpu = run.open_cpu_seconds  # the store opened and the models loaded, nothing else
        cpu, wall = cpu_seconds(), time.perf_counter()
        result = run.ingest(video, fps=fps)
        cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
        run.store.db.dispose()  # the database files complete before they are measured
        sql = sqlite_footprint(run.home / "epitrace.db")
        vector_bytes, vector_files = folder_bytes(run.settings.vectors_dir)
        evidence_bytes, evidence_files = folder_bytes(run.settings.evidence_dir)
    hour = 3600.0 / result.video_seconds
    stage_wall = sum(result.stages.values()) or 1.0
    stored = {"sql_bytes": sql["file_bytes"], "vector_index_bytes": vector_bytes, "evidence_bytes": evidence_bytes}
    return {
        "video": str(video), "video_seconds": round(result.video_seconds, 2), "fps": fps,
        "analysed_fps": settings.ingest.analysed_fps, "frames_decoded": result.frames_decoded,
        "frames_analysed": result.frames_analysed, "threads": settings.ingest.threads,
        "model_load_cpu_seconds": round(load_cpu, 2), "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 2), "stages_wall_seconds": result.stages,
        # The pipeline times stages by wall clock; CPU is split in the same shares (an estimate).
        "stages_cpu_seconds_estimated": {k: round(cpu * v / stage_wall, 2) for k, v in result.stages.items()},
        "sightings": result.tracks_added, "sql": sql, "vector_files": vector_files,
        "evidence_files": evidence_files, **stored,
        "per_camera_hour": {
            "cpu_seconds": round(cpu * hour, 1),
            "sightings": round(result.tracks_added * hour, 1),
            "track_points": round(sql["rows"]["track_points"] * hour, 1),
            **{k: round(v * hour) for k, v in stored.items()},
            **{f"sql_{t}_bytes": round(b * hour) for t, b in sql["bytes"].items()},
        },
    }


def project(per_hour: dict[str, float], *, cameras: int, retention_days: int, node_cores: int,
            utilisation: float = 0.7) -> dict[str, float]:
    """City-scale arithmetic from per-camera-hour figures (every input is stated in the output)."""
    cores = cameras * per_hour["cpu_seconds"] / 3600.0
    day = {k: cameras * 24 * per_hour[k] for k in ("sql_bytes", "vector_index_bytes", "evidence_bytes")}
    per_day_tb = sum(day.values()) / 1e12
    return {
        "cameras": cameras, "node_cores": node_cores, "utilisation": utilisation,
        "cores_busy": round(cores, 1), "nodes": int(-(-cores // (node_cores * utilisation))),
        "sightings_per_day": round(cameras * 24 * per_hour["sightings"]),
        "sightings_in_retention": round(cameras * 24 * retention_days * per_hour["sightings"]),
        **{f"{k.removesuffix('_bytes')}_tb_per_day": round(v / 1e12, 4) for k, v in day.items()},
        "tb_per_day": round(per_day_tb, 4), "retention_days": retention_days,
        "tb_in_retention": round(per_day_tb * retention_days, 1),
    }
