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
    from epitrace.config import Settings
    from epitrace.store import Store

DEMO_CAMERA = "pets-view001"


def demo_start() -> datetime:
    """Yesterday 09:00 UTC. The footage was filmed in 2009, far past any retention period: stamped
    with its real date, the automatic purge of `epitrace serve` would delete the demo at once."""
    from datetime import UTC

    day = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    return day - timedelta(days=1)

DEMO_CASE_TITLE = "PETS 2009 demo"


def demo_cameras_yaml() -> Path:
    return Path(str(files("epitrace.cli").joinpath("demo_cameras.yaml")))


def demo(video: Path = typer.Option(..., "--video", help="PETS 2009 vtest.avi.")) -> None:
    """Run the main job on the demo footage with embedded defaults (SQLite + FAISS)."""
    from epitrace.ingest import load_cameras_yaml, register_camera
    from epitrace.store import open_store

    settings = get_settings()
    with friendly_errors():
        store = open_store(settings)
        _ = store.sealer  # no encryption key: say so before minutes of decoding
        for cfg in load_cameras_yaml(demo_cameras_yaml()):
            register_camera(store, cfg)
        run_with_progress(Ingestor(settings), IngestRequest(str(video), DEMO_CAMERA, demo_start()))
        store.reload_indices()  # the ingest wrote through its own store
    summary = store.summary(DEMO_CAMERA)
    console.print(f"[bold]EpiTrace demo[/] ({settings.home})")
    console.print(f"  camera {DEMO_CAMERA}: {summary['tracks']} people tracked, "
                  f"{summary['with_ground']} with ground positions")
    if summary["tracks"]:
        console.print(f"  time span {summary['start']} -> {summary['end']} UTC")
    console.print(f"  faces found: {summary['faces']}; masks: {summary['mask']} with, "
                  f"{summary['no_mask']} without, {summary['unknown']} unknown")
    with friendly_errors():
        trace_demo_pedestrian(store, settings)


def trace_demo_pedestrian(store: Store, settings: Settings) -> None:
    """Open (or reuse) the demo case, enrol the longest-seen pedestrian by a picked sighting
    (no face consent), confirm the sightings the search finds above threshold, list contacts
    and write the report."""
    from epitrace.config import get_policy
    from epitrace.contacts import find_contacts
    from epitrace.reports import gather, write_report
    from epitrace.store.cases import find_cases
    from epitrace.store.ingest_repo import longest_track_id
    from epitrace.tracing import add_subject, confirm, enrol_track, new_case, search_subject

    picked = longest_track_id(store, camera_id=DEMO_CAMERA)
    if picked is None:
        console.print("no sighting to trace")
        return
    case = next((c for c in find_cases(store, text=DEMO_CASE_TITLE) if c.title == DEMO_CASE_TITLE), None)
    if case is None:
        case = new_case(store, legal_basis="Demonstration on PETS 2009 research footage (no real patient)",
                        onset=demo_start() + timedelta(days=1),
                        isolation=demo_start() + timedelta(days=2), cameras=[DEMO_CAMERA],
                        title=DEMO_CASE_TITLE, user="demo")
        subject = add_subject(store, case_id=case.id, label="pedestrian-1", face_consent=False)
        enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=picked)
        confirm(store, case_id=case.id, subject_id=subject.id, track_id=picked, user="demo")
        for c in search_subject(store, case_id=case.id, subject_id=subject.id, config=settings.tracing):
            if c.match and c.decision is None:  # a real investigator reviews these one by one
                confirm(store, case_id=case.id, subject_id=subject.id, track_id=c.track_id, user="demo",
                        score=c.score)
    subject_id = store_subject(store, case.id)
    policy = get_policy("cdc")
    from epitrace.store.cases import decisions

    confirmed = [t for t, d in decisions(store, subject_id=subject_id).items() if d == "confirmed"]
    contacts = find_contacts(store, confirmed, policy)
    people = {c.person_id for c in contacts}
    console.print(f"[bold]demo case {case.id}[/]: pedestrian traced by silhouette and clothing only "
                  f"(no face consent): {len(confirmed)} confirmed sighting(s); {len(people)} contact(s) "
                  f"within {policy.distance_m} m")
    html, pdf = write_report(gather(store, case_id=case.id, policy=policy), settings.home / "reports")
    from epitrace.cli.common import audit

    audit(store, "export", case.id, user="demo", what="report", files=[str(html), str(pdf)])
    console.print(f"report: {html}\n        {pdf}")
    console.print(f"next: epitrace login demo, then epitrace case trace {case.id}  |  "
                  f"epitrace case contacts {case.id}")
    print_web_login(store, case.id)


DEMO_USER = "demo"
DEMO_ADMIN = "demo-admin"
DEMO_URL = "http://127.0.0.1:8000/"


def print_web_login(store: Store, case_id: str) -> None:
    """Make the demo case visible in the web app: a `demo` investigator assigned to it (and a
    `demo-admin` when the store has no account yet, since the first account must be an admin).
    New passwords are printed once; then the command and URL to open."""
    import secrets

    from epitrace.privacy.users import add_user, assign, list_users

    existing = {u.name for u in list_users(store)}
    created = []
    for name, role in ((DEMO_ADMIN, "admin"), (DEMO_USER, "investigator")):
        if name in existing or (role == "admin" and existing):
            continue
        password = secrets.token_urlsafe(12)
        add_user(store, name=name, password=password, role=role, by="demo")
        created.append((name, role, password))
    assign(store, user=DEMO_USER, case_id=case_id, by="demo")
    console.print("[bold]web app[/]: run [bold]epitrace serve[/] (or `.venv/bin/epitrace serve`), then open "
                  f"[bold]{DEMO_URL}[/]")
    for name, role, password in created:
        console.print(f"  log in as [bold]{name}[/] / [bold]{password}[/] ({role}; shown only now)")
    if not any(name == DEMO_USER for name, _, _ in created):
        console.print(f"  log in as [bold]{DEMO_USER}[/] (its password was shown when the demo first ran)")
    console.print(f"  the case {case_id} is on the case list of {DEMO_USER}")


def store_subject(store: Store, case_id: str) -> int:
    """The id of the demo case's (only) subject."""
    from epitrace.store.cases import get_case

    return get_case(store, case_id=case_id).subjects[0].id
