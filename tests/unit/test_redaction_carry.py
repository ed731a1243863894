"""Carried boxes and subject fragments in export redaction, on hand-made boxes.

Each rule that lets the subject's head show more is paired with a check that a bystander who
needs hiding still is (the product promise: nobody's face but the subject's leaves clear).
Depth here is image height (no calibration): lower feet are nearer the camera.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from epitrace.evaluation.redaction import covered_shares, keep_for_frame, redacted_mask
from epitrace.privacy.carry import CarryMemory
from epitrace.privacy.export_redaction import DEFAULT_CONFIG, ExportRedactor, Regions
from epitrace.vision.types import Detections

SHAPE = (200, 400)
SUBJECT = np.array([100, 40, 130, 115], np.float32)  # a 30 x 75 px person, like PETS
OLD = replace(DEFAULT_CONFIG, carry_predict=False, explained_cores=True, occluded_cores=True,
              fragment_inside=1.01, fragment_feet=-9.0)


def head(box: np.ndarray, widen: float = 0.0) -> np.ndarray:
    """The scorer's head region of a box (top 18%, full width), `widen` px wider each side."""
    x1, y1, x2, y2 = box
    return np.array([[x1 - widen, y1, x2 + widen, y1 + 0.18 * (y2 - y1)]], np.float32)


def hidden(regions: Regions, box: np.ndarray, widen: float = 0.0) -> float:
    """Share of `box`'s head left mosaicked by `regions`."""
    return float(covered_shares(redacted_mask(SHAPE, regions), head(box, widen))[0])


def walker(x: float, y: float = 48.0) -> np.ndarray:
    """A bystander's 32 x 80 box at (x, y): feet at y + 80."""
    return np.array([x, y, x + 32, y + 80], np.float32)


def test_a_missed_walker_stays_covered_where_they_walked_to() -> None:
    step, path = 10.0, [walker(200 + 10.0 * t) for t in range(5)]

    def last_frame(config: object) -> float:
        r = ExportRedactor(config)  # type: ignore[arg-type]
        for box in path[:3]:
            r.regions(box[None])
        r.regions(np.empty((0, 4), np.float32))  # missed in frames 3 and 4
        return hidden(r.regions(np.empty((0, 4), np.float32)), path[4])

    assert step > 0 and last_frame(DEFAULT_CONFIG) >= 0.9  # carried at its predicted place
    assert last_frame(replace(DEFAULT_CONFIG, carry_predict=False)) < 0.9  # where last seen: the face shows


def test_a_bystander_found_again_no_longer_hides_the_subject_from_where_they_were() -> None:
    # a bystander in front (feet lower) walks across the subject's head and is found in every frame
    path = [walker(x, 50) for x in (96.0, 112.0, 128.0)]

    def run(config: object) -> Regions:
        r = ExportRedactor(config)  # type: ignore[arg-type]
        for box in path[:-1]:
            r.regions(box[None], keep_box=SUBJECT)
        return r.regions(path[-1][None], keep_box=SUBJECT)

    now = run(DEFAULT_CONFIG)
    assert hidden(now, path[-1]) >= 0.9  # the bystander, where they are now, is hidden
    assert hidden(now, SUBJECT) < 0.1  # their old boxes (found again since) no longer hide the subject
    assert hidden(run(OLD), SUBJECT) >= 0.1  # the old rule: every carried box covered the subject's head


def test_a_bystander_in_front_missed_over_the_subjects_head_stays_hidden() -> None:
    # walking right to left in front of the subject, missed in the last frame over its head
    path = [walker(x, 50) for x in (140.0, 128.0, 116.0, 104.0)]
    r = ExportRedactor()
    for box in path[:3]:
        r.regions(box[None], keep_box=SUBJECT)
    regions = r.regions(np.empty((0, 4), np.float32), keep_box=SUBJECT)
    assert hidden(regions, path[3]) >= 0.9  # carried forward, over the subject's head: hidden anyway


def test_someone_last_seen_behind_the_subject_and_missed_does_not_cover_its_head() -> None:
    behind = walker(104, 30)  # feet at 110, above the subject's 115: behind, overlapping it
    wide = 3.0  # the subject's true head is a little wider than its box (boxes are narrower than annotations)

    def run(config: object) -> Regions:
        r = ExportRedactor(config)  # type: ignore[arg-type]
        r.regions(behind[None], keep_box=SUBJECT)
        return r.regions(np.empty((0, 4), np.float32), keep_box=SUBJECT)  # now occluded by the subject: missed

    assert hidden(run(DEFAULT_CONFIG), SUBJECT, wide) < 0.1
    assert hidden(run(replace(DEFAULT_CONFIG, occluded_cores=True)), SUBJECT, wide) >= 0.1


def test_someone_last_seen_in_front_and_missed_still_covers_the_subjects_head() -> None:
    front = walker(104, 50)  # feet at 130, below the subject's 115: in front, over its head
    r = ExportRedactor()
    r.regions(front[None], keep_box=SUBJECT)
    regions = r.regions(np.empty((0, 4), np.float32), keep_box=SUBJECT)
    assert hidden(regions, front) >= 0.9


def test_a_part_of_the_subject_with_its_head_is_the_subject_and_nobody_else_is() -> None:
    upper_body = np.array([102, 40, 128, 80], np.float32)  # head and shoulders: inside, the same head
    beside = np.array([122, 42, 152, 117], np.float32)  # at the subject's shoulder
    low = np.array([104, 70, 126, 114], np.float32)  # inside the subject's box, head at its waist: someone else
    boxes = np.stack([upper_body, beside, low])
    assert ExportRedactor().is_subject(boxes, SUBJECT).tolist() == [True, False, False]
    assert ExportRedactor(OLD).is_subject(boxes, SUBJECT).tolist() == [False, False, False]


def test_a_box_with_the_subjects_head_is_the_subject_unless_it_stands_in_front() -> None:
    wider_upper = np.array([96, 39, 131, 90], np.float32)  # the subject's head, wider, feet not reached
    taller_in_front = np.array([97, 36, 133, 135], np.float32)  # that head spot, feet 20 px lower: nearer
    boxes = np.stack([wider_upper, taller_in_front])
    assert ExportRedactor().is_subject(boxes, SUBJECT).tolist() == [True, False]
    assert ExportRedactor(replace(DEFAULT_CONFIG, fragment_feet=-9.0)).is_subject(boxes, SUBJECT).tolist() == [
        False, False]
    regions = ExportRedactor().regions(np.stack([SUBJECT, taller_in_front]), keep_box=SUBJECT)
    assert hidden(regions, taller_in_front) >= 0.9  # whoever stands in front with the subject's head spot is hidden


def test_carried_boxes_are_numbered_by_the_detection_they_carry() -> None:
    memory = CarryMemory(3)
    first = memory.remember(walker(10)[None])
    second = memory.remember(walker(13)[None])
    carried = memory.carried(np.empty((0, 4), np.float32))
    assert carried.origin.tolist() == [second[0], first[0]]
    assert carried.explained.tolist() == [False, True]  # the first was continued by the second
    assert carried.boxes[0, 0] > 13  # moving right: predicted on


def test_the_evaluated_subject_box_is_never_a_bystanders_detection() -> None:
    rows = pd.DataFrame({"id": [9, 15], "x": [100.0, 108.0], "y": [40.0, 42.0], "w": [30.0, 30.0],
                         "h": [75.0, 75.0]})
    theirs = np.array([[107, 42, 137, 117]], np.float32)  # IoU 0.62 with the subject, 0.94 with 15
    dets = Detections(xyxy=theirs, confidence=np.ones(1, np.float32))
    assert np.allclose(keep_for_frame(dets, rows, 9), [100, 40, 130, 115])  # the GT box, not 15's detection
    assert np.allclose(keep_for_frame(dets, rows[rows.id == 9], 9), theirs[0])  # alone, it is the subject's


def test_only_a_strong_box_marks_a_carried_box_as_found_again() -> None:
    memory = CarryMemory(3)
    memory.remember(walker(10)[None])
    memory.remember(walker(13)[None], strong=[False])  # a weak box continues it: velocity, not "found"
    assert memory.carried(np.empty((0, 4), np.float32)).explained.tolist() == [False, False]
    memory.remember(walker(16)[None])
    assert memory.carried(np.empty((0, 4), np.float32)).explained.tolist() == [False, True, False]
