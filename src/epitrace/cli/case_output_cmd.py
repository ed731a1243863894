"""`epitrace case contacts | report`: what a case produces (registered on the case app)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from epitrace.cli.auth import case_user
from epitrace.cli.case_cmd import app
from epitrace.cli.common import audit, console, friendly_errors
from epitrace.config import get_policy
from epitrace.store import open_store


def _policy(name: str, distance: float | None, minutes: float | None):  # type: ignore[no-untyped-def]
    return get_policy(name, distance=distance, minutes=minutes)


@app.command("contacts")
def contacts(
    case_id: str = typer.Argument(..., help="Case id."),
    policy: str = typer.Option("cdc", "--policy", help="cdc (1.83 m, 15 min), who (1 m, 15 min) or custom."),
    distance: float = typer.Option(None, "--distance", help="Custom distance, metres."),
    minutes: float = typer.Option(None, "--minutes", help="Custom cumulative minutes."),
    second_order: bool = typer.Option(False, "--second-order", help="Also contacts of contacts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Everyone near each subject's confirmed sightings: exposure, masks, risk."""
    from epitrace.contacts.cases import case_contacts
    from epitrace.store.cases import get_case

    with friendly_errors():
        rule = _policy(policy, distance, minutes)
        store = open_store()
        user = case_user(store, case_id)
        case = get_case(store, case_id=case_id)
        rows = [(subject.label, order, c) for subject, order, c
                in case_contacts(store, case=case, policy=rule, second_order=second_order)]
        audit(store, "view", case_id, user=user.name, what="contacts", policy=rule.name, second_order=second_order)
    if as_json:
        typer.echo(json.dumps([{"subject": s, "order": o, "camera": c.camera_id, "track": c.contact_track_id,
                                "person": c.person_id, "exposure_s": c.exposure_s,
                                "person_exposure_s": c.person_exposure_s, "min_distance_m": c.min_distance_m,
                                "calibrated": c.calibrated, "subject_mask": c.subject_mask.state,
                                "contact_mask": c.contact_mask.state, "risk": c.risk} for s, o, c in rows]))
        return
    table = Table("subject", "order", "person", "camera", "sighting", "exposure", "closest", "masks", "risk")
    for s, o, c in sorted(rows, key=lambda r: (r[0], r[1], -r[2].person_exposure_s)):
        closest = f"{c.min_distance_m:.2f} m" if c.min_distance_m is not None else "co-presence (uncalibrated)"
        table.add_row(s, str(o), f"P{c.person_id}", c.camera_id, str(c.contact_track_id), f"{c.exposure_s:.0f} s",
                      closest, f"{c.subject_mask.state}/{c.contact_mask.state}", c.risk)
    minutes = rule.min_cumulative_s / 60
    console.print(f"policy {rule.name}: {rule.distance_m} m for {minutes:.0f} min in {rule.window_h} h")
    console.print(table)


@app.command("report")
def report(
    case_id: str = typer.Argument(..., help="Case id."),
    out: Path = typer.Option(Path("reports"), "--out", help="Folder for the HTML and PDF."),
    policy: str = typer.Option("cdc", "--policy", help="Contact policy."),
) -> None:
    """Write the case report (HTML and PDF; non-subject faces mosaicked)."""
    from epitrace.reports import gather, write_report

    with friendly_errors():
        store = open_store()
        user = case_user(store, case_id)
        data = gather(store, case_id=case_id, policy=_policy(policy, None, None))
        html, pdf = write_report(data, out)
        audit(store, "export", case_id, user=user.name, what="report", files=[str(html), str(pdf)])
    console.print(f"report written: {html} and {pdf}")
