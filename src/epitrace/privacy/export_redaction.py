"""Redaction of frames that leave the system (evidence clips): every head but the subjects'.

The analysis detector runs at score 0.3, which misses small, occluded or blurred people in a
few percent of frames; a missed person in an exported clip is a recognisable bystander. For
export, redaction is therefore stricter than tracking. Measured on PETS S2L1 frames 1-400 with
`epitrace.evaluation.redaction` (CenterNet at 640 px; subject = GT id 9, the longest track):
the tracking-time rule (`redact.head_boxes` of detections >= 0.3) hides 80.7% of bystanders'
heads; these defaults hide 99.25% with the subject kept, and 99.7% when nobody is kept:

- detections down to `score_threshold` 0.1 (not 0.3) are redacted: a false positive only costs
  a mosaicked patch of background, and low-score peaks are often half-occluded people;
- the head region is the top 30% of the box (at least one box width tall, so head-only boxes
  are covered whole), widened 35% of the box width on each side and raised 20% of its height:
  CenterNet boxes are narrower and lower than annotated ones;
- boxes of the previous `carry_frames` (5) frames are mosaicked too (a short miss stays covered);
- a box is the subject when its head point (top centre) lies within a quarter of the subject
  box's width and a tenth of its height of the subject's, or it overlaps the subject's box at
  IoU >= `keep_iou` (0.3); such boxes are spared, in the current frame and when carried;
- the subject's own head (top 18% of its box, 15% margin) is pasted back after mosaicking;
- **bystanders win** (`bystander_priority`): where another person's head overlaps the
  subject's, that person's head core (top 25% of its box, 20% of its width each side) is
  mosaicked again over the pasted-back subject. Without this rule (the subject wins) 95.6% of
  bystanders are hidden and the subject's head is clear in 90.2% of frames; with it 99.25% are
  hidden and the subject's head is clear in 40% of frames: people walking beside the subject
  take part of the subject's head with them (`epitrace eval redaction`; a real export from
  stored tracks, `--export`: 99.70% hidden, subject clear in 41%).
  Privacy of the people who are not the case decides, so this is the default.
- **depth** (`depth_order`): a person whose feet (box bottom) are lower in the image stands
  nearer the camera (`in_front`). Cores of people in front of the subject are mosaicked last
  (`hide`), over everything; cores of people behind (`cover`) come before the subject's
  detected face is pasted back (`unveil`), so someone behind never hides the subject's face.
- **faces** (`faces`, from `face_regions.detect_faces`): a face box whose centre lies in the
  subject's head (middle 60% of the box width, top 20%) is the subject's and is unveiled unless
  someone in front covers it; every other face box is mosaicked last, exactly (+25% margin).

  Measured on the same frames (frames mode, detections cached; `cover_behind=False` leaves the
  heads of people behind to the subject): depth alone 98.30% hidden / subject clear in 65.8%
  of frames (a real export, `--export`: 99.10% / 64.0%); + the subject's top 18% unveiled over
  people behind (`cover_behind`, `unveil_share=0.18`) 98.65% / 54.8%; cores of current boxes
  only (`carry_cores=False`) 97.4% / 74.5%. No variant tried kept >= 99% in frames mode with
  the subject clear in more than 40%: at PETS scale a neighbour's full-width head region takes
  >= 10% of the subject's whenever they walk shoulder to shoulder. So the defaults keep people
  behind covered and unveil only the subject's face: without a face detector they give exactly
  the bystanders-win figures above; with CenterFace on head crops 99.10% / 40.25% (the
  subject's face shows where the detector found it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import NamedTuple

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
    keep_iou: float = 0.3  # boxes at IoU >= this with a keep box are the subject: spared
    keep_inside: float = 1.01  # also spare boxes with this share inside a keep box (off)
    same_head_x: float = 0.25  # ... and boxes whose head point is this share of the keep box's
    same_head_y: float = 0.1  # width / height from the keep box's head point (fragments)
    restore_subject: bool = True  # paste the subject's own head back after mosaicking
    restore_margin: float = 0.15  # widen the pasted-back subject head by this share of its width
    bystander_priority: bool = True  # other people's head cores are mosaicked over the subject's
    core_share: float = 0.25  # head core of a bystander: top share of its box height ...
    core_side: float = 0.2  # ... widened by this share of its width each side ...
    core_top: float = 0.15  # ... and raised by this share of its height
    depth_order: bool = True  # only bystanders in front of the subject (feet lower) cover its head
    front_margin: float = 0.0  # "in front": feet lower by more than this share of the subject's height
    cover_behind: bool = True  # also cover with the cores of people behind, then unveil ...
    unveil_share: float = 0.0  # ... the subject's own head: top share of its box height (0: its face only) ...
    unveil_side: float = 0.0  # ... narrowed by this share of its width each side (negative: wider)
    carry_cores: bool = True  # carried boxes (earlier frames) also cover a subject's head
    face_margin: float = 0.25  # widen face boxes by this share of their size each side
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


def box_iou(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of every box of `a` with every box of `b`: (n, m)."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _inside(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
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


def _head_points(boxes: BoxArray) -> npt.NDArray[np.float32]:
    """Top-centre point of each box (x centre, 9% down): where a person's head is."""
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 1] + 0.09 * (b[:, 3] - b[:, 1])], axis=1)


def _keep_array(keep_box: npt.ArrayLike | None) -> BoxArray:
    if keep_box is None:
        return np.empty((0, 4), np.float32)
    return np.asarray(keep_box, np.float32).reshape(-1, 4)


_NONE = np.empty((0, 4), np.float32)


class Regions(NamedTuple):
    """What one exported frame gets, applied in order by `apply_regions`.

    `mosaic` regions are pixelated, then `clear` (the subjects' heads) is pasted back from the
    original, then `cover` (head cores of people behind a subject, under `cover_behind`) is
    pixelated, `unveil` (the subjects' detected faces) pasted back again, and last `hide`
    (cores of people in front of a subject, and every bystander's detected face) pixelated.
    """

    mosaic: BoxArray
    clear: BoxArray
    cover: BoxArray
    unveil: BoxArray = _NONE
    hide: BoxArray = _NONE


def in_front(boxes: npt.ArrayLike, keep: npt.ArrayLike, margin: float = 0.0) -> npt.NDArray[np.bool_]:
    """(n, k): box i stands in front of keep box j (nearer the camera).

    On a ground plane seen from above the horizon (CCTV), a person nearer the camera has their
    feet lower in the image; the feet are the box bottom. `margin` is a share of the keep box's
    height the feet must be lower by.
    """
    b, k = np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(keep, np.float32).reshape(-1, 4)
    return np.asarray(b[:, None, 3] > k[None, :, 3] + margin * (k[None, :, 3] - k[None, :, 1]), bool)


def _grow(boxes: npt.ArrayLike, share: float) -> BoxArray:
    b = np.asarray(boxes, np.float32).reshape(-1, 4)
    d = share * np.stack([b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], axis=1)
    return np.concatenate([b[:, :2] - d, b[:, 2:] + d], axis=1).astype(np.float32)


class ExportRedactor:
    """Stateful redactor for consecutive frames of one clip (it remembers recent boxes).

    Example:
        >>> r = ExportRedactor()  # doctest: +SKIP
        >>> for frame in frames:  # doctest: +SKIP
        ...     out = r(frame, detector.detect(frame), keep_box=subject_box)
    """

    def __init__(self, config: ExportRedactionConfig = DEFAULT_CONFIG) -> None:
        self.config = config
        self._core_config = replace(config, head_share=config.core_share, side_margin=config.core_side,
                                    top_margin=config.core_top)
        self._recent: deque[BoxArray] = deque(maxlen=max(config.carry_frames, 1))
        self._current = 0

    def is_subject(self, boxes: npt.ArrayLike, keep_box: npt.ArrayLike | None) -> npt.NDArray[np.bool_]:
        """Which `boxes` are the subject: their head is the subject's, or they overlap it well."""
        b, keep, cfg = np.asarray(boxes, np.float32).reshape(-1, 4), _keep_array(keep_box), self.config
        if not len(b) or not len(keep):
            return np.zeros(len(b), bool)
        p, k = _head_points(b), _head_points(keep)
        kw, kh = keep[:, 2] - keep[:, 0], keep[:, 3] - keep[:, 1]
        same_head = ((np.abs(p[:, None, 0] - k[None, :, 0]) < cfg.same_head_x * kw[None])
                     & (np.abs(p[:, None, 1] - k[None, :, 1]) < cfg.same_head_y * kh[None]))
        overlap = (box_iou(b, keep) >= cfg.keep_iou) | (_inside(b, keep) >= cfg.keep_inside)
        return np.asarray((same_head | overlap).any(axis=1), bool)

    def person_boxes(self, detections: Detections | npt.ArrayLike,
                     keep_box: npt.ArrayLike | None = None) -> BoxArray:
        """Other people's boxes in this frame: current detections plus the recent frames'."""
        current = _person_boxes(detections, self.config.score_threshold)
        carried = list(self._recent) if self.config.carry_frames > 0 else []
        held = np.concatenate([current, *carried]).reshape(-1, 4).astype(np.float32)
        subject = self.is_subject(held, keep_box)
        self._recent.appendleft(current[~subject[: len(current)]])
        self._current = int((~subject[: len(current)]).sum())  # they come first in the result
        return held[~subject]

    def clear_regions(self, keep_box: npt.ArrayLike | None) -> BoxArray:
        """Subject head regions pasted back unmosaicked (empty unless `restore_subject`)."""
        keep = _keep_array(keep_box)
        if not self.config.restore_subject or not len(keep):
            return _NONE
        w, h = keep[:, 2] - keep[:, 0], keep[:, 3] - keep[:, 1]
        m = self.config.restore_margin * w
        return np.stack([keep[:, 0] - m, keep[:, 1] - m, keep[:, 2] + m, keep[:, 1] + 0.18 * h + m],
                        axis=1).astype(np.float32)

    def own_heads(self, keep: BoxArray) -> BoxArray:
        """The subjects' tight heads, unveiled over the cores of people behind them."""
        w, h = keep[:, 2] - keep[:, 0], keep[:, 3] - keep[:, 1]
        m = self.config.unveil_side * w
        return np.stack([keep[:, 0] + m, keep[:, 1], keep[:, 2] - m, keep[:, 1] + self.config.unveil_share * h],
                        axis=1).astype(np.float32)

    def head_cores(self, person_boxes: npt.ArrayLike) -> BoxArray:
        """Tighter head regions of bystanders, mosaicked over a subject's pasted-back head."""
        return export_head_boxes(person_boxes, self._core_config)

    def head_boxes(self, detections: Detections | npt.ArrayLike,
                   keep_box: npt.ArrayLike | None = None) -> BoxArray:
        """The regions mosaicked in this frame (before the subject is pasted back)."""
        return export_head_boxes(self.person_boxes(detections, keep_box), self.config)

    def subject_faces(self, faces: npt.ArrayLike | None, keep_box: npt.ArrayLike | None) -> npt.NDArray[np.bool_]:
        """Which face boxes are a subject's: centre within the subject's head (top 20%, middle 60%)."""
        f, keep = np.asarray(faces if faces is not None else _NONE, np.float32).reshape(-1, 4), _keep_array(keep_box)
        if not len(f) or not len(keep):
            return np.zeros(len(f), bool)
        cx, cy = (f[:, 0] + f[:, 2]) / 2, (f[:, 1] + f[:, 3]) / 2
        w, h = keep[:, 2] - keep[:, 0], keep[:, 3] - keep[:, 1]
        inside = ((cx[:, None] > keep[None, :, 0] + 0.2 * w) & (cx[:, None] < keep[None, :, 2] - 0.2 * w)
                  & (cy[:, None] > keep[None, :, 1] - 0.05 * h) & (cy[:, None] < keep[None, :, 1] + 0.2 * h))
        return np.asarray(inside.any(axis=1), bool)

    def regions(self, detections: Detections | npt.ArrayLike, keep_box: npt.ArrayLike | None = None,
                always: npt.ArrayLike | None = None, faces: npt.ArrayLike | None = None) -> Regions:
        """Mosaic, clear, cover, unveil and hide regions of this frame (see `Regions`).

        `always` are person boxes redacted whatever their overlap with the subject (e.g. stored
        tracks known to be other people). `faces` are face boxes found in this frame (e.g.
        `face_regions.detect_faces`): a subject's is kept clear unless someone in front covers
        it, everyone else's is mosaicked last, exactly where the detector put it.
        """
        cfg = self.config
        others = self.person_boxes(detections, keep_box)
        # boxes that may cover a subject's head: carried ones trail their walking owner
        coverers = others if cfg.carry_cores else others[: self._current]
        if always is not None:
            others = np.concatenate([others, np.asarray(always, np.float32).reshape(-1, 4)])
            coverers = np.concatenate([coverers, np.asarray(always, np.float32).reshape(-1, 4)])
        keep, clear = _keep_array(keep_box), self.clear_regions(keep_box)
        face_boxes = np.asarray(faces if faces is not None else _NONE, np.float32).reshape(-1, 4)
        own = self.subject_faces(face_boxes, keep_box) if len(keep) else np.zeros(len(face_boxes), bool)
        cover, unveil, hide = _NONE, _NONE, _grow(face_boxes[~own], cfg.face_margin)
        if cfg.bystander_priority and len(clear) and len(coverers):
            cores = self.head_cores(coverers)
            touches = box_iou(cores, clear) > 0  # (coverers, subjects)
            front = in_front(coverers, keep, cfg.front_margin) if cfg.depth_order else np.ones_like(touches)
            hide = np.concatenate([cores[(touches & front).any(axis=1)], hide])
            if cfg.cover_behind:
                cover = cores[(touches & ~front).any(axis=1)]
        unveil = _grow(face_boxes[own], cfg.face_margin)
        if len(cover) and cfg.unveil_share > 0:
            unveil = np.concatenate([self.own_heads(keep), unveil])
        return Regions(export_head_boxes(others, cfg), clear, cover, unveil, hide)

    def __call__(self, frame: npt.NDArray[np.uint8], detections: Detections | npt.ArrayLike,
                 keep_box: npt.ArrayLike | None = None,
                 always: npt.ArrayLike | None = None) -> npt.NDArray[np.uint8]:
        """Redact `frame` given the person detections of that frame."""
        return apply_regions(frame, self.regions(detections, keep_box, always), block=self.config.block)


def _paste(out: npt.NDArray[np.uint8], frame: npt.NDArray[np.uint8], boxes: npt.ArrayLike) -> None:
    h, w = frame.shape[:2]
    for x1, y1, x2, y2 in np.asarray(boxes, np.float32).reshape(-1, 4):
        left, t = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        r, b = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
        if r > left and b > t:
            out[t:b, left:r] = frame[t:b, left:r]


def apply_regions(frame: npt.NDArray[np.uint8], regions: Regions, block: int = 8) -> npt.NDArray[np.uint8]:
    """Mosaic `mosaic`, paste `clear` back, mosaic `cover`, paste `unveil` back, mosaic `hide`."""
    out = mosaic(frame, regions.mosaic, block=block)
    _paste(out, frame, regions.clear)
    if len(regions.cover):
        out = mosaic(out, regions.cover, block=block)
    _paste(out, frame, regions.unveil)
    return mosaic(out, regions.hide, block=block) if len(regions.hide) else out


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
