"""`epitrace eval ...`: accuracy measured on labelled data, never asserted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import typer

from epitrace.cli.common import console, friendly_errors
from epitrace.config import get_settings

app = typer.Typer(help="Measure accuracy on labelled data.", no_args_is_help=True)


def parse_frames(text: str | None) -> tuple[int, int] | None:
    """'A:B' -> (A, B), 1-based inclusive like MOTChallenge frame numbers."""
    from epitrace.evaluation.contacts import parse_frame_range

    return parse_frame_range(text, first_frame=1)


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
    from epitrace.app import Services
    from epitrace.app.cameras import get_camera
    from epitrace.evaluation.contacts import parse_frame_range, run_contacts_eval

    with friendly_errors():
        settings = get_settings()
        services = Services.open(settings)
        cam = get_camera(services, camera)
        services.store.db.dispose()
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


def _emit(payload: Mapping[str, object], as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        console.print(text)


@app.command("faces")
def faces(
    pairs: Path = typer.Option(..., "--pairs", help="Pairs CSV (file_x, file_y, Decision), or "
                               "file,identity_cluster rows (every pair)."),
    threshold: float = typer.Option(None, "--threshold", help="L2 distance of unit vectors (default 0.40)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    bands: bool = typer.Option(False, "--bands", help="FAR/TAR per face band (match, review), clean and "
                               "degraded to CCTV-like 20-60 px faces (the search's settings)."),
    levels: str = typer.Option("clean,60px,40px,30px,20px", "--levels", help="With --bands: conditions."),
    video: Path = typer.Option(None, "--video", help="With --bands: a video whose faces add a row (frames 1-400)."),
    gt: Path = typer.Option(None, "--gt", help="With --video: MOTChallenge ground truth (person ids)."),
    step: int = typer.Option(5, "--step", min=1, help="With --video: every n-th frame."),
) -> None:
    """Face verification accuracy, threshold and false-accept rate on labelled pairs (or per band)."""
    from epitrace.evaluation.faces import DEFAULT_MATCH_DISTANCE, evaluate_face_pairs
    from epitrace.models import model_path
    from epitrace.vision.face_embed import FaceEmbedder
    from epitrace.vision.faces import FaceDetector

    models = get_settings().models_dir
    if bands:
        from epitrace.evaluation.face_band_eval import format_rows
        from epitrace.evaluation.faces import evaluate_face_bands

        with friendly_errors():
            rows = evaluate_face_bands(
                pairs, FaceDetector(model_path("face_centerface", models)),
                FaceEmbedder(model_path("face_dlib_resnet", models), model_path("face_landmarks5", models)),
                get_settings().tracing, tuple(v.strip() for v in levels.split(",") if v.strip()), video, gt, step)
        typer.echo(json.dumps({"bands": [r.as_dict() for r in rows]}) if as_json else format_rows(rows))
        return
    with friendly_errors():
        r = evaluate_face_pairs(
            pairs, FaceDetector(model_path("face_centerface", models)),
            FaceEmbedder(model_path("face_dlib_resnet", models), model_path("face_landmarks5", models)),
            threshold=threshold if threshold is not None else DEFAULT_MATCH_DISTANCE)
    payload = {"accuracy": r.accuracy, "threshold": r.threshold, "false_accept_rate": r.false_accept_rate,
               "false_reject_rate": r.false_reject_rate, "pairs": r.pairs, "skipped": r.skipped,
               "best_threshold": r.best_threshold, "best_accuracy": r.best_accuracy}
    _emit(payload, as_json, f"accuracy {r.accuracy:.3f} at L2 {r.threshold:.2f}: FAR {r.false_accept_rate:.3f}, "
          f"FRR {r.false_reject_rate:.3f} ({r.pairs} pairs, {r.skipped} skipped)")


@app.command("masks")
def masks(
    images: Path = typer.Option(..., "--images", help="Folder of images."),
    labels: Path = typer.Option(..., "--labels", help="labels.csv (image, label, xmin, ymin, xmax, ymax)."),
    min_side: int = typer.Option(0, "--min-side", help="Skip faces smaller than this, pixels."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    shipped: bool = typer.Option(False, "--shipped", help="Score the shipped head as it is (for a set it was "
                                 "not trained on); default: its recipe cross-validated by photo."),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds (grouped by photo)."),
) -> None:
    """Mask classifier per-class and balanced accuracy on labelled face boxes."""
    from epitrace.evaluation.masks import cross_validate_masks, evaluate_masks
    from epitrace.models import model_path
    from epitrace.vision.masks import MaskClassifier, MaskFeatureExtractor, MaskHead

    models = get_settings().models_dir
    with friendly_errors():
        if shipped:
            classifier = MaskClassifier.from_models_dir(models)
            r = evaluate_masks(images.parent, classifier, margin=classifier.margin, min_side=min_side,
                               images_dir=images, labels_csv=labels)
        else:
            head = MaskHead.load()
            extractor = MaskFeatureExtractor(model_path("body_mobilenetv2", models), input_size=head.input_size)
            r = cross_validate_masks(images.parent, extractor, head, folds, min_side, images, labels)
    protocol = "shipped head" if shipped else f"{folds}-fold cross-validation by photo"
    payload = {"balanced_accuracy": r.balanced_accuracy, "recall_with_mask": r.recall_mask,
               "recall_without_mask": r.recall_no_mask, "incorrect_predicted_mask": r.incorrect_predicted_mask,
               "faces": r.faces, "balanced_accuracy_by_size": r.by_size, "protocol": protocol}
    _emit(payload, as_json, f"balanced accuracy {r.balanced_accuracy:.3f} (with mask {r.recall_mask:.3f}, "
          f"without {r.recall_no_mask:.3f}); by face size {r.by_size}; {protocol}")


@app.command("reid")
def reid(
    query: Path = typer.Option(..., "--query", help="Query crops (identity = file-name prefix)."),
    gallery: Path = typer.Option(..., "--gallery", help="Gallery crops."),
    shift: str = typer.Option("none", "--shift", help="Simulated second camera on the gallery: none, "
                              "white_balance, exposure, blur, resolution, combined."),
    cnn_weight: float = typer.Option(0.0, "--cnn-weight", help="Weight of the MobileNetV2 part (0: colour only)."),
    raw_colour: bool = typer.Option(False, "--raw-colour", help="Colour of the raw crop (the v1 vector)."),
    camera_colour: bool = typer.Option(False, "--camera-colour", help="Balance crops by their camera's running "
                                       "people colour (an experiment: not what ingest does, whose vectors must not "
                                       "depend on what a process saw before) instead of each by its own."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Re-identification rank-1 and mAP of the body embedder."""
    from epitrace.evaluation.reid import evaluate_reid
    from epitrace.models import model_path
    from epitrace.vision.body_embed import BodyEmbedder

    with friendly_errors():
        path = model_path("body_mobilenetv2", get_settings().models_dir) if cnn_weight > 0 else None
        embedder = BodyEmbedder(path, cnn_weight=cnn_weight, normalise=not raw_colour)
        r = evaluate_reid(None, embedder.embed_crops, query_dir=query, gallery_dir=gallery, shift=shift,
                          by_camera=camera_colour and not raw_colour)
    _emit({"rank1": r.rank1, "map": r.mean_ap, "track_rank1": r.track_rank1, "shift": r.shift,
           "queries": r.queries, "gallery": r.gallery}, as_json,
          f"rank-1 {r.rank1:.3f}, mAP {r.mean_ap:.3f}, track rank-1 {r.track_rank1:.3f} "
          f"(gallery shift {r.shift}; {r.queries} queries, {r.gallery} gallery)")


@app.command("redaction")
def redaction(
    video: Path = typer.Option(..., "--video", help="Video file."),
    gt: Path = typer.Option(..., "--gt", help="MOTChallenge ground truth (gt.txt) with every person."),
    frames: str = typer.Option("1:400", "--frames", help="A:B, 1-based inclusive."),
    subject: int = typer.Option(None, "--subject",
                                help="GT id kept clear (default: the longest GT track; -1: nobody)."),
    fps: float = typer.Option(None, "--fps", help="True frame rate (PETS: 7)."),
    export: bool = typer.Option(False, "--export",
                                help="Measure a real export: ingest, keep the subject's stored tracks, "
                                     "cut the clip (tracker errors count). Default: detector boxes "
                                     "with the subject's box from the ground truth."),
    subject_wins: bool = typer.Option(False, "--subject-wins",
                                      help="Paste the subject's head back over bystanders' (the old rule)."),
    homography: Path = typer.Option(None, "--homography",
                                    help="3x3 image-to-ground matrix (text) of the camera: people are ordered "
                                         "by ground depth (PETS: H_image768_to_world_m.txt). Default: image height."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Share of bystanders' heads mosaicked and of frames with the subject's head clear."""
    from dataclasses import replace

    import numpy as np

    from epitrace.evaluation.redaction import redaction_coverage
    from epitrace.evaluation.redaction_export import export_redaction_coverage
    from epitrace.models import model_path
    from epitrace.privacy.export_redaction import DEFAULT_CONFIG
    from epitrace.vision.persons import PersonDetector

    config = replace(DEFAULT_CONFIG, bystander_priority=not subject_wins)
    span = parse_frames(frames) or (1, 400)
    settings = get_settings()
    tracks: list[int] = []
    with friendly_errors():
        calibration = None if homography is None else {"type": "homography", "matrix": np.loadtxt(homography).tolist()}
        detector = PersonDetector(model_path("person_centernet", settings.models_dir), input_size=640,
                                  score_threshold=config.score_threshold)
        if export:
            if subject == -1:
                raise typer.BadParameter("--export needs a subject (a clip is cut around one)")
            r = export_redaction_coverage(video, gt, settings, span, subject, fps, detector, config,
                                          calibration=calibration)
            s, gid, tracks = r.scores, r.subject_gt_id, r.subject_tracks
        else:
            s = redaction_coverage(video, gt, span, subject, detector, config=config, calibration=calibration)
            gid = subject
    payload = {"coverage": round(s.coverage, 4), "bystander_heads": s.other_heads, "hidden": s.other_hidden,
               "subject_gt_id": gid, "subject_visible": round(s.subject_visible, 4),
               "subject_frames": s.subject_frames, "frames": s.frames, "mode": "export" if export else "frames",
               "rule": "subject wins" if subject_wins else "bystanders win", "subject_tracks": tracks,
               "depth": "image height" if homography is None else "ground (calibration)",
               "missed": s.missed[:50]}
    _emit(payload, as_json, f"{s.coverage:.2%} of {s.other_heads} bystander heads mosaicked; subject's head clear "
          f"in {s.subject_visible:.1%} of {s.subject_frames} frames ({payload['mode']}, {payload['rule']})")
