"""`epitrace case new | list | enrol | trace | confirm | reject | route` (contacts, report: see below)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.table import Table

from epitrace.cli.auth import case_user, current_user
from epitrace.cli.common import audit, console, friendly_errors
from epitrace.cli.ingest_cmd import parse_start
from epitrace.config import get_settings
from epitrace.store import open_store

app = typer.Typer(help="Cases: open, enrol subjects, trace, confirm, list contacts, report.",
                  no_args_is_help=True)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("new")
def new(
    legal_basis: str = typer.Option(..., "--legal-basis", help="Legal basis of the investigation."),
    onset: str = typer.Option(..., "--onset", help="Symptom onset or test time, ISO 8601 with zone."),
    isolation: str = typer.Option(None, "--isolation", help="Isolation time (default: now)."),
    cameras: str = typer.Option(None, "--cameras", help="Comma-separated camera scope (default: all)."),
    title: str = typer.Option("", "--title", help="Short title."),
) -> None:
    """Open a case; its window runs from 2 days before onset to isolation."""
    from epitrace.privacy.users import assign
    from epitrace.tracing import new_case

    with friendly_errors():
        store = open_store()
        user = current_user(store, "admin", "investigator")
        case = new_case(store, legal_basis=legal_basis, onset=parse_start(onset),
                        isolation=parse_start(isolation) if isolation else None,
                        cameras=[c.strip() for c in cameras.split(",")] if cameras else None, title=title)
        if user.role == "investigator":  # whoever opens a case works on it
            assign(store, user=user.name, case_id=case.id, by=user.name)
        audit(store, "case_new", case.id, user=user.name, cameras=case.camera_scope)
    console.print(f"case [bold]{case.id}[/] opened: window {_when(case.window_start_ts)} -> "
                  f"{_when(case.window_end_ts)} UTC")


@app.command("list")
def list_cases() -> None:
    """The cases you may open (an administrator sees all), with their windows."""
    from epitrace.privacy.users import assigned_cases
    from epitrace.store.cases import find_cases

    with friendly_errors():
        store = open_store()
        user = current_user(store, "admin", "investigator")
        mine = None if user.role == "admin" else set(assigned_cases(store, user=user))
    table = Table("case", "title", "status", "window (UTC)", "legal basis")
    for c in find_cases(store):
        if mine is not None and c.id not in mine:
            continue
        table.add_row(c.id, c.title, c.status, f"{_when(c.window_start_ts)} -> {_when(c.window_end_ts)}",
                      c.legal_basis)
    console.print(table)


def _subject_id(store, case_id: str, label: str, consent: bool | None) -> int:  # type: ignore[no-untyped-def]
    from epitrace.store.cases import get_case
    from epitrace.tracing import add_subject

    for subject in get_case(store, case_id=case_id).subjects:
        if subject.label == label or str(subject.id) == label:
            return subject.id
    return add_subject(store, case_id=case_id, label=label, face_consent=bool(consent)).id


@app.command("enrol")
def enrol(
    case_id: str = typer.Argument(..., help="Case id."),
    subject: str = typer.Option(..., "--subject", help="Subject label (created if new) or id."),
    consent: bool = typer.Option(None, "--consent/--no-consent", help="Face-matching consent (new subjects)."),
    photo: list[Path] = typer.Option(None, "--photo", help="Face photo(s); needs consent."),
    face: int = typer.Option(None, "--face", help="Which face (0 = leftmost) when a photo shows several."),
    sighting: int = typer.Option(None, "--sighting", help="A picked sighting (track id) of the subject."),
) -> None:
    """Enrol a subject by face photo (consent) or by a picked sighting (no face data)."""
    from epitrace.tracing import enrol_photo, enrol_track
    from epitrace.tracing.case_faces import photo_embedder

    settings = get_settings()
    with friendly_errors():
        if not photo and sighting is None:
            raise ValueError("give --photo (with consent) or --sighting")
        store = open_store(settings)
        user = case_user(store, case_id)
        sid = _subject_id(store, case_id, subject, consent)
        if photo:
            embed = photo_embedder(settings.models_dir, face)
            for p in photo:
                enrol_photo(store, case_id=case_id, subject_id=sid, image_bgr=_read_image(p), embed_face=embed)
        if sighting is not None:
            enrol_track(store, case_id=case_id, subject_id=sid, track_id=sighting)
        audit(store, "enrol", case_id, user=user.name, subject=sid, photos=len(photo or []), sighting=sighting)
    console.print(f"subject {sid} of {case_id} enrolled")


def _read_image(path: Path):  # type: ignore[no-untyped-def]
    import cv2

    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    return image


@app.command("trace")
def trace(
    case_id: str = typer.Argument(..., help="Case id."),
    top: int = typer.Option(10, "--top", help="Candidates shown per subject."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search every subject of the case at once; ranked candidates with scores."""
    from epitrace.tracing import trace_case
    from epitrace.tracing.case_faces import lazy_face_embed

    settings = get_settings()
    with friendly_errors():
        store = open_store(settings)
        user = case_user(store, case_id)
        results = trace_case(store, case_id=case_id, config=settings.tracing,
                             face_embed=lazy_face_embed(settings.models_dir))
        audit(store, "search", case_id, user=user.name, subjects=sorted(results))
    if as_json:
        typer.echo(json.dumps({str(k): [c.__dict__ for c in v[:top]] for k, v in results.items()}))
        return
    for subject_id, candidates in results.items():
        matches = [c for c in candidates if c.match]
        console.print(f"[bold]subject {subject_id}[/]: {len(matches)} match(es) above threshold"
                      + ("" if matches else " (unknown: nobody in scope looks like them)"))
        table = Table("sighting", "camera", "from (UTC)", "to", "body", "face", "score", "match", "decision")
        for c in candidates[:top]:
            table.add_row(str(c.track_id), c.camera_id, _when(c.start_ts), _when(c.end_ts)[11:],
                          "" if c.body_score is None else f"{c.body_score:.3f}",
                          "" if c.face_score is None else f"{c.face_score:.3f}", f"{c.score:.2f}",
                          "yes" if c.match else "", c.decision or "")
        console.print(table)


def _decide(case_id: str, subject: int, sightings: list[int], confirm: bool) -> None:
    from epitrace.tracing import confirm as do_confirm
    from epitrace.tracing import reject as do_reject

    with friendly_errors():
        store = open_store()
        user = case_user(store, case_id)
        for track_id in sightings:
            (do_confirm if confirm else do_reject)(store, case_id=case_id, subject_id=subject, track_id=track_id,
                                                   user=user.name)
        audit(store, "confirm" if confirm else "reject", case_id, user=user.name, subject=subject,
              sightings=sightings)
    console.print(f"{len(sightings)} sighting(s) {'confirmed' if confirm else 'rejected'} for subject {subject}")


@app.command("confirm")
def confirm(case_id: str, subject: int = typer.Option(..., "--subject"),
            sightings: list[int] = typer.Argument(..., help="Sighting (track) ids.")) -> None:
    """Confirm sightings as the subject (they refine the next search)."""
    _decide(case_id, subject, sightings, True)


@app.command("reject")
def reject(case_id: str, subject: int = typer.Option(..., "--subject"),
           sightings: list[int] = typer.Argument(..., help="Sighting (track) ids.")) -> None:
    """Reject sightings (never proposed again for this subject)."""
    _decide(case_id, subject, sightings, False)


@app.command("route")
def route(case_id: str, subject: int = typer.Option(..., "--subject")) -> None:
    """The subject's timeline across cameras (confirmed sightings)."""
    from epitrace.store.cases import get_subject
    from epitrace.tracing import trajectory

    with friendly_errors():
        store = open_store()
        user = case_user(store, case_id)
        get_subject(store, case_id=case_id, subject_id=subject)
        visits = trajectory(store, subject_id=subject)
        audit(store, "view", case_id, user=user.name, what="route", subject=subject)
    table = Table("camera", "place", "entry (UTC)", "exit", "sightings")
    for v in visits:
        table.add_row(v.camera_name, v.place, _when(v.entry_ts), _when(v.exit_ts)[11:],
                      ", ".join(map(str, v.track_ids)))
    console.print(table)
