"""Foot points robust to a box stretched down to an occluder's feet (false contacts on PETS)."""

from __future__ import annotations

import numpy as np
import pytest

from epitrace.contacts import TrackSeries, contact_episodes
from epitrace.ingest.feet import foot_points, foot_window

P = 1 / 7


def _walker(n: int = 30, height: float = 60.0) -> np.ndarray:
    """A person walking right and slowly towards the camera: height and bottom grow smoothly."""
    k = np.arange(n, dtype=np.float64)
    h = height + 0.5 * k
    y2 = 160.0 + 1.0 * k
    x1 = 600.0 + 2.0 * k
    return np.stack([x1, y2 - h, x1 + 0.4 * h, y2], axis=1)


def test_a_steady_walker_keeps_every_bottom() -> None:
    boxes = _walker()
    feet = foot_points(boxes, 15)
    np.testing.assert_allclose(feet[:, 1], boxes[:, 3], atol=1e-3)
    np.testing.assert_allclose(feet[:, 0], (boxes[:, 0] + boxes[:, 2]) / 2, atol=1e-3)


def test_a_box_stretched_to_an_occluders_feet_keeps_its_own_feet() -> None:
    boxes = _walker()
    truth = boxes[:, 3].copy()
    boxes[12:17, 3] += 22.0  # a nearer person's legs, five frames (PETS 161-165: +13..+24 px)
    feet = foot_points(boxes, 15)
    assert np.abs(feet[12:17, 1] - truth[12:17]).max() < 4.0  # back on the person, not +22
    np.testing.assert_allclose(feet[:12, 1], truth[:12], atol=1e-3)
    np.testing.assert_allclose(feet[17:, 1], truth[17:], atol=1e-3)


def test_a_box_grown_at_the_top_keeps_its_bottom() -> None:
    boxes = _walker()
    boxes[10:15, 1] -= 30.0  # merged with someone behind: the head end moved, the feet did not
    feet = foot_points(boxes, 15)
    np.testing.assert_allclose(feet[:, 1], boxes[:, 3], atol=1e-3)


def test_short_tracks_and_windows() -> None:
    boxes = _walker(2)
    np.testing.assert_allclose(foot_points(boxes, 15)[:, 1], boxes[:, 3])
    assert foot_window(7.0, 1) == 15 and foot_window(7.0, 7) == 3 and foot_window(25.0, 5) % 2 == 1
    stretched = _walker(4)
    stretched[2, 3] += 40
    assert foot_points(stretched, 15)[2, 1] < stretched[2, 3] - 30  # window cut to the track


@pytest.mark.parametrize("robust", [False, True])
def test_the_stretched_box_made_a_false_contact(robust: bool) -> None:
    """Ground y ~ image y (a toy camera looking down a street): the occluder stands 3 m nearer."""
    boxes = _walker()
    boxes[12:17, 3] += 30.0
    feet = foot_points(boxes, 15 if robust else 1)
    far = feet / 10  # 10 px a metre
    near = far.copy()
    near[:, 1] = (_walker()[:, 3] + 30.0) / 10  # the occluder's feet: 3 m in front all along
    t = 100 + np.arange(30) * P
    r = contact_episodes(TrackSeries(t, far), TrackSeries(t, near), 2.0, P)
    assert (len(r.episodes) == 0) is robust
