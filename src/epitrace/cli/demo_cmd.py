"""`epitrace demo`: register the PETS camera, ingest the footage and summarise what was found."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from pathlib import Path

import typer

from epitrace.cli.common import console, friendly_errors
from epitrace.cli.ingest_cmd import report, run_ingest
from epitrace.config import get_settings

DEMO_CAMERA = "pets-view001"
DEMO_START = "2009-03-01T09:00:00+00:00"


def demo_cameras_yaml() -> Path:
    return Path(str(files("epitrace.cli").joinpath("demo_cameras.yaml")))


def demo(video: Path = typer.Option(..., "--video", help="PETS 2009 vtest.avi.")) -> None:
    """Run the main job on the demo footage with embedded defaults (SQLite + FAISS)."""
    from epitrace.ingest import load_cameras_yaml, register_camera
    from epitrace.ingest.service import open_pipeline

    settings = get_settings()
    with friendly_errors():
        store, pipeline = open_pipeline(settings)
        for cfg in load_cameras_yaml(demo_cameras_yaml()):
            register_camera(store, cfg)
        result = run_ingest(store, pipeline, video, DEMO_CAMERA, datetime.fromisoformat(DEMO_START), None)
    report(result, video)
    summary = store.summary(DEMO_CAMERA)
    console.print(f"[bold]EpiTrace demo[/] ({settings.home})")
    console.print(f"  camera {DEMO_CAMERA}: {summary['tracks']} people tracked, "
                  f"{summary['with_ground']} with ground positions")
    if summary["tracks"]:
        console.print(f"  time span {summary['start']} -> {summary['end']} UTC")
    console.print(f"  faces found: {summary['faces']}; masks: {summary['mask']} with, "
                  f"{summary['no_mask']} without, {summary['unknown']} unknown")
