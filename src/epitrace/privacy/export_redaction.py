"""Redaction of frames that leave the system (evidence clips): every head but the subjects'.

The analysis detector runs at score 0.3, which misses small, occluded or blurred people in a
few percent of frames; a missed person in an exported clip is a recognisable bystander. For
export, redaction is therefore stricter than tracking. Measured on PETS S2L1 frames 1-400 with
`epitrace.evaluation.redaction` (CenterNet at 640 px; subject = GT id 9, the longest track):
the tracking-time rule (`redact.head_boxes` of detections >= 0.3) hides 80.7% of bystanders'
heads; these defaults hide 95.6% while leaving the subject's head clear in 90.2% of frames, and
99.7% when nobody is kept (no subject in view):

- detections down to `score_threshold` 0.1 (not 0.3) are redacted: a false positive only costs
  a mosaicked patch of background, and low-score peaks are often half-occluded people;
- the head region is the top 30% of the box (at least one box width tall, so head-only boxes
  are covered whole), widened 35% of the box width on each side and raised 20% of its height:
  CenterNet boxes are narrower and lower than annotated ones;
- boxes of the previous `carry_frames` (5) frames are mosaicked too (a short miss stays covered);
  the subject is recognised in each frame before boxes are carried, so it is never carried;
- boxes overlapping the subject's (`keep_box`) at IoU >= 0.5 are the subject and spared, and
  the subject's own head (top 18% of its box, 15% margin) is pasted back after mosaicking, so a
  neighbour's widened region does not cover it.

The remaining misses are people standing right behind or beside the subject (their head is
inside the subject's pasted-back head region) and people the detector never finds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from epitrace.privacy.redact import mosaic
from epitrace.vision.types import Detections

BoxArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ExportRedactionConfig:
    """How aggressively exported frames are redacted (defaults: the best measured variant)."""

    score_threshold: float = 0.1  # detections at or above this are redacted (tracking: 0.3)
    head_share: float = 0.3  # top share of the box height mosaicked
    side_margin: float = 0.35  # widen each side by this share of the box width
    top_margin: float = 0.2  # raise the top by this share of the box height
    head_min_width: float = 1.0  # head height >= this many box widths (head-only boxes: all)
    carry_frames: int = 5  # also mosaic the boxes of this many previous frames
    keep_iou: float = 0.5  # boxes at IoU >= this with a keep box are the subject: spared
    keep_inside: float = 1.01  # also spare boxes with this share inside a keep box (off)
    restore_subject: bool = True  # paste the subject's own head back after mosaicking
    restore_margin: float = 0.15  # widen the pasted-back subject head by this share of its width
    block: int = 8


DEFAULT_CONFIG = ExportRedactionConfig()


def export_head_boxes(person_boxes: npt.ArrayLike, config: ExportRedactionConfig = DEFAULT_CONFIG) -> BoxArray:
    """Head regions (x1, y1, x2, y2) of person boxes under `config`'s proportions."""
    b = np.asarray(person_boxes, np.float32).reshape(-1, 4)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    return np.stack([b[:, 0] - config.side_margin * w, b[:, 1] - config.top_margin * h,
                     b[:, 2] + config.side_margin * w,
                     b[:, 1] + np.minimum(np.maximum(config.head_share * h, config.head_min_width * w), h)],
                    axis=1).astype(np.float32)


def box_iou(a: BoxArray, b: BoxArray) -> npt.NDArray[np.float64]:
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _inside(a: BoxArray, b: BoxArray) -> npt.NDArray[np.float64]:
    """Share of each box of `a` lying inside each box of `b`: (n, m)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    area = np.maximum((a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]), 1e-6)
    return np.clip(iw, 0, None) * np.clip(ih, 0, None) / area[:, None]


def _person_boxes(detections: Detections | npt.ArrayLike, threshold: float) -> BoxArray:
    if isinstance(detections, Detections):
        return detections.xyxy[detections.confidence >= threshold]
    return np.asarray(detections, np.float32).reshape(-1, 4)


def _keep_array(keep_box: npt.ArrayLike | None) -> BoxArray:
    if keep_box is None:
        return np.empty((0, 4), np.float32)
    return np.asarray(keep_box, np.float32).reshape(-1, 4)


class ExportRedactor:
    """Stateful redactor for consecutive frames of one clip (it remembers recent boxes).

    Example:
        >>> r = ExportRedactor()  # doctest: +SKIP
        >>> for frame in frames:  # doctest: +SKIP
        ...     out = r(frame, detector.detect(frame), keep_box=subject_box)
    """

    def __init__(self, config: ExportRedactionConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._recent: deque[BoxArray] = deque(maxlen=max(config.carry_frames, 0) or None)
        if config.carry_frames <= 0:
            self._recent = deque(maxlen=1)

    def person_boxes(self, detections: Detections | npt.ArrayLike,
                     keep_box: npt.ArrayLike | None = None) -> BoxArray:
        """Person boxes whose heads are mosaicked in this frame (recent ones included)."""
        cfg = self.config
        current = _person_boxes(detections, cfg.score_threshold)
        keep = _keep_array(keep_box)
        if len(keep) and len(current):  # the subject is recognised in its own frame, then carried
            spare = (box_iou(current, keep) >= cfg.keep_iou) | (_inside(current, keep) >= cfg.keep_inside)
            current = current[~spare.any(axis=1)]
        held = [current] + (list(self._recent) if cfg.carry_frames > 0 else [])
        self._recent.appendleft(current)
        return np.concatenate(held) if held else np.empty((0, 4), np.float32)

    def clear_regions(self, keep_box: npt.ArrayLike | None) -> BoxArray:
        """Subject head regions pasted back unmosaicked (empty unless `restore_subject`)."""
        keep = _keep_array(keep_box)
        if not self.config.restore_subject or not len(keep):
            return np.empty((0, 4), np.float32)
        w, h = keep[:, 2] - keep[:, 0], keep[:, 3] - keep[:, 1]
        m = self.config.restore_margin * w
        return np.stack([keep[:, 0] - m, keep[:, 1] - m, keep[:, 2] + m, keep[:, 1] + 0.18 * h + m],
                        axis=1).astype(np.float32) if len(w) else keep

    def head_boxes(self, detections: Detections | npt.ArrayLike,
                   keep_box: npt.ArrayLike | None = None) -> BoxArray:
        """The regions mosaicked in this frame."""
        return export_head_boxes(self.person_boxes(detections, keep_box), self.config)

    def regions(self, detections: Detections | npt.ArrayLike, keep_box: npt.ArrayLike | None = None,
                always: npt.ArrayLike | None = None) -> tuple[BoxArray, BoxArray]:
        """(regions to mosaic, subject head regions pasted back clear) for this frame.

        `always` are person boxes redacted whatever their overlap with the subject (e.g. stored
        tracks known to be other people).
        """
        heads = self.head_boxes(detections, keep_box)
        if always is not None:
            heads = np.concatenate([heads, export_head_boxes(always, self.config)])
        return heads, self.clear_regions(keep_box)

    def __call__(self, frame: npt.NDArray[np.uint8], detections: Detections | npt.ArrayLike,
                 keep_box: npt.ArrayLike | None = None,
                 always: npt.ArrayLike | None = None) -> npt.NDArray[np.uint8]:
        heads, clear = self.regions(detections, keep_box, always)
        return apply_regions(frame, heads, clear, self.config.block)


def apply_regions(frame: npt.NDArray[np.uint8], heads: npt.ArrayLike, clear: npt.ArrayLike,
                  block: int = 8) -> npt.NDArray[np.uint8]:
    """Mosaic `heads`, then paste the original pixels of `clear` back."""
    out = mosaic(frame, heads, block=block)
    h, w = frame.shape[:2]
    for x1, y1, x2, y2 in np.asarray(clear, np.float32).reshape(-1, 4):
        left, t = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        r, b = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        if r > left and b > t:
            out[t:b, left:r] = frame[t:b, left:r]
    return out


def redact_frame_for_export(frame: npt.NDArray[np.uint8], detections: Detections | npt.ArrayLike,
                            keep_box: npt.ArrayLike | None = None, *,
                            previous: Detections | npt.ArrayLike | None = None,
                            config: ExportRedactionConfig = DEFAULT_CONFIG) -> npt.NDArray[np.uint8]:
    """Copy of `frame` with every person's head mosaicked except the subject's (`keep_box`).

    Args:
        frame: BGR image.
        detections: person `Detections` (filtered at `config.score_threshold`), or plain
            (n, 4) x1 y1 x2 y2 boxes (all redacted, e.g. stored track boxes).
        keep_box: the subject's box (4,) or boxes (k, 4); None redacts everyone.
        previous: the previous frame's detections (temporal carry-over), if known.
        config: proportions and thresholds.
    """
    redactor = ExportRedactor(config)
    if previous is not None and config.carry_frames > 0:
        redactor.person_boxes(previous)
    return redactor(frame, detections, keep_box)
