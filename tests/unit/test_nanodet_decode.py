"""NanoDet decoding (GFL distance bins -> boxes) and letterboxing on synthetic inputs."""

from __future__ import annotations

import numpy as np
import pytest

from epitrace.vision.nanodet import MEAN_BGR, REG_BINS, decode_heads, prepare_input

CHANNELS = 1 + 4 * REG_BINS


def _head(h: int, w: int) -> np.ndarray:
    head = np.zeros((1, CHANNELS, h, w), np.float32)
    head[0, 0] = -10.0  # sigmoid ~ 0: nobody
    return head


def _set_cell(head: np.ndarray, y: int, x: int, logit: float, bins: list[int]) -> None:
    """One confident cell whose side distances are `bins` (left, top, right, bottom), in strides."""
    head[0, 0, y, x] = logit
    for side, b in enumerate(bins):
        head[0, 1 + side * REG_BINS + b, y, x] = 30.0  # softmax ~ one-hot at bin b


def test_one_hot_bins_give_the_box_around_the_cell_centre() -> None:
    head = _head(4, 6)
    _set_cell(head, y=2, x=3, logit=2.0, bins=[1, 2, 3, 4])
    boxes, scores = decode_heads([head], [8], score_threshold=0.5)
    cx, cy = (3 + 0.5) * 8, (2 + 0.5) * 8
    np.testing.assert_allclose(boxes, [[cx - 8, cy - 16, cx + 24, cy + 32]], atol=1e-3)
    np.testing.assert_allclose(scores, [1 / (1 + np.exp(-2.0))], rtol=1e-6)


def test_distance_is_the_expectation_over_bins() -> None:
    head = _head(2, 2)
    head[0, 0, 0, 0] = 5.0
    head[0, 1 + 2, 0, 0] = head[0, 1 + 4, 0, 0] = 20.0  # left: half on bin 2, half on bin 4
    boxes, _ = decode_heads([head], [16], score_threshold=0.5)
    rest = np.exp(-20.0) * (REG_BINS - 2)  # the other bins are not exactly zero
    expected_left = (2 + 4) / (2 + rest) * 16
    assert boxes[0, 0] == pytest.approx(8 - expected_left, abs=1e-3)


def test_threshold_and_strides_across_heads() -> None:
    fine, coarse = _head(4, 4), _head(2, 2)
    _set_cell(fine, 1, 1, logit=0.1, bins=[0, 0, 0, 0])  # p = 0.525
    _set_cell(coarse, 1, 0, logit=3.0, bins=[1, 1, 1, 1])  # p = 0.95
    boxes, scores = decode_heads([fine, coarse], [8, 16], score_threshold=0.6)
    assert len(scores) == 1
    np.testing.assert_allclose(boxes[0], [8 - 16, 24 - 16, 8 + 16, 24 + 16], atol=1e-3)
    boxes, scores = decode_heads([fine, coarse], [8, 16], score_threshold=0.5)
    assert sorted(np.round(scores, 3)) == [0.525, 0.953]


def test_no_person_gives_empty_float32_arrays() -> None:
    boxes, scores = decode_heads([_head(3, 3)], [8], score_threshold=0.5)
    assert boxes.shape == (0, 4) and scores.shape == (0,)
    assert boxes.dtype == np.float32 and scores.dtype == np.float32


def test_untrimmed_head_is_refused() -> None:
    with pytest.raises(ValueError, match="45"):
        decode_heads([np.zeros((1, 124, 3, 3), np.float32)], [8], 0.5)


def test_letterbox_keeps_aspect_and_pads_with_the_mean() -> None:
    frame = np.full((576, 768, 3), 200, np.uint8)
    blob, back = prepare_input(frame, (288, 384))  # 4:3 into 4:3: exact, no padding
    assert blob.shape == (1, 3, 288, 384) and back == pytest.approx(2.0)
    tall = np.full((400, 200, 3), 200, np.uint8)
    blob, back = prepare_input(tall, (288, 384))
    assert back == pytest.approx(400 / 288)
    assert blob[0, :, :, :144].mean() > 1 and np.abs(blob[0, :, :, 150:]).max() == 0.0
    bgr_mean = MEAN_BGR.round().astype(np.uint8)
    blob, _ = prepare_input(np.broadcast_to(bgr_mean, (576, 768, 3)).copy(), (288, 384))
    assert np.abs(blob).max() < 0.02
