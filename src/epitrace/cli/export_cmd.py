"""`epitrace export`: redacted evidence out of the system (clips of sightings)."""

from __future__ import annotations

from pathlib import Path

import typer

from epitrace import app as core
from epitrace.cli.auth import case_session
from epitrace.cli.common import console, err_console, friendly_errors

app = typer.Typer(help="Export redacted evidence (clips).", no_args_is_help=True)


@app.command("clip")
def clip(
    case: str = typer.Option(..., "--case", help="Case id (its confirmed subject sightings stay visible)."),
    sighting: int = typer.Option(..., "--sighting", help="Sighting (track) id to cut."),
    out: Path = typer.Option(None, "--out", help="MP4 file (default: <evidence>/exports/<case>/...)."),
    margin: float = typer.Option(2.0, "--margin", help="Seconds before and after the sighting."),
    safety_net: bool = typer.Option(True, "--safety-net/--no-safety-net",
                                    help="Also run the person detector on every frame (admins may turn it off)."),
) -> None:
    """Cut a sighting's clip, every head mosaicked except the people you unmasked with a reason.

    Unmask a contact or a subject first with `epitrace case unmask` (audited).
    """
    with friendly_errors():
        session = case_session(case)
        with err_console.status(f"cutting the redacted clip of sighting {sighting}..."):
            path = core.export_clip(session, track_id=sighting, out=out, margin_s=margin, safety_net=safety_net)
    console.print(f"wrote {path}")
