"""Collect tracker output into tracklets: per-id points plus a few image samples.

Samples (person crop and head crop) are cut while the frame is in memory, so the expensive
per-track work (embeddings, faces, masks) runs once per track, not once per detection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from epitrace.tracking.signature import colour_signature
from epitrace.vision.types import Detections

if TYPE_CHECKING:
    from epitrace.tracking.crossing import CrossingRepair


@dataclass
class Sample:
    """Image evidence of a track at one frame."""

    frame: int
    box: npt.NDArray[np.float32]
    quality: float
    person: npt.NDArray[np.uint8]
    head: npt.NDArray[np.uint8]


@dataclass
class Tracklet:
    """A track's points so far. `frames` are video frame indices of analysed frames."""

    local_id: int
    frames: list[int] = field(default_factory=list)
    boxes: list[npt.NDArray[np.float32]] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    signatures: list[npt.NDArray[np.float32]] = field(default_factory=list)  # one per point

    @property
    def start_frame(self) -> int:
        """First frame of the tracklet."""
        return self.frames[0]

    @property
    def last_frame(self) -> int:
        """Last frame of the tracklet."""
        return self.frames[-1]


def head_region(box: npt.NDArray[np.float32], shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A square around where the head of a standing person in `box` should be."""
    x1, y1, x2, y2 = (float(v) for v in box)
    h = max(y2 - y1, 1.0)
    side = max(0.28 * h, 0.7 * (x2 - x1), 8.0)
    cx, cy = (x1 + x2) / 2, y1 + 0.12 * h
    left, top = int(round(cx - side / 2)), int(round(cy - side / 2))
    right, bottom = int(round(cx + side / 2)), int(round(cy + side / 2))
    height, width = shape[:2]
    return max(left, 0), max(top, 0), min(right, width), min(bottom, height)


def _crop(frame: npt.NDArray[np.uint8], x1: float, y1: float, x2: float, y2: float) -> npt.NDArray[np.uint8]:
    h, w = frame.shape[:2]
    left, top = max(int(x1), 0), max(int(y1), 0)
    right, bottom = min(int(np.ceil(x2)), w), min(int(np.ceil(y2)), h)
    return frame[top:bottom, left:right].copy()


class TrackletBuilder:
    """Accumulates tracked detections; hands back tracklets once they can no longer grow.

    Args:
        max_gap_frames: a track unseen for more than this many video frames is finished.
        sample_every: take an image sample every this many points of a track.
        max_samples: keep at most this many samples per track (best quality first).
        repair: re-links identities where tracks cross (`epitrace.tracking.crossing`); None: the
            tracker's ids as they are.

    Tracklets are keyed by identity, not tracker id: `alias` maps each tracker id to its key,
    which the repair permutes when it re-links.
    """

    def __init__(self, max_gap_frames: int, sample_every: int = 3, max_samples: int = 12,
                 repair: CrossingRepair | None = None) -> None:
        self.max_gap_frames = max_gap_frames
        self.sample_every = sample_every
        self.max_samples = max_samples
        self.repair = repair
        self.active: dict[int, Tracklet] = {}
        self.alias: dict[int, int] = {}

    def add(self, frame_index: int, frame: npt.NDArray[np.uint8], tracked: Detections) -> None:
        """Append the confirmed boxes of one analysed frame to their tracklets (samples cut now)."""
        born = []
        for i in np.flatnonzero(tracked.tracker_id >= 0):
            tracker_id = int(tracked.tracker_id[i])
            if tracker_id not in self.alias:
                self.alias[tracker_id] = tracker_id
                born.append(tracker_id)
            tid = self.alias[tracker_id]
            box = tracked.xyxy[i]
            t = self.active.setdefault(tid, Tracklet(local_id=tid))
            t.frames.append(frame_index)
            t.boxes.append(box.copy())
            t.confidence.append(float(tracked.confidence[i]))
            t.signatures.append(colour_signature(_crop(frame, *box)))
            if (len(t.frames) - 1) % self.sample_every == 0:
                self._sample(t, frame_index, frame, box, float(tracked.confidence[i]))
        if self.repair is not None:
            for key in born:
                self.repair.born(key, frame_index, self.active)
            for perm in self.repair.decide(frame_index, self.active):
                self.alias = {tracker_id: perm.get(key, key) for tracker_id, key in self.alias.items()}

    def _sample(self, t: Tracklet, index: int, frame: npt.NDArray[np.uint8],
                box: npt.NDArray[np.float32], score: float) -> None:
        area = float((box[2] - box[0]) * (box[3] - box[1]))
        h, w = frame.shape[:2]
        inside = box[0] > 2 and box[1] > 2 and box[2] < w - 2 and box[3] < h - 2
        quality = score * np.sqrt(max(area, 1.0)) * (1.0 if inside else 0.5)
        hx1, hy1, hx2, hy2 = head_region(box, frame.shape)
        sample = Sample(index, box.copy(), quality, _crop(frame, *box), frame[hy1:hy2, hx1:hx2].copy())
        if sample.person.size == 0:
            return
        t.samples.append(sample)
        if len(t.samples) > self.max_samples:
            # Drop the worst sample, but never the first or last: they anchor the time span.
            worst = min(range(1, len(t.samples) - 1), key=lambda k: t.samples[k].quality)
            t.samples.pop(worst)

    def pop_finished(self, frame_index: int) -> list[Tracklet]:
        """Tracklets not seen for more than `max_gap_frames` before `frame_index`."""
        done = [tid for tid, t in self.active.items()
                if frame_index - t.last_frame > self.max_gap_frames]
        return [self.active.pop(tid) for tid in done]

    def pop_all(self) -> list[Tracklet]:
        """End and return every open tracklet (a cut or the end of the video)."""
        done = list(self.active.values())
        self.active.clear()
        self.alias.clear()
        if self.repair is not None:
            self.repair.reset()
        return done

    def earliest_active_frame(self) -> int | None:
        """First frame of the oldest open tracklet (None: none open): the resume safe point."""
        return min((t.start_frame for t in self.active.values()), default=None)
