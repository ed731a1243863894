"""Why the subject's head is mosaicked: the causes behind `subject_visible`, counted per frame.

Tuning the export rules blind trades one failure for another; this names them. For every frame
where the subject's head counts as hidden (`redaction.VISIBLE`), each region that mosaics part
of it is traced to its source: a bystander's mosaic left outside the pasted-back head, or the
head core of a box in front of the subject (`hide`) or behind it (`cover`), from the current
frame or carried from earlier ones, and whose box it is by the ground truth (the subject's own
fragment, a bystander, or nobody: a false box; carried boxes as judged where found). Frames mode only (detector boxes,
the subject's box from the ground truth); no video is decoded, only region masks are scored.

Example:
    $ python -m epitrace.evaluation.redaction_causes --video vtest.avi --gt gt.txt --subject 9
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from epitrace.evaluation.mot import load_mot
from epitrace.evaluation.redaction import (
    VISIBLE,
    covered_shares,
    gt_head_boxes,
    keep_for_frame,
    mosaic_mask,
    redacted_mask,
)
from epitrace.geometry import build_calibration
from epitrace.privacy.depth import DepthOrder
from epitrace.privacy.export_redaction import DEFAULT_CONFIG, ExportRedactionConfig, ExportRedactor, Regions, box_iou
from epitrace.vision.types import Detections

OUTSIDE = "a bystander's mosaic outside the subject's pasted-back head"


@dataclass(frozen=True)
class CauseCounts:
    """Per-cause frame counts over the subject's hidden frames."""

    subject_frames: int
    hidden_frames: int
    dominant: dict[str, int]  # cause mosaicking the largest share of the subject's head
    sole: dict[str, int]  # frames that removing this cause alone would make visible


def _owner(box: npt.NDArray[np.float32], rows: pd.DataFrame, subject_gt_id: int) -> str:
    xywh = rows[["x", "y", "w", "h"]].to_numpy(np.float32)
    gt = np.c_[xywh[:, :2], xywh[:, :2] + xywh[:, 2:]]
    iou = box_iou(box[None], gt)[0] if len(gt) else np.zeros(0)
    if not len(iou) or iou.max() < 0.3:
        return "nobody (a false box)"
    return "the subject (a fragment)" if rows["id"].iloc[int(iou.argmax())] == subject_gt_id else "a bystander"


def subject_hidden_causes(gt: pd.DataFrame, detections: Mapping[int, Detections], frames: tuple[int, int],
                          subject_gt_id: int, shape: tuple[int, int],
                          config: ExportRedactionConfig = DEFAULT_CONFIG,
                          calibration: Mapping[str, Any] | None = None) -> CauseCounts:
    """Count the causes of the subject's hidden frames (see the module notes).

    Args:
        gt: MOTChallenge ground truth (`load_mot`) covering `frames`.
        detections: person detections by 1-based frame (e.g. `redaction.detect_all`).
        frames: inclusive 1-based frame range, redacted in order as an export would.
        subject_gt_id: the GT person kept clear.
        shape: (height, width) of the frames.
        config: the export rules.
        calibration: the camera's calibration spec for depth order (None: image height).
    """
    depth = DepthOrder(build_calibration(calibration), (shape[1], shape[0])) if calibration else None
    redactor, probe = ExportRedactor(config, depth), ExportRedactor(config, depth)
    by_frame = {int(f): g for f, g in gt.groupby("frame")}
    dominant: Counter[str] = Counter()
    sole: Counter[str] = Counter()
    seen = 0
    owners: dict[int, str] = {}
    for f in range(frames[0], frames[1] + 1):
        rows = by_frame.get(f, gt.iloc[:0])
        dets = detections.get(f, Detections.empty())
        subj = rows[rows["id"] == subject_gt_id]
        keep = keep_for_frame(dets, rows, subject_gt_id)
        regions = redactor.regions(dets, keep)
        others = probe.person_boxes(dets, keep)  # the same boxes, in the same order, with their age
        for box, number in zip(others[: probe.current_count], probe.origins, strict=False):
            owners[int(number)] = _owner(box, rows, subject_gt_id)  # whose box, judged in the frame it was found
        if keep is None:
            continue
        seen += 1
        head = gt_head_boxes(subj[["x", "y", "w", "h"]].to_numpy())
        if covered_shares(redacted_mask(shape, regions), head)[0] < VISIBLE:
            continue
        labels = [owners.get(int(n), "nobody (a false box)") for n in probe.origins]
        parts = _sources(regions, probe.head_cores(others), probe.current_count, labels, shape)
        shares = {k: float(covered_shares(m, head)[0]) for k, m in parts.items()}
        dominant[max(shares, key=lambda k: shares[k])] += 1
        for k in parts:
            rest = np.zeros(shape, bool)
            for other, m in parts.items():
                if other != k:
                    rest |= m
            sole[k] += int(covered_shares(rest, head)[0] < VISIBLE)
    return CauseCounts(seen, sum(dominant.values()), dict(dominant.most_common()),
                       {k: v for k, v in sole.most_common() if v})


def _sources(regions: Regions, cores: npt.NDArray[np.float32], current: int, owners: list[str],
             shape: tuple[int, int]) -> dict[str, npt.NDArray[np.bool_]]:
    """Mask of the subject's head mosaicked by each cause in one frame."""
    empty = np.empty((0, 4), np.float32)
    parts = {OUTSIDE: redacted_mask(shape, Regions(regions.mosaic, regions.clear, empty))}
    unveiled = mosaic_mask(shape, regions.unveil)
    for side, boxes in (("in front", regions.hide), ("behind", regions.cover)):
        for core in boxes:
            match = np.flatnonzero(np.abs(cores - core).max(axis=1) < 1e-3) if len(cores) else np.zeros(0, np.int64)
            if len(match):
                i = int(match[0])
                key = f"core of a box {side} ({'current' if i < current else 'carried'}) of {owners[i]}"
            else:
                key = f"a face box {side}"
            mask = mosaic_mask(shape, core[None])
            if side == "behind":  # the subject's own head is pasted back over these
                mask &= ~unveiled
            parts[key] = parts[key] | mask if key in parts else mask
    return parts


def format_causes(counts: CauseCounts) -> str:
    """The counts as the lines a person reads."""
    lines = [f"subject in {counts.subject_frames} frames, head hidden in {counts.hidden_frames}",
             "dominant cause (largest share of the subject's head):",
             *(f"  {v:4d}  {k}" for k, v in counts.dominant.items()),
             "frames that removing this cause alone makes visible:",
             *(f"  {v:4d}  {k}" for k, v in counts.sole.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Print the cause counts of one run (frames mode, CenterNet at 640 px or the int8 NanoDet)."""
    from epitrace.config import get_settings
    from epitrace.evaluation.redaction import detect_all
    from epitrace.media import probe_video
    from epitrace.models import model_path
    from epitrace.vision.persons import PersonDetector

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, required=True)
    ap.add_argument("--gt", type=Path, required=True)
    ap.add_argument("--frames", default="1:400")
    ap.add_argument("--subject", type=int, required=True)
    ap.add_argument("--homography", type=Path, help="3x3 image-to-ground matrix (text)")
    ap.add_argument("--detector", choices=("centernet", "nanodet-int8"), default="centernet",
                    help="the per-frame person detector (the export safety net is CenterNet)")
    args = ap.parse_args(argv)
    first, last = (int(v) for v in args.frames.split(":"))
    models = get_settings().models_dir
    detector: Any
    if args.detector == "nanodet-int8":
        from epitrace.vision.nanodet import NanoDetPersonDetector

        detector = NanoDetPersonDetector(model_path("person_nanodet_int8", models),
                                         score_threshold=DEFAULT_CONFIG.score_threshold)
    else:
        detector = PersonDetector(model_path("person_centernet", models), input_size=640,
                                  score_threshold=DEFAULT_CONFIG.score_threshold)
    info = probe_video(args.video)
    calibration = (None if args.homography is None
                   else {"type": "homography", "matrix": np.loadtxt(args.homography).tolist()})
    counts = subject_hidden_causes(load_mot(args.gt, (first, last)), detect_all(args.video, detector, (first, last)),
                                   (first, last), args.subject, (info.height, info.width), calibration=calibration)
    sys.stdout.write(format_causes(counts))

if __name__ == "__main__":
    main()
