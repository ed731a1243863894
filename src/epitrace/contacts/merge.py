"""Cross-camera merge: contact tracks on different cameras that look alike are one person.

A person met by the subject on two cameras appears as two tracks; without merging, each
exposure is judged alone and may stay under the policy's cumulative time although their sum
does not. Merging wrongly does the opposite (sums two people), so the default threshold is set
to make false merges rare rather than to find every merge.

Threshold calibration (`DEFAULT_MERGE_THRESHOLD`, body vector v2 with per-camera colour, re-made
by `scripts/calibrate_body.py`): PETS S2L1 frames 1-400 ground-truth tracks cut into 50-frame
segments (48), each the mean of 4 spread crops as ingest averages `body_samples`, compared
within the camera and against the same segments seen through each simulated second camera
(`evaluation.camera_shift`). Rule: the lowest cosine at which at most 0.1% of different-person
pairs merge, over all pairs and within the camera alone. 0.885: 0.09% of 11,165 different-person
pairs (max 0.919; within the camera 0.10%), 13% of 1,243 same-person pairs merged (within the
camera 25%); 0.86 (the tracing threshold): 0.49% / 32%; 0.84 (before): 1.2% / 48%. Ten people in
similar dark clothes make these pairs hard: a missed merge leaves two exposures judged apart,
a false one sums two people's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

DEFAULT_MERGE_THRESHOLD = 0.895
"""Body cosine to merge two contact sightings into one person: <= 0.1% of stranger track pairs on PETS
1-400 over every simulated camera (0.04%; 8.4% of same-person pairs; `scripts/calibrate_body.py`)."""
_BLOCK = 1024


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def group_people(
    track_ids: Sequence[int],
    camera_ids: Sequence[str],
    vectors: dict[int, npt.NDArray[np.float32]],
    threshold: float = DEFAULT_MERGE_THRESHOLD,
) -> list[int]:
    """A person label per contact: equal track ids, or cross-camera look-alikes, share one.

    Args:
        track_ids: (n,) the contact track of each contact (repeats allowed).
        camera_ids: (n,) its camera.
        vectors: L2-normalised body vector per track id (tracks without one never merge).
        threshold: cosine similarity needed to merge. Lower merges more people across
            cameras (and more wrongly); above 1 disables merging.

    Returns:
        (n,) labels 0..k-1, numbered in order of first appearance.

    Example:
        >>> v = {1: np.array([1.0, 0.0]), 2: np.array([0.99, 0.141]), 3: np.array([0.0, 1.0])}
        >>> group_people([1, 2, 3], ["a", "b", "b"], v, threshold=0.9)
        [0, 0, 1]
    """
    if len(track_ids) != len(camera_ids):
        raise ValueError(f"{len(track_ids)} track ids but {len(camera_ids)} camera ids")
    unique = list(dict.fromkeys(track_ids))  # one node per track: equal ids are one person
    index = {t: k for k, t in enumerate(unique)}
    camera = {t: c for t, c in zip(track_ids, camera_ids, strict=True)}
    uf = _UnionFind(len(unique))
    with_vec = [t for t in unique if t in vectors]
    if len(with_vec) > 1:
        mat = np.stack([np.asarray(vectors[t], np.float32) for t in with_vec])
        cams = np.array([camera[t] for t in with_vec])
        for lo in range(0, len(with_vec), _BLOCK):  # blocks keep the score matrix small
            scores = mat[lo:lo + _BLOCK] @ mat.T
            hit = (scores >= threshold) & (cams[lo:lo + _BLOCK, None] != cams[None, :])
            for i, j in zip(*np.nonzero(hit), strict=True):
                if lo + i < j:
                    logger.debug("merging tracks %d and %d (cosine %.3f)", with_vec[lo + i],
                                 with_vec[j], float(scores[i, j]))
                    uf.union(index[with_vec[lo + i]], index[with_vec[j]])
    labels: dict[int, int] = {}
    return [labels.setdefault(uf.find(index[t]), len(labels)) for t in track_ids]


def person_keys(
    track_ids: Sequence[int],
    camera_ids: Sequence[str],
    vectors: dict[int, npt.NDArray[np.float32]],
    threshold: float = DEFAULT_MERGE_THRESHOLD,
) -> dict[int, int]:
    """Track id -> the smallest track id of its person (`group_people`'s groups).

    A key made of a track id, not of enumeration order, names the same person the same way
    whatever else was found, so a label built from it stays put between queries.

    Example:
        >>> v = {7: np.array([1.0, 0.0]), 4: np.array([0.99, 0.141]), 9: np.array([0.0, 1.0])}
        >>> person_keys([7, 4, 9], ["a", "b", "b"], v, threshold=0.9)
        {7: 4, 4: 4, 9: 9}
    """
    groups = group_people(track_ids, camera_ids, vectors, threshold)
    smallest: dict[int, int] = {}
    for t, g in zip(track_ids, groups, strict=True):
        smallest[g] = min(smallest.get(g, t), t)
    return {t: smallest[g] for t, g in zip(track_ids, groups, strict=True)}
