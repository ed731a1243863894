"""`epitrace sightings`: list a case's sightings so an investigator can pick one to enrol."""

from __future__ import annotations

import typer

from epitrace import app as core
from epitrace.cli.auth import case_session
from epitrace.cli.common import PlainTable, console, friendly_errors
from epitrace.cli.ingest_cmd import parse_start
from epitrace.cli.timefmt import camera_zones, local
from epitrace.reports.people import MASK_WORDS


def sightings(
    case: str = typer.Option(..., "--case", help="Case id: only its cameras and window are searched."),
    camera: str = typer.Option(None, "--camera", help="Camera id (default: every camera of the case)."),
    start: str = typer.Option(None, "--from", help="From (ISO 8601 with zone)."),
    end: str = typer.Option(None, "--to", help="To (ISO 8601 with zone)."),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="Rows shown."),
) -> None:
    """Sightings (tracks) of a case's cameras in a time range: id, time, duration, mask."""
    with friendly_errors():
        session = case_session(case)
        rows, total = core.sightings(session, camera_id=camera,
                                     start_ts=parse_start(start, "--from").timestamp() if start else None,
                                     end_ts=parse_start(end, "--to").timestamp() if end else None, limit=limit)
        zones = camera_zones(session.services)  # each sighting in its camera's clock, as `case trace` shows it
    table = PlainTable("sighting", "camera", "from", "seconds", "frames", "face", "mask")
    table.columns[2].no_wrap = True
    for t in rows:
        table.add_row(str(t.id), t.camera_id, local(t.start_ts, zones.get(t.camera_id)), f"{t.end_ts - t.start_ts:.1f}",
                      f"{t.start_frame}-{t.end_frame}", "yes" if t.has_face else "",
                      MASK_WORDS.get(t.mask_state, t.mask_state))
    console.print(table)
    if total > len(rows):
        console.print(f"{len(rows)} of {total} shown: narrow with --camera/--from/--to or raise --limit")
