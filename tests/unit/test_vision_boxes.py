"""The project's one box IoU (x1, y1, x2, y2), shared by ingest's stitching, evaluation and privacy."""

from __future__ import annotations

import numpy as np
import pytest

from epitrace.privacy.carry import iou_matrix as carried_iou
from epitrace.vision.boxes import iou_matrix


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),  # the same box
        ([0, 0, 10, 10], [5, 0, 15, 10], 1 / 3),  # half of each: 50 / 150
        ([0, 0, 10, 10], [10, 0, 20, 10], 0.0),  # touching edges share no area
        ([0, 0, 10, 10], [2, 2, 4, 4], 0.04),  # one inside the other: 4 / 100
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # no area anywhere: 0, not NaN
        ([10, 10, 0, 0], [0, 0, 10, 10], 0.0),  # an inverted box covers nothing
    ],
)
def test_iou_of_one_pair(a: list[float], b: list[float], expected: float) -> None:
    assert iou_matrix(a, b)[0, 0] == pytest.approx(expected, abs=1e-7)


def test_every_box_of_a_with_every_box_of_b() -> None:
    a = np.array([[0, 0, 10, 10], [100, 100, 110, 120]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [100, 100, 110, 110]], np.float32)
    iou = iou_matrix(a, b)
    assert iou.shape == (2, 3) and iou.dtype == np.float64
    np.testing.assert_allclose(iou, [[1, 1 / 3, 0], [0, 0, 0.5]], atol=1e-7)
    assert iou_matrix(np.empty((0, 4)), b).shape == (0, 3)


def test_privacy_carry_reexports_it() -> None:
    assert carried_iou is iou_matrix
