"""`epitrace case new | list | enrol | trace | confirm | reject | route | unmask`.

Each command parses, calls one use case of `epitrace.app` and formats what comes back: the rules
(role, case scope, consent, audit) are the application layer's, the same as the API's.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import typer
from rich.markup import escape
from rich.table import Column

from epitrace import app as core
from epitrace.app.subject_search import Decision
from epitrace.cli.auth import acting, case_session, services
from epitrace.cli.common import PlainTable, console, friendly_errors
from epitrace.cli.ingest_cmd import parse_start
from epitrace.cli.timefmt import camera_zones, clock, local

app = typer.Typer(help="Cases: open, enrol subjects, trace, confirm, list contacts, report.",
                  no_args_is_help=True)


@app.command("new")
def new(
    legal_basis: str = typer.Option(..., "--legal-basis", help="Legal basis of the investigation."),
    onset: str = typer.Option(..., "--onset", help="Symptom onset or test time, ISO 8601 with zone."),
    isolation: str = typer.Option(None, "--isolation", help="Isolation time (default: now)."),
    cameras: str = typer.Option(..., "--cameras", help="Comma-separated camera ids the case may search, or "
                                "'all' (said explicitly: the approver sees it)."),
    title: str = typer.Option("", "--title", help="Short title."),
) -> None:
    """Open a case.

    Its window runs from 2 days before onset to isolation. It waits for a supervisor's approval before
    anything can be searched.
    """
    with friendly_errors():
        svc = services()
        scope: list[str] | Literal["all"] = "all" if cameras.strip() == core.ALL_CAMERAS else [
            c.strip() for c in cameras.split(",") if c.strip()]
        request = core.CaseRequest(legal_basis=legal_basis, onset=parse_start(onset, "--onset"),
                                   isolation=parse_start(isolation, "--isolation") if isolation else None,
                                   cameras=scope, title=title)
        session = core.create_case(svc, acting(svc), request)
    console.print(f"case [bold]{session.id}[/] opened: window {local(session.scope.start_ts)} -> "
                  f"{local(session.scope.end_ts)}; pending: a supervisor must approve it "
                  f"(epitrace case approve {session.id})")


@app.command("approve")
def approve(case_id: str = typer.Argument(..., help="Case id.")) -> None:
    """Approve a pending case (supervisors and admins, not its creator): it becomes searchable."""
    with friendly_errors():
        svc = services()
        case = core.approve_case(svc, acting(svc), case_id)
    scope = ", ".join(case.camera_scope) if case.camera_scope else "ALL cameras"
    console.print(f"case [bold]{case.id}[/] approved: {escape(case.legal_basis)}; "
                  f"window {local(case.window_start_ts)} -> {local(case.window_end_ts)}; cameras: {scope}")


@app.command("close")
def close(case_id: str = typer.Argument(..., help="Case id."),
          outcome: str = typer.Option(..., "--outcome", help="Why it is closed, e.g. 'traced; contacts notified'.")
          ) -> None:
    """Close a case: nothing more is searched; its data go when its retention passes."""
    with friendly_errors():
        core.close_case(case_session(case_id), outcome=outcome)
    console.print(f"case [bold]{case_id}[/] closed")


@app.command("list")
def list_cases() -> None:
    """The cases you may see (administrators and supervisors all), with status, window and scope."""
    with friendly_errors():
        svc = services()
        cases = core.visible_cases(svc, acting(svc, *core.STAFF, *core.APPROVERS))
    table = PlainTable(Column("case", no_wrap=True), "title", "status", "window", "cameras", "legal basis", "opened by")
    for c in cases:
        table.add_row(c.id, c.title, c.status, f"{local(c.window_start_ts)} -> {local(c.window_end_ts)}",
                      ", ".join(c.camera_scope) if c.camera_scope else "ALL cameras", c.legal_basis, c.created_by)
    console.print(table)


@app.command("enrol")
def enrol(
    case_id: str = typer.Argument(..., help="Case id."),
    subject: str = typer.Option(..., "--subject", help="Subject label (created if new) or id."),
    consent: bool = typer.Option(None, "--consent/--no-consent", help="Face-matching consent (new subjects)."),
    photo: list[Path] = typer.Option(None, "--photo", help="Face photo(s); needs consent."),
    face: int = typer.Option(None, "--face", help="Which face (0 = leftmost) when a photo shows several."),
    sighting: int = typer.Option(None, "--sighting", help="A picked sighting (track id) of the subject; "
                                 "it is also confirmed as theirs."),
) -> None:
    """Enrol a subject by face photo (consent) or by a picked sighting (no face data)."""
    with friendly_errors():
        if not photo and sighting is None:
            raise ValueError("give --photo (with consent) or --sighting")
        session, sid = core.subject_for(case_session(case_id), label=subject, face_consent=consent)
        if photo:
            images = [core.decode_photo(_read(p)) for p in photo]
            session = core.enrol_by_photo(session, subject_id=sid, images_bgr=images, face_index=face)
        if sighting is not None:
            core.enrol_by_sighting(session, subject_id=sid, track_id=sighting)
    console.print(f"subject {sid} of {case_id} enrolled")


@app.command("withdraw-consent")
def withdraw_consent(
    case_id: str = typer.Argument(..., help="Case id."),
    subject: int = typer.Option(..., "--subject", help="Subject id (`epitrace case` tables show it)."),
) -> None:
    """The subject withdrew face-matching consent: their face vectors are deleted, tracing goes on by silhouette."""
    with friendly_errors():
        _, deleted = core.withdraw_face_consent(case_session(case_id), subject_id=subject)
    console.print(f"subject {subject} of {case_id}: face consent withdrawn, {deleted} face vector(s) deleted; "
                  "from now on they are traced by silhouette and clothing only")


def _read(path: Path) -> bytes:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such photo")
    return path.read_bytes()


@app.command("trace")
def trace(
    case_id: str = typer.Argument(..., help="Case id."),
    top: int = typer.Option(10, "--top", help="Candidates shown per subject."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search every subject of the case at once; ranked candidates with scores."""
    with friendly_errors():
        session = case_session(case_id)
        results = core.search(session)
        zones = camera_zones(session.services)
    if as_json:
        typer.echo(json.dumps({str(r.subject_id): [_plain(c) for c in r.candidates[:top]] for r in results}))
        return
    for r in results:
        matches = [c for c in r.candidates if c.match]
        note = "" if r.enrolled else " (not enrolled yet)"
        console.print(f"[bold]subject {r.subject_id}[/] ({escape(r.label)}): {len(matches)} match(es) above threshold"
                      + (note or ("" if matches else " (unknown: nobody in scope looks like them)")))
        table = PlainTable("sighting", "camera", "from", "to", "body", "face", "score", "match", "decision",
                           "looks like", "face says")
        for c in r.candidates[:top]:
            verdict = "yes" if c.match else ("possible" if c.face_band == "review" else "")
            zone = zones.get(c.camera_id)
            table.add_row(str(c.track_id), c.camera_id, local(c.start_ts, zone), clock(c.end_ts, zone),
                          "" if c.body_score is None else f"{c.body_score:.3f}",
                          "" if c.face_score is None else f"{c.face_score:.3f}", f"{c.score:.2f}",
                          verdict, c.decision or "", str(c.explanation or ""), str(c.face_reason or ""))
        console.print(table)


def _plain(candidate: Any) -> dict[str, Any]:
    """A candidate dataclass as JSON values, its reasons and explanation as English text."""
    out = asdict(candidate)
    for name in ("explanation", "face_reason"):
        if name in out:
            value = getattr(candidate, name)
            out[name] = None if value is None else str(value)
    return out


@app.command("describe")
def describe(
    case_id: str = typer.Argument(..., help="Case id."),
    upper: str | None = typer.Option(None, "--upper", help="Upper-body colour (black, white, grey, red, ...)."),
    lower: str | None = typer.Option(None, "--lower", help="Lower-body colour."),
    height: float | None = typer.Option(None, "--height", help="Height in metres."),
    tolerance: float = typer.Option(0.10, "--tolerance", help="Height tolerance in metres."),
    cameras: list[str] | None = typer.Option(None, "--camera", help="Only these cameras of the case."),
    start: str | None = typer.Option(None, "--from", help="ISO 8601 time with a zone."),
    end: str | None = typer.Option(None, "--to", help="ISO 8601 time with a zone."),
    top: int = typer.Option(20, "--top", help="Candidates shown."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Search the case's footage by clothing colours and height, for a patient with no photo."""
    from epitrace.app.describe import describe as describe_case
    from epitrace.tracing.describe import Description

    with friendly_errors():
        session = case_session(case_id)  # access first: a refusal says nothing about the rest
        d = Description(upper=upper, lower=lower, height_m=height, tolerance_m=tolerance,
                        start_ts=None if start is None else parse_start(start, "--from").timestamp(),
                        end_ts=None if end is None else parse_start(end, "--to").timestamp(),
                        cameras=tuple(cameras) if cameras else None)
        found = describe_case(session, d, limit=top)
    if as_json:
        typer.echo(json.dumps([_plain(c) for c in found]))
        return
    table = PlainTable("sighting", "camera", "from", "to", "score", "matched", "looks like")
    zones = camera_zones(session.services)
    for c in found:
        zone = zones.get(c.camera_id)
        table.add_row(str(c.track_id), c.camera_id, local(c.start_ts, zone), clock(c.end_ts, zone), f"{c.score:.2f}",
                      ", ".join(c.matched), str(c.explanation))
    console.print(table if found else "no sighting in the case's scope has attributes like these")


def _decide(case_id: str, subject: int, sightings: list[int], decision: Decision) -> None:
    with friendly_errors():
        ids = core.decide(case_session(case_id), subject_id=subject, track_ids=sightings, decision=decision)
    console.print(f"{len(ids)} sighting(s) {decision} for subject {subject}")


@app.command("confirm")
def confirm(case_id: str, subject: int = typer.Option(..., "--subject"),
            sightings: list[int] = typer.Argument(..., help="Sighting (track) ids.")) -> None:
    """Confirm sightings as the subject (they refine the next search)."""
    _decide(case_id, subject, sightings, "confirmed")


@app.command("reject")
def reject(case_id: str, subject: int = typer.Option(..., "--subject"),
           sightings: list[int] = typer.Argument(..., help="Sighting (track) ids.")) -> None:
    """Reject sightings (never proposed again for this subject)."""
    _decide(case_id, subject, sightings, "rejected")


@app.command("route")
def route(case_id: str, subject: int = typer.Option(..., "--subject")) -> None:
    """The subject's timeline across cameras (confirmed sightings), in each camera's local time."""
    with friendly_errors():
        session = case_session(case_id)
        visits = core.route(session, subject_id=subject)
        zones = camera_zones(session.services)
    table = PlainTable("camera", "place", "entry", "exit", "sightings")
    for v in visits:
        zone = zones.get(v.camera_id)
        table.add_row(v.camera_name, v.place, local(v.entry_ts, zone), clock(v.exit_ts, zone),
                      ", ".join(map(str, v.track_ids)))
    console.print(table)


@app.command("unmask")
def unmask(case_id: str = typer.Argument(..., help="Case id."),
           sighting: int = typer.Argument(None, help="A contact's sighting (track) id."),
           subject: int = typer.Option(None, "--subject", help="Instead: every confirmed sighting of this subject."),
           reason: str = typer.Option(..., "--reason", help="Why this person must be seen (audited).")) -> None:
    """See one person unredacted, for you alone, in thumbnails and the clips you export.

    A contact's sighting, or a subject's confirmed sightings. Confirming a sighting never does this.
    """
    with friendly_errors():
        session = case_session(case_id)  # access first: a refusal says nothing about the rest
        if (sighting is None) == (subject is None):
            raise ValueError("give a contact's SIGHTING or --subject N (one of them)")
        if subject is not None:
            ids = core.unmask_subject(session, subject_id=subject, reason=reason)
            console.print(f"{len(ids)} confirmed sighting(s) of subject {subject} unmasked for you in {case_id}")
            return
        core.unmask(session, track_id=sighting, reason=reason)
    console.print(f"sighting {sighting} unmasked for you in {case_id}")
