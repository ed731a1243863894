"""Cause counts of the subject's hidden frames, on hand-made boxes with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd

from epitrace.evaluation.redaction_causes import format_causes, subject_hidden_causes
from epitrace.vision.types import Detections

SHAPE = (200, 300)
SUBJECT = [100, 40, 30, 75]  # x, y, w, h like a PETS person
IN_FRONT = [110, 44, 30, 75]  # head at the subject's face, feet 4 px lower: nearer the camera
BEHIND = [112, 30, 30, 75]  # at the subject's shoulder, feet 10 px higher
FAR = [220, 40, 30, 75]


def gt(frames: dict[int, dict[int, list[int]]]) -> pd.DataFrame:
    rows = [{"frame": f, "id": i, "x": b[0], "y": b[1], "w": b[2], "h": b[3]}
            for f, people in frames.items() for i, b in people.items()]
    return pd.DataFrame(rows)


def dets(*xywh: list[int]) -> Detections:
    b = np.array(xywh, np.float32).reshape(-1, 4)
    return Detections(xyxy=np.c_[b[:, :2], b[:, :2] + b[:, 2:]], confidence=np.full(len(b), 0.9, np.float32))


def test_a_bystander_in_front_is_named_and_a_clear_frame_is_not_counted() -> None:
    truth = gt({1: {9: SUBJECT, 2: FAR}, 2: {9: SUBJECT, 2: IN_FRONT}})
    found = {1: dets(SUBJECT, FAR), 2: dets(SUBJECT, IN_FRONT)}
    counts = subject_hidden_causes(truth, found, (1, 2), 9, SHAPE)
    assert counts.subject_frames == 2 and counts.hidden_frames == 1
    assert counts.dominant == {"core of a box in front (current) of a bystander": 1}
    assert counts.sole == {"core of a box in front (current) of a bystander": 1}
    assert "head hidden in 1" in format_causes(counts)


def test_a_carried_box_is_judged_by_the_frame_it_was_found_in() -> None:
    # frame 1: a bystander stands in front at the subject's face; frame 2: not found, its box carried on
    truth = gt({1: {9: SUBJECT, 2: IN_FRONT}, 2: {9: SUBJECT}})
    found = {1: dets(SUBJECT, IN_FRONT), 2: dets(SUBJECT)}
    counts = subject_hidden_causes(truth, found, (1, 2), 9, SHAPE)
    assert counts.hidden_frames == 2
    assert counts.dominant == {"core of a box in front (current) of a bystander": 1,
                               "core of a box in front (carried) of a bystander": 1}


def test_someone_behind_leaves_the_subjects_head_clear() -> None:
    truth = gt({1: {9: SUBJECT, 2: BEHIND}})
    counts = subject_hidden_causes(truth, {1: dets(SUBJECT, BEHIND)}, (1, 1), 9, SHAPE)
    assert counts.subject_frames == 1 and counts.hidden_frames == 0 and counts.dominant == {}
