"""`epitrace eval ...`: accuracy measured on labelled data, never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from epitrace.cli.common import console, friendly_errors
from epitrace.config import get_settings

app = typer.Typer(help="Measure accuracy on labelled data.", no_args_is_help=True)


def parse_frames(text: str | None) -> tuple[int, int] | None:
    """'A:B' -> (A, B), 1-based inclusive like MOTChallenge frame numbers."""
    if not text:
        return None
    try:
        first, last = (int(v) for v in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"--frames {text!r}: expected A:B, e.g. 1:400") from exc
    if first < 1 or last < first:
        raise ValueError(f"--frames {text!r}: need 1 <= A <= B")
    return first, last


@app.command("tracking")
def tracking(
    video: Path = typer.Option(..., "--video", help="Video file."),
    gt: Path = typer.Option(..., "--gt", help="MOTChallenge ground truth (gt.txt)."),
    frames: str = typer.Option(None, "--frames", help="A:B, 1-based inclusive."),
    fps: float = typer.Option(None, "--fps", help="True frame rate (PETS: 7)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """MOTA, IDF1 and HOTA of the full ingest pipeline on a labelled video."""
    from epitrace.evaluation.tracking_run import run_tracking_eval

    with friendly_errors():
        scores, result = run_tracking_eval(video, gt, get_settings(), parse_frames(frames), fps)
    if as_json:
        typer.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                               for k, v in scores.as_dict().items()}))
        return
    console.print(f"MOTA {scores.mota:.3f}  IDF1 {scores.idf1:.3f}  HOTA {scores.hota:.3f}  "
                  f"(ID switches {scores.id_switches}, precision {scores.precision:.3f}, "
                  f"recall {scores.recall:.3f}; {result.frames_analysed} frames analysed)")


@app.command("contacts")
def contacts(
    video: Path = typer.Option(..., "--video", help="Video file."),
    camera: str = typer.Option(..., "--camera", help="Registered camera whose calibration to use."),
    gt_world: Path = typer.Option(..., "--gt-world", help="World GT CSV (frame,id,...,x_m,y_m)."),
    frames: str = typer.Option(None, "--frames",
                               help="A:B, 0-based inclusive like the CSV's frame column "
                                    "(default: the CSV's span)."),
    distance: float = typer.Option(2.0, "--distance", help="Contact radius, metres."),
    fps: float = typer.Option(None, "--fps",
                              help="True frame rate (default: the camera's, else 7 as PETS)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Precision, recall and duration error of contact episodes against world ground truth.

    Ingests into a throw-away home with the camera's calibration; your store is only read.
    """
    from epitrace.evaluation.contacts import parse_frame_range, run_contacts_eval
    from epitrace.store import open_store

    with friendly_errors():
        settings = get_settings()
        user_store = open_store(settings)
        cam = user_store.get_camera(camera)
        user_store.db.dispose()
        if cam.calibration is None:
            raise ValueError(f"camera {camera!r} has no calibration: contacts need ground "
                             "positions (see `epitrace cameras add --help`)")
        scores, result = run_contacts_eval(
            video, dict(cam.calibration), gt_world, settings, parse_frame_range(frames),
            distance, fps or cam.fps_override or 7.0)
    if as_json:
        typer.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v
                               for k, v in scores.as_dict().items()}))
        return
    console.print(f"precision {scores.precision:.3f}  recall {scores.recall:.3f}  "
                  f"median duration error {scores.median_duration_error_s:.2f} s "
                  f"(signed {scores.median_signed_error_s:+.2f} s; {scores.matched} of "
                  f"{scores.gt_episodes} GT episodes matched, {scores.pred_episodes} predicted; "
                  f"{result.frames_analysed} frames analysed)")
