"""`epitrace export`: redacted evidence out of the system (clips of sightings)."""

from __future__ import annotations

from pathlib import Path

import typer

from epitrace.cli.auth import case_user
from epitrace.cli.common import audit, console, err_console, friendly_errors
from epitrace.store import open_store

app = typer.Typer(help="Export redacted evidence (clips).", no_args_is_help=True)

EXPORT_INPUT_SIZE = 640  # detector input for the safety net (the size tracking runs at)


def case_subject_tracks(store, case_id: str) -> set[int]:  # type: ignore[no-untyped-def]
    """Track ids confirmed as any subject of the case: the only people left recognisable."""
    from epitrace.store.cases import decisions, get_case

    case = get_case(store, case_id=case_id)
    return {t for subject in case.subjects
            for t, d in decisions(store, subject_id=subject.id).items() if d == "confirmed"}


def _detector(score: float):  # type: ignore[no-untyped-def]
    from epitrace.config import get_settings
    from epitrace.models import model_path
    from epitrace.vision.persons import PersonDetector

    settings = get_settings()
    return PersonDetector(model_path("person_centernet", settings.models_dir), input_size=EXPORT_INPUT_SIZE,
                          score_threshold=score)


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
    from epitrace.privacy.clips import export_clip
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG

    with friendly_errors():
        store = open_store()
        user = case_user(store, case)
        subjects = case_subject_tracks(store, case)
        if out is None:
            out = get_settings().evidence_dir / "exports" / case / f"sighting_{sighting}.mp4"
        detector = _detector(DEFAULT_CONFIG.score_threshold) if safety_net else None
        if sighting not in subjects:
            err_console.print(f"sighting {sighting} is not a confirmed subject sighting of {case}: "
                              "everyone in it is mosaicked")
        path = export_clip(store, track_id=sighting, out=out, subject_track_ids=subjects,
                           margin_s=margin, detector=detector)
        audit(store, "export", case, user=user.name, what="clip", sighting=sighting, path=str(path))
    console.print(f"wrote {path}")
