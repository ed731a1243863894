"""`epitrace export`: redacted evidence out of the system (clips of sightings)."""

from __future__ import annotations

from pathlib import Path

import typer

from epitrace.cli.auth import case_user
from epitrace.cli.common import audit, console, err_console, friendly_errors
from epitrace.store import open_store

app = typer.Typer(help="Export redacted evidence (clips).", no_args_is_help=True)


@app.command("clip")
def clip(
    case: str = typer.Option(..., "--case", help="Case id (its confirmed subject sightings stay visible)."),
    sighting: int = typer.Option(..., "--sighting", help="Sighting (track) id to cut."),
    out: Path = typer.Option(None, "--out", help="MP4 file (default: <evidence>/exports/<case>/...)."),
    margin: float = typer.Option(2.0, "--margin", help="Seconds before and after the sighting."),
    safety_net: bool = typer.Option(True, "--safety-net/--no-safety-net",
                                    help="Also run the person detector on every frame (slower)."),
) -> None:
    """Cut a sighting's clip with every face mosaicked except the case's confirmed subjects."""
    from epitrace.config import get_settings
    from epitrace.privacy.clips import export_clip, export_detector
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG
    from epitrace.store.cases import confirmed_tracks, get_case

    with friendly_errors():
        store = open_store()
        user = case_user(store, case)
        get_case(store, case_id=case)  # an unknown case is an error, not a clip with everyone mosaicked
        subjects = confirmed_tracks(store, case_id=case)
        settings = get_settings()
        if out is None:
            out = settings.evidence_dir / "exports" / case / f"sighting_{sighting}.mp4"
        detector = export_detector(settings.models_dir, DEFAULT_CONFIG.score_threshold) if safety_net else None
        if sighting not in subjects:
            err_console.print(f"sighting {sighting} is not a confirmed subject sighting of {case}: "
                              "everyone in it is mosaicked")
        path = export_clip(store, track_id=sighting, out=out, subject_track_ids=subjects,
                           margin_s=margin, detector=detector)
        audit(store, "export", case, user=user.name, what="clip", sighting=sighting, path=str(path))
    console.print(f"wrote {path}")
