"""Frame sampling, motion gate, scene cuts, frame ranges, tracklet assembly and gap interpolation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from epitrace.ingest.finalise import interpolate_gaps
from epitrace.ingest.job import FrameRange
from epitrace.ingest.sampling import FrameSampler, MotionGate
from epitrace.ingest.scene_cuts import SceneCutDetector
from epitrace.tracking import Tracklet, TrackletBuilder, head_region
from epitrace.vision import Detections


@pytest.mark.parametrize(
    ("video_fps", "analysed_fps", "n_frames", "expected"),
    [
        (7.0, 7.0, 70, 70),  # every frame
        (25.0, 5.0, 250, 50),  # one in five
        (30.0, 7.0, 300, 70),  # non-integer step keeps the rate
        (5.0, 10.0, 50, 50),  # cannot analyse more frames than exist
    ],
)
def test_sampler_rate(video_fps: float, analysed_fps: float, n_frames: int, expected: int) -> None:
    sampler = FrameSampler(video_fps, analysed_fps)
    assert sum(sampler(i) for i in range(n_frames)) == expected


def test_sampler_needs_a_frame_rate() -> None:
    with pytest.raises(ValueError, match="--fps"):
        FrameSampler(0.0, 7.0)


def test_motion_gate_skips_static_frames() -> None:
    gate = MotionGate(threshold=0.01)
    frame = np.full((240, 320, 3), 100, np.uint8)
    assert gate(frame)  # the first frame is always analysed
    assert not gate(frame.copy())
    moved = frame.copy()
    moved[50:150, 50:150] = 250
    assert gate(moved)


def _dets(boxes: list[list[float]], ids: list[int]) -> Detections:
    return Detections(np.array(boxes, np.float32), np.full(len(ids), 0.9, np.float32),
                      np.array(ids, np.int64))


def test_builder_finishes_tracks_after_the_gap() -> None:
    frame = np.zeros((200, 200, 3), np.uint8)
    builder = TrackletBuilder(max_gap_frames=3, sample_every=1)
    for i in range(5):
        builder.add(i, frame, _dets([[10 + i, 10, 40 + i, 100], [100, 10, 130, 100]], [1, 2]))
    builder.add(5, frame, _dets([[100, 10, 130, 100]], [2]))
    assert builder.pop_finished(7) == []  # track 1 last seen at 4: gap 3 is allowed
    (done,) = builder.pop_finished(8)
    assert done.local_id == 1 and done.frames == [0, 1, 2, 3, 4]
    assert builder.earliest_active_frame() == 0  # track 2 still open since frame 0
    assert len(done.samples) == 5 and done.samples[0].person.shape == (90, 30, 3)


def test_untracked_rows_are_ignored() -> None:
    builder = TrackletBuilder(max_gap_frames=3)
    builder.add(0, np.zeros((50, 50, 3), np.uint8), _dets([[1, 1, 10, 10]], [-1]))
    assert builder.pop_all() == []


def test_gaps_are_interpolated_at_analysed_frames() -> None:
    t = Tracklet(local_id=1, frames=[0, 1, 4],
                 boxes=[np.array([0, 0, 10, 10], np.float32), np.array([1, 0, 11, 10], np.float32),
                        np.array([4, 0, 14, 10], np.float32)],
                 confidence=[0.9, 0.9, 0.8])
    frames, boxes, conf = interpolate_gaps(t, step=1.0)
    assert frames.tolist() == [0, 1, 2, 3, 4]
    assert boxes[2, 0] == pytest.approx(2.0) and conf[2] == 0.0 and conf[4] == pytest.approx(0.8)


def test_head_region_is_inside_the_frame() -> None:
    x1, y1, x2, y2 = head_region(np.array([0, 0, 20, 60], np.float32), (50, 50, 3))
    assert 0 <= x1 < x2 <= 50 and 0 <= y1 < y2 <= 50


GREY = np.full((48, 64, 3), 120, np.uint8)


@pytest.mark.parametrize(
    ("frames", "threshold", "expected"),
    [
        ([GREY, GREY + 3, GREY], 27.0, [False, False, False]),  # small changes: one scene
        ([GREY, np.full_like(GREY, 250), GREY], 27.0, [False, True, True]),  # a new picture and back
        ([GREY, np.full((60, 64, 3), 120, np.uint8)], 27.0, [False, True]),  # another picture size: another feed
        ([GREY, np.full_like(GREY, 250)], 0.0, [False, False]),  # 0 disables
    ],
)
def test_scene_cut_detector(frames: list[np.ndarray], threshold: float, expected: list[bool]) -> None:
    detector = SceneCutDetector(threshold)
    assert [detector(f) for f in frames] == expected


def test_a_camera_pan_is_a_cut_and_a_still_camera_is_not() -> None:
    texture = cv2.GaussianBlur(np.random.default_rng(0).integers(0, 255, (240, 480, 3), np.uint8), (7, 7), 0)
    detector = SceneCutDetector()
    # Three frames of a still camera, then the view pans 40 px (20 thumbnail px) per frame.
    views = [texture[:, :320]] * 3 + [texture[:, 40 * k: 40 * k + 320] for k in range(1, 4)]
    assert [detector(v) for v in views] == [False, False, False, True, True, True]
    assert detector.last_shift == pytest.approx(20.0, abs=1.5)  # 40 px of 320 at 160 wide


def test_scene_cut_detector_forgets_on_reset_and_refuses_a_negative_threshold() -> None:
    detector = SceneCutDetector()
    detector(GREY)
    detector.reset()
    assert not detector(np.full_like(GREY, 250))  # first frame after a reset is never a cut
    with pytest.raises(ValueError, match=">= 0"):
        SceneCutDetector(-1)


@pytest.mark.parametrize(("first", "stop"), [(-1, None), (10, 5)])  # negative start; stop before start
def test_frame_range_refuses_empty_or_negative(first: int, stop: int | None) -> None:
    with pytest.raises(ValueError, match="frame range"):
        FrameRange(first, stop)
