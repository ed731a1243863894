"""The tracker's low-score box gate: low boxes only continue a recent track, never start or steal one."""

from __future__ import annotations

import numpy as np

from epitrace.config import TrackerConfig
from epitrace.tracking import make_tracker
from epitrace.tracking.low_gate import LowBoxGate
from epitrace.vision import Detections


def dets(boxes: list[list[float]], scores: list[float], ids: list[int] | None = None) -> Detections:
    """Detections from plain lists (ids -1 unless given)."""
    d = Detections(np.array(boxes, np.float32).reshape(-1, 4), np.array(scores, np.float32))
    if ids is not None:
        d = Detections(d.xyxy, d.confidence, np.array(ids, np.int64), {})
    return d


PERSON = [100.0, 100.0, 130.0, 190.0]
BIN = [300.0, 150.0, 330.0, 190.0]


def test_low_box_needs_a_recent_track_under_it() -> None:
    gate = LowBoxGate(high_score=0.5, iou=0.5, memory_frames=3)
    assert gate.admit(dets([PERSON, BIN], [0.9, 0.35])).tolist() == [True, False]
    gate.observe(dets([PERSON, BIN], [0.9, 0.35], [1, -1]))
    shifted = [102.0, 100.0, 132.0, 190.0]
    assert gate.admit(dets([shifted, BIN], [0.3, 0.35])).tolist() == [True, False]


def test_low_duplicate_of_a_person_with_a_high_box_is_dropped() -> None:
    gate = LowBoxGate(high_score=0.5, iou=0.5, memory_frames=3)
    gate.admit(dets([PERSON], [0.9]))
    gate.observe(dets([PERSON], [0.9], [1]))
    upper_body = [100.0, 100.0, 130.0, 160.0]
    assert gate.admit(dets([PERSON, upper_body], [0.8, 0.3])).tolist() == [True, False]


def test_memory_runs_out_and_zero_iou_passes_everything() -> None:
    gate = LowBoxGate(high_score=0.5, iou=0.5, memory_frames=2)
    gate.admit(dets([PERSON], [0.9]))
    gate.observe(dets([PERSON], [0.9], [1]))
    for _ in range(2):
        gate.admit(dets([], []))
    assert gate.admit(dets([PERSON], [0.3])).tolist() == [False]
    assert LowBoxGate(0.5, 0.0, 2).admit(dets([BIN], [0.2])).tolist() == [True]


def test_tracker_keeps_a_half_hidden_person_through_low_boxes() -> None:
    tracker = make_tracker(TrackerConfig(), fps=7.0, low_gate_iou=0.5)
    ids = []
    for t in range(12):
        box = [100.0 + 2 * t, 100.0, 130.0 + 2 * t, 190.0]
        ids.append(int(tracker.update(dets([box], [0.9 if t < 4 else 0.3])).tracker_id[0]))
    assert ids[3] >= 0 and set(ids[3:]) == {ids[3]}


def walker_then_bin(low_gate_iou: float) -> list[int]:
    """A person walks up to a bin and leaves the frame; the bin scores 0.45 every frame.

    Returns the bin's tracker id per frame after the person has gone.
    """
    tracker = make_tracker(TrackerConfig(), fps=7.0, low_gate_iou=low_gate_iou)
    for t in range(8):  # towards the bin, 10 px a frame; the bin stays under high_score
        tracker.update(dets([[200.0 + 10 * t, 100.0, 230.0 + 10 * t, 190.0], BIN], [0.9, 0.45]))
    return [int(tracker.update(dets([BIN], [0.45])).tracker_id[0]) for _ in range(10)]


def test_a_lost_track_does_not_stick_to_a_static_false_box() -> None:
    assert max(walker_then_bin(0.0)) >= 0  # ByteTrack as published: the lost track takes the bin
    assert walker_then_bin(0.5) == [-1] * 10
