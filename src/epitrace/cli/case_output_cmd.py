"""`epitrace case contacts | report`: what a case produces (registered on the case app)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from epitrace import app as core
from epitrace.cli.auth import case_session
from epitrace.cli.case_cmd import app
from epitrace.cli.common import PlainTable, console, err_console, friendly_errors
from epitrace.config import ContactPolicy, get_policy
from epitrace.contacts import duration_words
from epitrace.reports.people import MASK_WORDS


def _policy(name: str, distance: float | None, minutes: float | None) -> ContactPolicy:
    return get_policy(name, distance=distance, minutes=minutes)


def _contact_cells(r: dict[str, Any]) -> list[str]:
    """One contact record as table cells: local times with the zone, distance +/- its uncertainty."""
    zone = ZoneInfo(str(r["time_zone"]))  # the camera's zone: its abbreviation (KST), not only the offset
    first, last = (datetime.fromisoformat(str(r[k])).astimezone(zone) for k in ("first_seen", "last_seen"))
    same_day = first.date() == last.date()
    closest = "co-presence (uncalibrated)" if r["min_distance_m"] is None else f"{r['min_distance_m']:.2f} m"
    if r["distance_uncertainty_m"] is not None:
        closest = f"{r['min_distance_m']:.2f} ± {r['distance_uncertainty_m']:.2f} m"
    where = f"{r['camera_name']} ({r['place']})" if r["place"] else str(r["camera_name"])
    return [str(r["subject"]), str(r["order"]), str(r["person_label"]), str(r["via"] or ""), where,
            first.strftime("%Y-%m-%d %H:%M:%S %Z"), last.strftime(("" if same_day else "%Y-%m-%d ") + "%H:%M:%S %Z"),
            _exposure(float(r["exposure_s"]), float(r["person_exposure_s"])), closest,
            f"{MASK_WORDS.get(str(r['subject_mask']), r['subject_mask'])} / "
            f"{MASK_WORDS.get(str(r['contact_mask']), r['contact_mask'])}", str(r["risk"]), str(r["risk_reason"])]


def _exposure(sighting_s: float, person_s: float) -> str:
    """'7 s', or '7 s (all sightings 12 s)' where the person's total over their sightings says more."""
    said = duration_words(sighting_s)
    return said if round(person_s) <= round(sighting_s) else f"{said} (all sightings {duration_words(person_s)})"


@app.command("contacts")
def contacts(
    case_id: str = typer.Argument(..., help="Case id."),
    policy: str = typer.Option("cdc", "--policy", help="cdc (1.83 m, 15 min), who (1 m, 15 min) or custom."),
    distance: float = typer.Option(None, "--distance", help="Custom distance, metres."),
    minutes: float = typer.Option(None, "--minutes", help="Custom cumulative minutes."),
    second_order: bool = typer.Option(False, "--second-order", help="Also contacts of contacts."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    csv_out: Path = typer.Option(None, "--csv", help="Also write the contact list as CSV (health authority)."),
    json_out: Path = typer.Option(None, "--json-out", help="Also write the contact list as a JSON file."),
) -> None:
    """Everyone near each subject's confirmed sightings.

    When (camera's local time), where, exposure, closest distance, masks, risk and why; contacts of
    contacts name the contact linking them.
    """
    from epitrace.reports.contact_export import contact_records, write_contacts_csv, write_contacts_json

    with friendly_errors():
        rule = _policy(policy, distance, minutes)
        formats = [name for name, path in (("csv", csv_out), ("json", json_out)) if path]
        session = case_session(case_id)
        found = (core.export_contacts(session, policy=rule, formats=formats, second_order=second_order) if formats
                 else core.contacts(session, policy=rule, second_order=second_order))
        rows = [(r.subject.label, r.order, r.contact) for r in found]
    written = [write_contacts_csv(rows, csv_out)] if csv_out else []
    written += [write_contacts_json(rows, json_out, case_id=case_id, policy=rule)] if json_out else []
    for path in written:  # on stderr, so that --json output stays one JSON document
        err_console.print(f"contact list written: {path}", highlight=False)
    if as_json:
        typer.echo(json.dumps(contact_records(rows), ensure_ascii=False))
        return
    table = PlainTable("subject", "order", "person", "via", "camera / place", "first seen", "last seen", "exposure",
                  "closest", "masks (subject/contact)", "risk", "why")
    for column in table.columns[5:9]:  # times, exposure and distance: never broken mid-value
        column.no_wrap = True
    for r in contact_records(rows):
        table.add_row(*_contact_cells(r))
    minutes = rule.min_cumulative_s / 60
    console.print(f"policy {rule.name}: {rule.distance_m} m for {minutes:.0f} min in {rule.window_h} h")
    console.print(table)


@app.command("report")
def report(
    case_id: str = typer.Argument(..., help="Case id."),
    out: Path = typer.Option(Path("reports"), "--out", help="Folder for the HTML and PDF."),
    policy: str = typer.Option("cdc", "--policy", help="Contact policy."),
    lang: str = typer.Option("en", "--lang", help="Language of the report: en or ko."),
) -> None:
    """Write the case report (HTML and PDF; non-subject faces mosaicked)."""
    with friendly_errors():
        html, pdf = core.write_report(case_session(case_id), policy=_policy(policy, None, None), out_dir=out,
                                      lang=lang)
    console.print(f"report written: {html} and {pdf}")
