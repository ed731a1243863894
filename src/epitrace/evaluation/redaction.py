"""How completely exported frames hide bystanders' heads, measured against ground-truth boxes.

Head region of a ground-truth person (the thing that must be hidden): the top 18% of the GT box
height, over the full GT box width, i.e. (x, y, x + w, y + 0.18 h) for a MOTChallenge box
(x, y, w, h). On PETS S2L1 (people ~60-100 px tall) that is the head and a little of the neck.

Scores:
- `coverage`: share of non-subject GT heads (all frames) of which >= 90% of the area lies under a
  mosaicked region. Goal: >= 0.99.
- `subject_visible`: share of the subject's frames in which < 10% of its head is mosaicked.

Coverage is geometric (the mask of regions handed to `mosaic`, with its pixel rounding), not
inferred from pixels: a mosaic over a flat region changes nothing and would look "missed".

Example:
    >>> s = redaction_coverage(VIDEO, GT, frames=(1, 400), subject_gt_id=None,
    ...                        detector=PersonDetector(path, input_size=640, score_threshold=0.05))
    ... # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from epitrace.evaluation.mot import load_mot
from epitrace.geometry import build_calibration
from epitrace.media import iter_frames, to_bgr
from epitrace.privacy.depth import DepthOrder
from epitrace.privacy.export_redaction import (
    DEFAULT_CONFIG,
    ExportRedactionConfig,
    ExportRedactor,
    Regions,
    apply_regions,
    box_iou,
)
from epitrace.privacy.face_regions import FaceFinder, detect_faces
from epitrace.vision.types import Detections

GT_HEAD_SHARE = 0.18
COVERED = 0.9  # a head counts as hidden when this share of its area is mosaicked
VISIBLE = 0.1  # the subject's head counts as visible when less than this share is mosaicked
FACE_PERSON_SCORE = 0.3  # faces are searched in person boxes from this score (the tracking threshold)
_NO_BOXES = np.empty((0, 4), np.float32)
_NOTHING = Regions(_NO_BOXES, _NO_BOXES, _NO_BOXES)  # a frame nothing was applied to


@dataclass(frozen=True)
class RedactionScores:
    """Coverage of non-subject heads and visibility of the subject's, over a frame range."""

    frames: int
    other_heads: int
    other_hidden: int
    coverage: float
    subject_frames: int
    subject_visible_frames: int
    subject_visible: float
    ms_per_frame: float  # redaction decisions + mosaic, detector excluded
    detector_ms_per_frame: float
    missed: list[tuple[int, int]] = field(default_factory=list)  # (GT frame, GT id) not hidden


def gt_head_boxes(xywh: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """Head regions (x1, y1, x2, y2) of GT boxes (x, y, w, h): top 18%, full width."""
    b = np.asarray(xywh, np.float32).reshape(-1, 4)
    return np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + GT_HEAD_SHARE * b[:, 3]], axis=1)


def mosaic_mask(shape: tuple[int, int], regions: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Pixels `privacy.redact.mosaic` changes for `regions` (same clipping and rounding)."""
    h, w = shape
    mask = np.zeros((h, w), bool)
    for x1, y1, x2, y2 in np.asarray(regions, np.float32).reshape(-1, 4):
        left, t = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        r, b = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        if r > left and b > t:
            mask[t:b, left:r] = True
    return mask


def redacted_mask(shape: tuple[int, int], regions: Regions) -> npt.NDArray[np.bool_]:
    """Pixels left mosaicked by `apply_regions(frame, regions)`."""
    mask = mosaic_mask(shape, regions.mosaic)
    if len(regions.clear):
        mask &= ~mosaic_mask(shape, regions.clear)
    if len(regions.cover):
        mask |= mosaic_mask(shape, regions.cover)
    if len(regions.unveil):
        mask &= ~mosaic_mask(shape, regions.unveil)
    if len(regions.hide):
        mask |= mosaic_mask(shape, regions.hide)
    return mask


def covered_shares(mask: npt.NDArray[np.bool_], heads: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Share of each head region's (in-frame) pixels that are set in `mask`."""
    h, w = mask.shape
    out = []
    for x1, y1, x2, y2 in np.asarray(heads, np.float32).reshape(-1, 4):
        left, t = max(int(round(x1)), 0), max(int(round(y1)), 0)
        r, b = min(int(round(x2)), w), min(int(round(y2)), h)
        out.append(float(mask[t:b, left:r].mean()) if r > left and b > t else 1.0)
    return np.array(out, np.float64)


@dataclass
class CoverageTally:
    """Accumulates per-frame results; `scores()` turns them into `RedactionScores`."""

    subject_gt_id: int | None
    other_heads: int = 0
    other_hidden: int = 0
    subject_frames: int = 0
    subject_visible_frames: int = 0
    frames: int = 0
    missed: list[tuple[int, int]] = field(default_factory=list)

    def add(self, gt_frame: int, gt_rows: pd.DataFrame, mask: npt.NDArray[np.bool_]) -> None:
        """Score one frame: `gt_rows` are its GT rows, `mask` what was mosaicked."""
        self.frames += 1
        if gt_rows.empty:
            return
        shares = covered_shares(mask, gt_head_boxes(gt_rows[["x", "y", "w", "h"]].to_numpy()))
        for gid, share in zip(gt_rows["id"].to_numpy(), shares, strict=True):
            if gid == self.subject_gt_id:
                self.subject_frames += 1
                self.subject_visible_frames += int(share < VISIBLE)
            else:
                self.other_heads += 1
                hidden = share >= COVERED
                self.other_hidden += int(hidden)
                if not hidden:
                    self.missed.append((gt_frame, int(gid)))

    def scores(self, ms_per_frame: float = 0.0, detector_ms: float = 0.0) -> RedactionScores:
        """The tallied shares, with the given per-frame timings."""
        return RedactionScores(
            frames=self.frames, other_heads=self.other_heads, other_hidden=self.other_hidden,
            coverage=self.other_hidden / self.other_heads if self.other_heads else 1.0,
            subject_frames=self.subject_frames, subject_visible_frames=self.subject_visible_frames,
            subject_visible=(self.subject_visible_frames / self.subject_frames
                             if self.subject_frames else 1.0),
            ms_per_frame=ms_per_frame, detector_ms_per_frame=detector_ms, missed=self.missed)


def longest_gt_id(gt: pd.DataFrame) -> int:
    """The GT identity present in the most frames (a natural subject)."""
    return int(gt["id"].value_counts().idxmax())


def subject_keep_box(dets: Detections, gt_xywh: npt.ArrayLike | None,
                     others_xywh: npt.ArrayLike | None = None) -> npt.NDArray[np.float32] | None:
    """The predicted box best matching the subject's GT box at IoU >= 0.5, else the GT box.

    (In an export the subject's track box plays this role; it is held across detector misses.)
    A box that overlaps another GT person (`others_xywh`) more than the subject is that
    person's, as a tracker following the subject would have it: where two people overlap, the
    subject's box must not be a bystander's detection, kept clear as if it were the subject.
    """
    if gt_xywh is None:
        return None
    x, y, w, h = np.asarray(gt_xywh, np.float32)
    gt = np.array([[x, y, x + w, y + h]], np.float32)
    if len(dets):
        iou = box_iou(dets.xyxy, gt)[:, 0]
        if others_xywh is not None and len(o := np.asarray(others_xywh, np.float32).reshape(-1, 4)):
            theirs = box_iou(dets.xyxy, np.c_[o[:, :2], o[:, :2] + o[:, 2:]]).max(axis=1)
            iou = np.where(theirs > iou, 0.0, iou)
        best = int(iou.argmax())
        if iou[best] >= 0.5:
            return dets.xyxy[best]
    return gt[0]


def keep_for_frame(dets: Detections, rows: pd.DataFrame, subject_gt_id: int | None) -> npt.NDArray[np.float32] | None:
    """`subject_keep_box` of one frame's GT rows (None where the subject is not in them)."""
    subj, others = rows[rows["id"] == subject_gt_id], rows[rows["id"] != subject_gt_id]
    if not len(subj):
        return None
    return subject_keep_box(dets, subj[["x", "y", "w", "h"]].to_numpy()[0], others[["x", "y", "w", "h"]].to_numpy())


def redaction_coverage(
    video: Path, gt_mot_txt: Path, frames: tuple[int, int] = (1, 400),
    subject_gt_id: int | None = None, detector: Any = None,
    *, config: ExportRedactionConfig = DEFAULT_CONFIG, detections: dict[int, Detections] | None = None,
    face_detector: FaceFinder | None = None, faces: dict[int, npt.NDArray[np.float32]] | None = None,
    calibration: Mapping[str, Any] | None = None,
) -> RedactionScores:
    """Redact frames as an export would, and score head coverage against the GT.

    Args:
        video: the footage (video frame index i is GT frame i + 1).
        gt_mot_txt: MOTChallenge ground truth (1-based frames, x y w h).
        frames: inclusive 1-based GT frame range.
        subject_gt_id: GT id kept visible (None: the longest GT track; -1: no subject).
        detector: a `PersonDetector` (its own score threshold applies); None uses the GT boxes
            themselves as "detections" (checks the redaction geometry alone).
        config: the export's redaction rules; a fresh `ExportRedactor(config)` redacts this
            frame range, as an export would.
        detections: precomputed detections by GT frame (skips the detector; for comparing
            variants on the same detections).
        face_detector: searched in the head of every person box scoring >= `FACE_PERSON_SCORE`
            and the subject's (its time counts as the detector's); None: no face boxes.
        faces: precomputed face boxes by GT frame (instead of `face_detector`).
        calibration: the camera's calibration spec (as in cameras.yaml): people are ordered by
            ground depth, as an export from a calibrated camera does; None: by image height.
    """
    gt = load_mot(gt_mot_txt, frames)
    if subject_gt_id is None:
        subject_gt_id = longest_gt_id(gt)
    redactor: ExportRedactor | None = None
    by_frame = {int(f): g for f, g in gt.groupby("frame")}
    tally = CoverageTally(subject_gt_id)
    redact_s = detect_s = 0.0
    first, last = frames
    for index, av_frame in iter_frames(Path(video), start_frame=first - 1):
        gt_frame = index + 1
        if gt_frame > last:
            break
        rows = by_frame.get(gt_frame, gt.iloc[:0])
        image = to_bgr(av_frame)
        if redactor is None:
            size = (image.shape[1], image.shape[0])
            redactor = ExportRedactor(config, DepthOrder(build_calibration(calibration), size) if calibration else None)
        t0 = time.perf_counter()
        if detections is not None:
            dets = detections.get(gt_frame, Detections.empty())
        elif detector is not None:
            dets = detector.detect(image)
        else:
            b = rows[["x", "y", "w", "h"]].to_numpy(np.float32)
            dets = Detections(xyxy=np.c_[b[:, :2], b[:, :2] + b[:, 2:]], confidence=np.ones(len(b), np.float32))
        keep = keep_for_frame(dets, rows, subject_gt_id)
        found = faces.get(gt_frame) if faces is not None else None
        if face_detector is not None and found is None:
            found = detect_faces(face_detector, image, face_search_boxes(dets, keep))
        t1 = time.perf_counter()
        regions = redactor.regions(dets, keep, faces=found)
        apply_regions(image, regions)
        t2 = time.perf_counter()
        detect_s += t1 - t0
        redact_s += t2 - t1
        tally.add(gt_frame, rows, redacted_mask(image.shape[:2], regions))
    n = max(tally.frames, 1)
    return tally.scores(1000 * redact_s / n, 1000 * detect_s / n)


def face_search_boxes(dets: Detections, keep: npt.ArrayLike | None) -> npt.NDArray[np.float32]:
    """Person boxes whose heads are searched for faces: confident detections and the subject."""
    boxes = dets.xyxy[dets.confidence >= FACE_PERSON_SCORE].reshape(-1, 4)
    if keep is not None:
        boxes = np.concatenate([boxes, np.asarray(keep, np.float32).reshape(-1, 4)])
    return np.asarray(boxes, np.float32)


def detect_all(video: Path, detector: Any, frames: tuple[int, int]) -> dict[int, Detections]:
    """Detections of every frame in the GT range, keyed by GT frame (for variant sweeps)."""
    out: dict[int, Detections] = {}
    first, last = frames
    for index, av_frame in iter_frames(Path(video), start_frame=first - 1):
        if index + 1 > last:
            break
        out[index + 1] = detector.detect(to_bgr(av_frame))
    return out


def score_regions(gt_mot_txt: Path, regions_by_frame: dict[int, Regions],
                  shape: tuple[int, int], subject_gt_id: int, frames: Iterable[int]) -> RedactionScores:
    """Coverage of already-applied regions (e.g. an export's), keyed by GT frame."""
    gt = load_mot(gt_mot_txt)
    by_frame = {int(f): g for f, g in gt.groupby("frame")}
    tally = CoverageTally(subject_gt_id)
    for f in frames:
        tally.add(f, by_frame.get(f, gt.iloc[:0]), redacted_mask(shape, regions_by_frame.get(f, _NOTHING)))
    return tally.scores()
