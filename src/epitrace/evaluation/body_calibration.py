"""Body-vector thresholds from same- and different-person cosine distributions.

The tracing threshold (`TracingConfig.body_threshold`) and the contacts merge threshold
(`contacts.merge.DEFAULT_MERGE_THRESHOLD`) are cosines of track vectors, so they must be
re-chosen whenever the body vector changes. Two sources of pairs are used: the shared PETS
re-ID crops (single crops) and track-like vectors cut from the PETS S2L1 ground-truth tracks of
frames 1-400 (each track split into segments, each segment the mean of a few spread crops, as
ingest averages `body_samples` crops per track). Pairs where one side is seen through a
simulated second camera (`camera_shift`) stand in for cross-camera matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.evaluation.camera_shift import apply_shift
from epitrace.vision.types import box_crops

EmbedCrops = Callable[..., npt.NDArray[np.float32]]
Crop = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Scores:
    """Cosines of same-person and different-person pairs of one pair source."""

    same: npt.NDArray[np.float32]
    different: npt.NDArray[np.float32]

    def false_rate(self, threshold: float) -> float:
        """Share of different-person pairs at or above `threshold` (a false match or merge)."""
        return float(np.mean(self.different >= threshold)) if len(self.different) else 0.0

    def true_rate(self, threshold: float) -> float:
        """Share of same-person pairs at or above `threshold` (a found match or merge)."""
        return float(np.mean(self.same >= threshold)) if len(self.same) else 0.0

    def summary(self) -> dict[str, object]:
        """Counts and quantiles of both distributions, for a report."""
        q = (0.05, 0.25, 0.5, 0.75, 0.95)

        def quant(x: npt.NDArray[np.float32]) -> list[float]:
            return [round(float(v), 3) for v in np.quantile(x, q)] if len(x) else []

        return {"same_pairs": len(self.same), "different_pairs": len(self.different),
                "same_q05_25_50_75_95": quant(self.same), "different_q05_25_50_75_95": quant(self.different),
                "different_max": round(float(self.different.max()), 3) if len(self.different) else None}


def merge_scores(parts: list[Scores]) -> Scores:
    """One distribution made of several sources' pairs."""
    return Scores(np.concatenate([p.same for p in parts]), np.concatenate([p.different for p in parts]))


def pair_scores(a: npt.NDArray[np.float32], a_ids: npt.ArrayLike, b: npt.NDArray[np.float32],
                b_ids: npt.ArrayLike, same_items: bool) -> Scores:
    """Cosines of every pair (a_i, b_j) split by identity.

    Args:
        a: (n, D) unit vectors.
        a_ids: (n,) identities of `a`.
        b: (m, D) unit vectors.
        b_ids: (m,) identities of `b`.
        same_items: `b` holds the same items as `a` (perhaps through a camera shift), so the
            pair of an item with itself (i == j) is left out, and, when `a is b`, each pair once.
    """
    ai, bi = np.asarray(a_ids), np.asarray(b_ids)
    sim = np.asarray(a, np.float32) @ np.asarray(b, np.float32).T
    keep: npt.NDArray[np.bool_] = np.ones(sim.shape, bool)
    if same_items:
        keep = np.triu(keep, 1) if a is b else ~np.eye(len(a), len(b), dtype=bool)
    same = (ai[:, None] == bi[None, :]) & keep
    diff = (ai[:, None] != bi[None, :]) & keep
    return Scores(sim[same].astype(np.float32), sim[diff].astype(np.float32))


def lowest_threshold(scores: Scores, max_false_rate: float, step: float = 0.005) -> float:
    """The lowest cosine on a `step` grid whose different-person pair rate is <= `max_false_rate`.

    Lowest, because every step up loses same-person pairs; the grid keeps the figure readable.
    """
    if not len(scores.different):
        raise ValueError("no different-person pairs to calibrate on")
    for k in range(-round(1 / step), round(1 / step) + 1):
        t = round(k * step, 6)  # on the grid exactly, not a sum of float steps
        if scores.false_rate(t) <= max_false_rate:
            return t
    return 1.0


def read_gt_tracks(gt_mot: Path, first: int = 1,
                   last: int = 400) -> dict[int, list[tuple[int, npt.NDArray[np.float32]]]]:
    """MOTChallenge GT as id -> [(0-based frame, xyxy box)], 1-based frames first..last."""
    rows = np.loadtxt(gt_mot, delimiter=",", ndmin=2)
    tracks: dict[int, list[tuple[int, npt.NDArray[np.float32]]]] = {}
    for r in rows:
        frame = int(r[0])
        if first <= frame <= last:
            box = np.array([r[2], r[3], r[2] + r[4], r[3] + r[5]], np.float32)
            tracks.setdefault(int(r[1]), []).append((frame - 1, box))
    return {k: sorted(v, key=lambda fb: fb[0]) for k, v in tracks.items()}


def gt_segments(video: Path, gt_mot: Path, segment_frames: int = 50, samples: int = 4,
                first: int = 1, last: int = 400) -> list[tuple[int, list[Crop]]]:
    """(identity, crops) per track segment: each GT track cut into `segment_frames` pieces.

    Each segment keeps `samples` crops spread evenly over it (ingest's `body_samples`); pieces
    shorter than half a segment are dropped.
    """
    tracks = read_gt_tracks(gt_mot, first, last)
    wanted: dict[int, list[tuple[int, int, npt.NDArray[np.float32]]]] = {}
    plan: list[tuple[int, list[tuple[int, npt.NDArray[np.float32]]]]] = []
    for pid, rows in tracks.items():
        for start in range(0, len(rows), segment_frames):
            piece = rows[start:start + segment_frames]
            if len(piece) < segment_frames // 2:
                continue
            picks = [piece[int(i)] for i in np.linspace(0, len(piece) - 1, samples).round()]
            plan.append((pid, picks))
    for k, (_, picks) in enumerate(plan):
        for n, (frame, box) in enumerate(picks):
            wanted.setdefault(frame, []).append((k, n, box))
    crops: dict[tuple[int, int], Crop] = {}
    cap = cv2.VideoCapture(str(video))
    if not cap.isOpened():
        raise ValueError(f"cannot open {video}")
    try:
        for frame_no in range(max(wanted) + 1):
            ok, image = cap.read()
            if not ok:
                raise ValueError(f"{video} ends before frame {frame_no}")
            for k, n, box in wanted.get(frame_no, []):
                crops[(k, n)] = box_crops(np.asarray(image, np.uint8), box[None])[0].copy()
    finally:
        cap.release()
    return [(pid, [crops[(k, n)] for n in range(len(picks))]) for k, (pid, picks) in enumerate(plan)]


def segment_vectors(segments: list[tuple[int, list[Crop]]], embed: EmbedCrops, shift: str = "none",
                    camera: str | None = None, seed: int = 0) -> npt.NDArray[np.float32]:
    """(n, D) unit track vectors: the mean of each segment's embedded crops, as ingest makes them.

    With `camera`, each segment's crops are embedded in one call naming that camera, segments in
    a shuffled order (tracks end in no particular order), so a camera-referenced embedder
    learns the camera's colour as ingest's would.
    """
    out: list[npt.NDArray[np.float32]] = [np.empty(0, np.float32)] * len(segments)
    order = np.random.default_rng(seed).permutation(len(segments)) if camera else np.arange(len(segments))
    for k in order:
        crops = apply_shift(shift, segments[int(k)][1])
        raw = embed(crops, camera=camera) if camera else embed(crops)
        v = np.asarray(raw, np.float32).mean(axis=0)
        out[int(k)] = v / max(float(np.linalg.norm(v)), 1e-12)
    return np.stack(out).astype(np.float32)
