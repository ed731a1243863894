"""Per-camera multi-object tracking behind one small interface (trackers' ByteTrack/OC-SORT).

The third-party tracker is wrapped so that it stays swappable and so that our `Detections`
value, not the library's, crosses the boundary.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from epitrace.config import TrackerConfig
from epitrace.tracking.low_gate import LowBoxGate
from epitrace.vision.types import Detections


class Tracker(ABC):
    """Assigns a stable id per camera to each person box over consecutive analysed frames."""

    @abstractmethod
    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Detections:
        """Returns a copy of `detections` with `tracker_id` set (-1: not yet confirmed)."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every track (a cut: the next frame starts from nothing)."""


class TrackersLibTracker(Tracker):
    """Adapter over the `trackers` package (Roboflow's clean-room ByteTrack / OC-SORT / SORT).

    Boxes under `config.high_score` pass `LowBoxGate` first (`low_gate_iou` 0: all pass).
    """

    def __init__(self, config: TrackerConfig, fps: float, low_gate_iou: float = 0.0) -> None:
        self.config = config
        self.fps = fps
        self._impl: Any = None  # the library's tracker (its three classes share no base)
        self.gate = LowBoxGate(config.high_score, low_gate_iou, max(1, round(config.low_gate_s * fps)))
        self.reset()

    def reset(self) -> None:
        """A fresh library tracker (its ids start again)."""
        import trackers

        c = self.config
        self.gate.reset()
        # trackers counts its buffer in 30-fps frames and rescales by frame_rate itself.
        buffer_frames = max(1, round(c.lost_buffer_s * 30))
        if c.name == "bytetrack":
            self._impl = trackers.ByteTrackTracker(
                lost_track_buffer=buffer_frames, frame_rate=self.fps,
                track_activation_threshold=c.activation, minimum_consecutive_frames=c.min_consecutive,
                minimum_iou_threshold=c.min_iou, high_conf_det_threshold=c.high_score,
            )
        elif c.name == "ocsort":
            self._impl = trackers.OCSORTTracker(
                lost_track_buffer=buffer_frames, frame_rate=self.fps,
                minimum_consecutive_frames=c.min_consecutive, minimum_iou_threshold=c.min_iou,
                high_conf_det_threshold=c.high_score,
            )
        else:
            self._impl = trackers.SORTTracker(
                lost_track_buffer=buffer_frames, frame_rate=self.fps,
                track_activation_threshold=c.activation, minimum_consecutive_frames=c.min_consecutive,
                minimum_iou_threshold=c.min_iou,
            )

    def update(self, detections: Detections, frame: np.ndarray | None = None) -> Detections:
        """Returns a copy of `detections` with `tracker_id` set (-1: not yet confirmed)."""
        import supervision as sv

        rows = np.flatnonzero(self.gate.admit(detections))
        sv_dets = sv.Detections(
            xyxy=detections.xyxy[rows].astype(np.float32).reshape(-1, 4),
            confidence=detections.confidence[rows].astype(np.float32),
            class_id=np.zeros(len(rows), int),
            data={"row": rows},
        )
        tracked = self._impl.update(sv_dets, frame=frame)
        ids = np.full(len(detections), -1, np.int64)
        if len(tracked) and tracked.tracker_id is not None:
            ids[np.asarray(tracked.data["row"], np.int64)] = np.asarray(tracked.tracker_id, np.int64)
        out = Detections(detections.xyxy, detections.confidence, ids, dict(detections.data))
        self.gate.observe(out)
        return out


def make_tracker(config: TrackerConfig, fps: float, low_gate_iou: float | None = None) -> Tracker:
    """The tracker named in `config`, running at `fps` analysed frames per second.

    Args:
        config: which tracker and its thresholds.
        fps: analysed frames per second.
        low_gate_iou: `LowBoxGate` overlap when `config.low_gate_iou` is unset (the person
            detector's own default); 0 when both are unset.
    """
    gate = config.low_gate_iou if config.low_gate_iou is not None else (low_gate_iou or 0.0)
    return TrackersLibTracker(config, fps, gate)
