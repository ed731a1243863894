"""Measure the describable attributes on shared data: PETS heights, colour names on labelled crops.

Height on PETS S2L1 frames 1-400; colour names on the by-eye labelled PETS re-ID crops.

What the height ground truth is: PETS gives no one's real height. The reference for a GT box is
the height its own box gives through the same Tsai calibration (top-centre ray, bottom-centre
feet), so the error measured is what the detector's boxes add (box top/bottom error), not the
calibration's. The spread of a person's reference heights across the 400 frames says how
consistent the geometry is (posture, gait, annotation) and bounds what any box method can do.

    python -m epitrace.evaluation.attributes [--frames 400] [--labels tests/data/reid_colour_labels.csv]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from epitrace.geometry import TsaiCalibration
from epitrace.vision.attributes import body_colours, box_heights
from epitrace.vision.boxes import iou_matrix

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"
PETS = SHARED / "pets2009_s2l1"


def height_errors(frames: int = 400) -> dict[str, object]:
    """Detector-box heights against GT-box heights (same calibration) on PETS frames 1..`frames`."""
    from epitrace.config import get_settings
    from epitrace.ingest.vision_models import VisionModels

    settings = get_settings()
    detector = VisionModels.from_settings(settings.ingest.model_copy(update={"faces": False}),
                                          settings.models_dir).persons
    cal = TsaiCalibration.from_xml(PETS / "calibration" / "View_001.xml")
    gt = np.loadtxt(PETS / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt", delimiter=",")
    video = cv2.VideoCapture(str(PETS / "video" / "vtest.avi"))
    errors: list[float] = []
    per_person_det: dict[int, list[float]] = {}
    per_person_gt: dict[int, list[float]] = {}
    for f in range(1, frames + 1):  # MOT frame f is video frame f - 1
        ok, frame = video.read()
        if not ok:
            break
        rows = gt[gt[:, 0] == f]
        if len(rows) == 0:
            continue
        g = np.column_stack([rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4], rows[:, 3] + rows[:, 5]])
        d = np.asarray(detector.detect(np.asarray(frame, np.uint8)).xyxy, np.float64).reshape(-1, 4)
        if len(d) == 0:
            continue
        iou = iou_matrix(g, d)
        gi, di = linear_sum_assignment(-iou)
        keep = iou[gi, di] >= 0.5
        gi, di = gi[keep], di[keep]
        hg, hd = box_heights(cal, g[gi]), box_heights(cal, d[di])
        assert hg is not None and hd is not None
        for pid, a, b in zip(rows[gi, 1].astype(int), hg, hd, strict=True):
            if np.isfinite(a) and np.isfinite(b):
                errors.append(float(abs(b - a)))
                per_person_det.setdefault(int(pid), []).append(float(b))
                per_person_gt.setdefault(int(pid), []).append(float(a))
    err = np.array(errors)
    all_gt = {int(p): box_heights(cal, np.column_stack([r[:, 2], r[:, 3], r[:, 2] + r[:, 4], r[:, 3] + r[:, 5]]))
              for p in np.unique(gt[gt[:, 0] <= frames, 1]) for r in [gt[(gt[:, 1] == p) & (gt[:, 0] <= frames)]]}
    person = {p: {"gt_median_m": round(float(np.nanmedian(h)), 3),  # type: ignore[arg-type]
                  "gt_spread_sd_cm": round(100 * float(np.nanstd(h)), 1),  # type: ignore[arg-type]
                  "track_median_error_cm": (round(100 * abs(float(np.median(per_person_det[p]))
                                                          - float(np.median(per_person_gt[p]))), 1)
                                            if p in per_person_det else None)}
              for p, h in all_gt.items()}
    return {"matched_boxes": len(err), "per_box_median_error_cm": round(100 * float(np.median(err)), 1),
            "per_box_p90_error_cm": round(100 * float(np.percentile(err, 90)), 1),
            "track_median_error_cm_median": round(float(np.median(
                [v["track_median_error_cm"] for v in person.values() if v["track_median_error_cm"] is not None])), 1),
            "gt_spread_sd_cm_median": round(float(np.median([v["gt_spread_sd_cm"] for v in person.values()])), 1),
            "people": person}


def colour_accuracy(labels: Path) -> dict[str, object]:
    """Share of labelled crops whose named upper/lower colour equals the label (strict) or its alternative."""
    with labels.open() as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    strict = {"upper": 0, "lower": 0}
    lenient = {"upper": 0, "lower": 0}
    for r in rows:
        image = cv2.imread(str(SHARED / "reid" / "pets09_s2l1_crops" / r["crop"]))
        if image is None:
            raise FileNotFoundError(f"{r['crop']}: crop not found under {SHARED / 'reid'}")
        upper, lower = body_colours([np.asarray(image, np.uint8)])
        for part, got in (("upper", upper), ("lower", lower)):
            name = got.name if got else None
            strict[part] += name == r[part]
            lenient[part] += name in (r[part], r[f"{part}_alt"])
    n = len(rows)
    return {"crops": n, **{f"{k}_strict": round(v / n, 3) for k, v in strict.items()},
            **{f"{k}_with_alt": round(v / n, 3) for k, v in lenient.items()}}


def main() -> None:
    """Print both measurements as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=400)
    p.add_argument("--labels", type=Path, default=Path("tests/data/reid_colour_labels.csv"))
    a = p.parse_args()
    result = {"colour": colour_accuracy(a.labels), "height": height_errors(a.frames)}
    sys.stdout.write(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
