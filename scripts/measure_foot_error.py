"""Measure the foot-point error of EpiTrace's tracks on PETS S2.L1 frames 0-399, in image pixels.

The contact distance's uncertainty (`contacts.uncertainty`) propagates a per-axis pixel error of
each person's foot point through the calibration. This script gives that error: it ingests
vtest.avi (frames 0-399, the only frames with ground truth) with the default settings, matches
each track to the ground-truth person at every frame (Hungarian on ground distance, gated at
1 m, as the contacts evaluation does), maps both ground positions back into the image and
reports the pixel differences. Run:

    .venv/bin/python scripts/measure_foot_error.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from epitrace.config import get_settings
from epitrace.evaluation.contacts import gt_tracks, load_world_gt, store_frame_tracks
from epitrace.evaluation.throwaway import throwaway_pipeline
from epitrace.geometry import build_calibration


def main() -> None:
    """Ingest, match per frame, print pixel error statistics as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    pets = args.shared / "pets2009_s2l1"
    spec = {"type": "tsai_xml", "path": str((pets / "calibration" / "View_001.xml").resolve())}
    calibration = build_calibration(spec)
    settings = get_settings()
    with throwaway_pipeline(settings, "epitrace-foot-", {"id": "pets", "fps": 7, "calibration": spec}) as run:
        result = run.ingest(pets / "video" / "vtest.avi", fps=7, stop_after_frames=400)
        tracks = store_frame_tracks(run.store, result.video_id, (0, 399))
    gt = gt_tracks(load_world_gt(pets / "PETS2009-S2L1_world_frames0000-0399.csv", (0, 399)))
    by_frame: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for src, slot in ((tracks, 0), (gt, 1)):
        for tr in src.values():
            for f, xy in zip(tr.frames, tr.xy, strict=True):
                if np.isfinite(xy).all():
                    by_frame.setdefault(int(f), ([], []))[slot].append(np.asarray(xy, np.float64))
    errors = []
    for found, truth in by_frame.values():
        if not found or not truth:
            continue
        a, b = np.stack(found), np.stack(truth)
        cost = np.linalg.norm(a[:, None] - b[None], axis=2)
        rows, cols = linear_sum_assignment(cost)
        keep = cost[rows, cols] <= 1.0
        if keep.any():
            pa = calibration.ground_to_image(a[rows[keep]], strict=False)
            pb = calibration.ground_to_image(b[cols[keep]], strict=False)
            errors.append(pa - pb)
    err = np.concatenate(errors)
    err = err[np.isfinite(err).all(axis=1)]
    radial = np.linalg.norm(err, axis=1)
    sys.stdout.write(json.dumps({
        "detector": settings.ingest.person_detector,
        "matched_points": int(len(err)),
        "median_px": round(float(np.median(radial)), 2),
        "p90_px": round(float(np.percentile(radial, 90)), 2),
        "sigma_per_axis_from_median_px": round(float(np.median(radial) / np.sqrt(2 * np.log(2))), 2),
        "sigma_per_axis_rms_px": round(float(np.sqrt(np.mean(err ** 2))), 2),
        "mean_du_dv_px": [round(float(v), 2) for v in err.mean(axis=0)],
    }, indent=1) + "\n")


if __name__ == "__main__":
    main()
