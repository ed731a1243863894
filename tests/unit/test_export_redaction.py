"""Export redaction rules on hand-made boxes: who is the subject, and who wins an overlap.

Real-frame coverage is measured in tests/integration/test_redaction.py; these check the
geometry the measured defaults rely on.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from epitrace.evaluation.redaction import covered_shares, redacted_mask
from epitrace.privacy.depth import DepthOrder
from epitrace.privacy.export_redaction import DEFAULT_CONFIG, ExportRedactor, Regions, apply_regions

SHAPE = (200, 300)
SUBJECT = np.array([100, 40, 130, 115], np.float32)  # a 30 x 75 px person, like PETS
BESIDE = np.array([122, 42, 152, 117], np.float32)  # a bystander walking at the subject's shoulder
FAR = np.array([220, 40, 250, 115], np.float32)


def head(box: np.ndarray) -> np.ndarray:
    """The scorer's head region of a box: top 18%, full width."""
    x1, y1, x2, y2 = box
    return np.array([[x1, y1, x2, y1 + 0.18 * (y2 - y1)]], np.float32)


def shares(regions: Regions, *boxes: np.ndarray) -> list[float]:
    mask = redacted_mask(SHAPE, regions)
    return [float(covered_shares(mask, head(b))[0]) for b in boxes]


def test_bystander_beside_the_subject_is_mosaicked_over_the_subjects_pasted_back_head() -> None:
    regions = ExportRedactor().regions(np.stack([SUBJECT, BESIDE, FAR]), keep_box=SUBJECT)
    subject, beside, far = shares(regions, SUBJECT, BESIDE, FAR)
    assert beside >= 0.9 and far >= 0.9
    assert len(regions.hide) == 1  # only the neighbour (2 px nearer the camera) touches the subject's head
    assert subject < 0.9  # the subject keeps part of the head: the side away from the neighbour

    old_rule = ExportRedactor(replace(DEFAULT_CONFIG, bystander_priority=False))
    subject_old, beside_old, _ = shares(old_rule.regions(np.stack([SUBJECT, BESIDE, FAR]), keep_box=SUBJECT),
                                        SUBJECT, BESIDE, FAR)
    assert subject_old == 0.0 and beside_old < 0.9  # the subject wins: the neighbour shows


def test_a_fragment_of_the_subject_counts_as_someone_behind_and_the_subjects_head_stays_clear() -> None:
    upper_body = np.array([101, 39, 124, 78], np.float32)  # a low-score partial box of the subject
    r = ExportRedactor(replace(DEFAULT_CONFIG, fragment_inside=1.01, fragment_feet=-9.0))  # fragment rules off
    # only a near-duplicate box (IoU >= 0.7) is the subject's: a neighbour is never spared as the subject
    duplicate = SUBJECT + np.array([1, 1, 1, 1], np.float32)
    assert r.is_subject(np.stack([duplicate, upper_body, BESIDE, FAR]), SUBJECT).tolist() == [True, False, False, False]
    regions = r.regions(np.stack([SUBJECT, upper_body, FAR]), keep_box=SUBJECT)
    subject, far = shares(regions, SUBJECT, FAR)
    # its feet are higher: "behind"; its core is laid down, then the subject's own head pasted back over it
    assert subject == 0.0 and far >= 0.9 and len(regions.cover) == 1 and len(regions.hide) == 0


def test_carried_boxes_cover_a_missed_bystander_but_never_the_subject() -> None:
    r = ExportRedactor()
    r.regions(np.stack([SUBJECT, FAR]), keep_box=SUBJECT)
    regions = r.regions(np.stack([SUBJECT]), keep_box=SUBJECT)  # the bystander is missed this frame
    subject, far = shares(regions, SUBJECT, FAR)
    assert far >= 0.9 and subject == 0.0
    for _ in range(DEFAULT_CONFIG.carry_frames):
        regions = r.regions(np.stack([SUBJECT]), keep_box=SUBJECT)
    assert shares(regions, FAR)[0] == 0.0  # forgotten after carry_frames


def test_stored_tracks_of_others_win_even_when_they_overlap_the_subject_heavily() -> None:
    close = np.array([104, 44, 134, 118], np.float32)  # IoU ~0.75 with the subject, 3 px nearer the camera
    r = ExportRedactor()
    assert r.is_subject(close[None], SUBJECT).tolist() == [True]  # as a bare detection: the subject
    regions = r.regions(np.empty((0, 4), np.float32), keep_box=SUBJECT, always=close[None])
    assert shares(regions, close)[0] >= 0.9  # the tracker says it is someone else: mosaicked
    behind = np.array([104, 36, 134, 110], np.float32)  # the same 5 px farther: mosaicked where it shows ...
    regions = ExportRedactor().regions(np.empty((0, 4), np.float32), keep_box=SUBJECT, always=behind[None])
    assert len(regions.cover) == 1 and not len(regions.hide)
    mask = redacted_mask(SHAPE, regions)
    own_head = regions.unveil[0]  # ... i.e. everywhere but the subject's own head, which stands in front of it
    x1, y1, x2, y2 = head(behind)[0].astype(int)
    outside = np.ones(SHAPE, bool)
    outside[int(own_head[1]):int(np.ceil(own_head[3])), int(own_head[0]):int(np.ceil(own_head[2]))] = False
    assert mask[y1:y2, x1:x2][outside[y1:y2, x1:x2]].all()
    assert shares(regions, SUBJECT)[0] == 0.0


def test_applied_pixels_follow_the_regions() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 255, (*SHAPE, 3), dtype=np.uint8)
    regions = ExportRedactor().regions(np.stack([SUBJECT, BESIDE]), keep_box=SUBJECT)
    out = apply_regions(frame, regions, block=8)
    changed = (out != frame).any(axis=2)
    mask = redacted_mask(SHAPE, regions)
    assert not changed[~mask].any()  # nothing outside the regions is touched
    assert changed[mask].mean() > 0.9  # inside them the mosaic replaced the detail


BEHIND = np.array([122, 30, 152, 105], np.float32)  # at the subject's shoulder, feet 10 px higher: behind
IN_FRONT = np.array([122, 52, 152, 127], np.float32)  # at the subject's shoulder, feet 12 px lower: in front


def test_only_people_in_front_of_the_subject_cover_its_head() -> None:
    r = ExportRedactor(replace(DEFAULT_CONFIG, cover_behind=False))
    assert DepthOrder().in_front(np.stack([BEHIND, IN_FRONT]), SUBJECT[None])[:, 0].tolist() == [False, True]
    behind_regions = r.regions(np.stack([SUBJECT, BEHIND]), keep_box=SUBJECT)
    assert shares(behind_regions, SUBJECT)[0] == 0.0  # the one behind is hidden by the subject's head
    front_only = ExportRedactor(replace(DEFAULT_CONFIG, cover_behind=False))
    front_regions = front_only.regions(np.stack([SUBJECT, IN_FRONT]), keep_box=SUBJECT)
    subject, front = shares(front_regions, SUBJECT, IN_FRONT)
    assert subject > 0.0 and front >= 0.9  # the one in front covers part of the subject's head

    no_depth = ExportRedactor(replace(DEFAULT_CONFIG, depth_order=False, cover_behind=False))
    assert shares(no_depth.regions(np.stack([SUBJECT, BEHIND]), keep_box=SUBJECT), SUBJECT)[0] > 0.3


def face_at(box: np.ndarray, dx: float = 0.0) -> np.ndarray:
    """A 7 x 8 px face box centred under the head point of `box`, shifted `dx` px."""
    cx, top = (box[0] + box[2]) / 2 + dx, box[1] + 2
    return np.array([cx - 3.5, top, cx + 3.5, top + 8], np.float32)


def test_a_bystanders_face_is_mosaicked_exactly_even_behind_the_subject() -> None:
    face = face_at(BEHIND)  # its centre is outside the subject's middle: not the subject's face
    r = ExportRedactor()
    assert r.subject_faces(np.stack([face, face_at(SUBJECT)]), SUBJECT).tolist() == [False, True]
    regions = r.regions(np.stack([SUBJECT, BEHIND]), keep_box=SUBJECT, faces=face[None])
    mask = redacted_mask(SHAPE, regions)
    assert covered_shares(mask, face[None])[0] == 1.0
    assert shares(regions, SUBJECT)[0] < 0.9  # the rest of the subject's head stays clear


def test_the_subjects_face_stays_clear_unless_someone_in_front_covers_it() -> None:
    face = face_at(SUBJECT, dx=3)
    regions = ExportRedactor().regions(np.stack([SUBJECT, BEHIND]), keep_box=SUBJECT, faces=face[None])
    mask = redacted_mask(SHAPE, regions)
    assert len(regions.cover) == 1 and covered_shares(mask, face[None])[0] == 0.0  # unveiled
    close_in_front = np.array([110, 44, 140, 119], np.float32)  # head at the subject's face, feet lower
    front = ExportRedactor().regions(np.stack([SUBJECT, close_in_front]), keep_box=SUBJECT, faces=face[None])
    assert covered_shares(redacted_mask(SHAPE, front), face[None])[0] > 0.5  # the one in front wins
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 255, (*SHAPE, 3), dtype=np.uint8)
    out = apply_regions(frame, regions, block=8)
    fx1, fy1, fx2, fy2 = face.astype(int)
    assert (out[fy1:fy2, fx1:fx2] == frame[fy1:fy2, fx1:fx2]).all()  # pixels, not just the mask
