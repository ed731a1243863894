"""Calibrate the body-vector thresholds (tracing and contacts merge) on the shared data.

Prints, as JSON, the same/different-person cosine distributions of the default body vector
(each camera balanced by its own people, as ingest does) on
the shared PETS re-ID crops and on track segments of PETS S2L1 frames 1-400 (unshifted and
under each simulated camera shift), the rates at candidate thresholds, and the thresholds the
rules pick. Why a script: the figures must be re-made whenever the body vector changes.

    .venv/bin/python scripts/calibrate_body.py --data ../shared/data > calibration.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from epitrace.evaluation.body_calibration import (
    Scores,
    gt_segments,
    lowest_threshold,
    merge_scores,
    pair_scores,
    segment_vectors,
)
from epitrace.evaluation.camera_shift import SHIFTS, apply_shift
from epitrace.evaluation.reid import embed_as_camera, load_crops
from epitrace.vision.body_embed import BodyEmbedder

TRACING_MAX_FALSE = 0.01
"""Tracing: a stranger's track marked as a match in at most 1% of pairs (a ranked list is
reviewed by a person, so some false candidates above the line are tolerable)."""
MERGE_MAX_FALSE = 0.001
"""Merging: summing two people's exposures is worse than missing a merge, so 0.1%."""
GRID = (0.70, 0.75, 0.78, 0.80, 0.82, 0.84, 0.86, 0.88, 0.90)


def _crop_scores(data: Path, cams: tuple[str | None, str | None]) -> dict[str, Scores]:
    root = data / "reid" / "pets09_s2l1_crops"
    q, q_ids = load_crops(root / "query")
    g, g_ids = load_crops(root / "gallery")
    crops, ids = q + g, np.concatenate([q_ids, g_ids])
    base = _embed(crops, cams[0])
    out = {"none": pair_scores(base, ids, base, ids, same_items=True)}
    for shift in SHIFTS:
        if shift != "none":
            other = _embed(apply_shift(shift, crops), cams[1])
            out[shift] = pair_scores(base, ids, other, ids, True)
    return out


def _embed(crops: list[np.ndarray], camera: str | None) -> np.ndarray:
    if camera is None:  # what ingest does: each crop balanced by its own colour
        return BodyEmbedder().embed_crops(crops)
    return embed_as_camera(BodyEmbedder().embed_crops, crops, camera)


def _track_scores(data: Path, segment_frames: int, cams: tuple[str | None, str | None]) -> dict[str, Scores]:
    pets = data / "pets2009_s2l1"
    segments = gt_segments(pets / "video" / "vtest.avi",
                           pets / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt", segment_frames)
    ids = np.array([pid for pid, _ in segments])
    base = segment_vectors(segments, BodyEmbedder().embed_crops, camera=cams[0])
    out = {"none": pair_scores(base, ids, base, ids, same_items=True)}
    for shift in SHIFTS:
        if shift != "none":
            other = segment_vectors(segments, BodyEmbedder().embed_crops, shift, camera=cams[1])
            out[shift] = pair_scores(base, ids, other, ids, True)
    return out


def _rates(s: Scores) -> dict[str, list[float]]:
    return {f"{t:.2f}": [round(s.false_rate(t), 4), round(s.true_rate(t), 3)] for t in GRID}


def main() -> None:
    """Print the distributions and the chosen thresholds."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--segment-frames", type=int, default=50)
    parser.add_argument("--camera-colour", action="store_true",
                        help="the experimental per-camera colour balance (ingest balances each crop by its own)")
    args = parser.parse_args()
    cams = ("a", "b") if args.camera_colour else (None, None)
    crops = _crop_scores(args.data, cams)
    tracks = _track_scores(args.data, args.segment_frames, cams)
    all_tracks = merge_scores(list(tracks.values()))
    all_crops = merge_scores(list(crops.values()))
    tracing = max(lowest_threshold(all_tracks, TRACING_MAX_FALSE), lowest_threshold(tracks["none"], TRACING_MAX_FALSE))
    merge = max(lowest_threshold(all_tracks, MERGE_MAX_FALSE), lowest_threshold(tracks["none"], MERGE_MAX_FALSE))
    report = {
        "rates_are": "[different-person rate, same-person rate] at or above each cosine",
        "crops": {k: {**v.summary(), "rates": _rates(v)} for k, v in crops.items()},
        "tracks": {k: {**v.summary(), "rates": _rates(v)} for k, v in tracks.items()},
        "tracks_all_shifts": {**all_tracks.summary(), "rates": _rates(all_tracks)},
        "crops_all_shifts": {**all_crops.summary(), "rates": _rates(all_crops)},
        "chosen": {
            "body_threshold": tracing, "rule_body": f"different-person track pairs <= {TRACING_MAX_FALSE:.1%}",
            "body_found_tracks": round(all_tracks.true_rate(tracing), 3),
            "body_false_crops": round(all_crops.false_rate(tracing), 4),
            "merge_threshold": merge, "rule_merge": f"different-person track pairs <= {MERGE_MAX_FALSE:.1%}",
            "merge_found_tracks": round(all_tracks.true_rate(merge), 3),
        },
    }
    sys.stdout.write(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
