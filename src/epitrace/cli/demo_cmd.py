"""`epitrace demo`: register the PETS camera, ingest the footage and summarise what was found."""

from __future__ import annotations

from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from epitrace.app.ingest import Ingestor, IngestRequest
from epitrace.cli.common import console, friendly_errors
from epitrace.cli.ingest_cmd import run_with_progress
from epitrace.config import get_settings

if TYPE_CHECKING:
    from epitrace.app import Services
    from epitrace.privacy.users import User

DEMO_CAMERA = "pets-view001"


def demo_start() -> datetime:
    """Yesterday 09:00 UTC.

    The footage was filmed in 2009, far past any retention period: stamped with its real date, the
    automatic purge of `epitrace serve` would delete the demo at once.
    """
    from datetime import UTC

    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return day - timedelta(days=1)

DEMO_CASE_TITLE = "PETS 2009 demo"


def demo_cameras_yaml() -> Path:
    """The packaged cameras.yaml of the demo (PETS View 001 with its calibration)."""
    return Path(str(files("epitrace.cli").joinpath("demo_cameras.yaml")))


def demo(video: Path = typer.Option(..., "--video", help="PETS 2009 vtest.avi.")) -> None:
    """Run the main job on the demo footage with embedded defaults (SQLite + FAISS)."""
    from epitrace.app import Services
    from epitrace.app.demo import demo_actor, trace_demo

    with friendly_errors():
        services = Services.open(get_settings())
        _ = services.store.sealer  # no encryption key: say so before minutes of decoding
        user = _logged_in(services)
        actor = demo_actor(services, user)  # a home with real accounts: administrators only, before any write
        register_demo_cameras(services, actor=actor)
        run_with_progress(Ingestor(services.settings),
                          IngestRequest(str(video), DEMO_CAMERA, demo_start(), actor=actor))
        services.store.reload_indices()  # the ingest wrote through its own store
    summary = services.store.summary(DEMO_CAMERA)
    console.print(f"[bold]EpiTrace demo[/] ({services.settings.home})")
    console.print(f"  camera {DEMO_CAMERA}: {summary['tracks']} people tracked, "
                  f"{summary['with_ground']} with ground positions")
    if summary["tracks"]:
        camera = services.store.get_camera(DEMO_CAMERA)
        console.print(f"  time span {span_words(str(summary['start']), str(summary['end']), camera.timezone)}")
    small = f" (and {summary['small_faces']} too small to compare)" if summary.get("small_faces") else ""
    console.print(f"  faces found: {summary['faces']}{small}; masks: {summary['mask']} with, "
                  f"{summary['no_mask']} without, {summary['unknown']} unknown")
    with friendly_errors():
        outcome = trace_demo(services, user=user, camera_id=DEMO_CAMERA, title=DEMO_CASE_TITLE, start=demo_start(),
                             report_dir=services.settings.home / "reports")
    if outcome is None:
        console.print("no sighting to trace")
        return
    console.print(f"[bold]demo case {outcome.case_id}[/] (opened by demo, approved by demo-supervisor): pedestrian "
                  f"traced by silhouette and clothing only (no face consent): {outcome.confirmed} confirmed "
                  f"sighting(s); {outcome.contact_people} contact(s) within {outcome.distance_m} m")
    html, pdf = outcome.report
    console.print(f"report: {html}\n        {pdf}")
    console.print(f"next: epitrace login demo, then epitrace case trace {outcome.case_id}  |  "
                  f"epitrace case contacts {outcome.case_id}  |  epitrace audit show --case {outcome.case_id} "
                  "(as an auditor or admin)")
    console.print("[bold]web app[/]: run [bold]epitrace serve[/] (or `.venv/bin/epitrace serve`), then open "
                  f"[bold]{DEMO_URL}[/]")
    for name, role, password in outcome.new_accounts:
        console.print(f"  log in as [bold]{name}[/] / [bold]{password}[/] ({role}; shown only now)")
    if not any(name == "demo" for name, _, _ in outcome.new_accounts):
        console.print("  log in as [bold]demo[/] (its password was shown when the demo first ran)")
    console.print(f"  the case {outcome.case_id} is on the case list of demo")


def _logged_in(services: Services) -> User | None:
    """The logged-in user, or None (the demo may run without a login in a throw-away home)."""
    from epitrace.cli.auth import acting
    from epitrace.privacy.users import AuthError

    try:
        return acting(services)
    except AuthError:
        return None


def span_words(start_utc: str, end_utc: str, zone: str | None) -> str:
    """'2026-12-05 09:00:00 GMT -> 09:01:53 GMT': the store's UTC span in the camera's own clock."""
    from datetime import UTC

    from epitrace.cli.timefmt import clock, local

    start, end = (datetime.fromisoformat(t).replace(tzinfo=UTC).timestamp() for t in (start_utc, end_utc))
    same_day = local(start, zone)[:10] == local(end, zone)[:10]
    return f"{local(start, zone)} -> {clock(end, zone) if same_day else local(end, zone)}"


def register_demo_cameras(services: Services, *, actor: str) -> None:
    """The demo's cameras (PETS View 001 with its Tsai calibration), as an administrator would add them (audited)."""
    from epitrace.app.ingest_cameras import add_camera
    from epitrace.ingest import load_cameras_yaml

    for cfg in load_cameras_yaml(demo_cameras_yaml()):
        add_camera(services.settings, services.store, cfg, actor=actor)


DEMO_URL = "http://127.0.0.1:8000/"
