"""Identity-swap splitting and ground smoothing."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from epitrace.ingest.finalise import smooth_positions
from epitrace.tracking import Tracklet, cleave, colour_signature


def _person(colour_top: tuple[int, int, int], colour_legs: tuple[int, int, int]) -> np.ndarray:
    crop = np.zeros((60, 24, 3), np.uint8)
    crop[:30] = colour_top
    crop[30:] = colour_legs
    return crop


def _tracklet(crops: list[np.ndarray]) -> Tracklet:
    n = len(crops)
    return Tracklet(local_id=7, frames=list(range(n)),
                    boxes=[np.array([0, 0, 24, 60], np.float32)] * n, confidence=[0.9] * n,
                    signatures=[colour_signature(c) for c in crops])


def test_swap_between_two_differently_dressed_people_is_split() -> None:
    red, blue = _person((0, 0, 200), (40, 40, 40)), _person((200, 0, 0), (0, 160, 0))
    ids = itertools.count(100)
    parts = cleave(_tracklet([red] * 12 + [blue] * 12), lambda: next(ids))
    assert [p.frames[0] for p in parts] == [0, 12]
    assert [p.local_id for p in parts] == [7, 100]
    assert all(len(p.signatures) == len(p.frames) == 12 for p in parts)


@pytest.mark.parametrize("n", [8, 30])  # too short to judge; long and uniform
def test_same_person_is_kept_whole(n: int) -> None:
    rng = np.random.default_rng(0)
    crops = [np.clip(_person((0, 0, 200), (40, 40, 40)).astype(int) + rng.integers(-20, 20, (60, 24, 3)),
                     0, 255).astype(np.uint8) for _ in range(n)]
    assert len(cleave(_tracklet(crops), lambda: 99)) == 1


def test_smoothing_removes_jitter_but_keeps_motion() -> None:
    t = np.arange(20, dtype=np.float32)
    xy = np.stack([t * 0.2, np.zeros(20, np.float32)], axis=1)
    noisy = xy + np.array([[0, 0.2], [0, -0.2]] * 10, np.float32)
    out = smooth_positions(noisy, 5)
    assert np.abs(out[2:-2, 1]).max() < 0.05  # jitter averaged out
    assert np.allclose(out[2:-2, 0], xy[2:-2, 0], atol=1e-5)  # straight walking unchanged
    assert smooth_positions(noisy, 1) is noisy
