"""Measure candidate body-vector parts: re-ID rank-1 per simulated camera shift, and track separability.

Why: the body vector's parts are chosen by measurement (issue 15 item 5). Each variant maps the
crops one camera saw to unit vectors; `camera` variants learn a per-camera colour profile from
that camera's own crops (here: the query set is one camera, the shifted gallery another).
Prints one JSON line per variant: rank-1 on the shared PETS re-ID crops per shift, and on PETS
S2L1 frames 1-400 GT track segments (first segment of each person = query, later ones =
gallery, gallery shifted), plus the same-person track-pair rate at a 1% different-person rate.

    .venv/bin/python scripts/body_variants.py --data ../shared/data [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.evaluation.body_calibration import gt_segments, lowest_threshold, pair_scores
from epitrace.evaluation.camera_shift import SHIFTS, apply_shift
from epitrace.evaluation.reid import load_crops, rank_metrics
from epitrace.vision import body_embed as be

Crop = npt.NDArray[np.uint8]
Vecs = npt.NDArray[np.float32]
Variant = Callable[[list[Crop]], Vecs]


def _unit(x: npt.NDArray[np.floating]) -> Vecs:
    x = np.asarray(x, np.float32)
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)).astype(np.float32)


def _hog(crop: Crop) -> Vecs:
    grey = cv2.cvtColor(be.normalise_crop(crop), cv2.COLOR_BGR2GRAY)
    hog = cv2.HOGDescriptor((32, 64), (16, 16), (8, 8), (8, 8), 9)
    return _unit(np.asarray(hog.compute(grey), np.float32).ravel())


def _lbp(crop: Crop) -> Vecs:
    grey = cv2.cvtColor(be.normalise_crop(crop), cv2.COLOR_BGR2GRAY).astype(np.int16)
    c = grey[1:-1, 1:-1]
    code: npt.NDArray[np.uint8] = np.zeros(c.shape, np.uint8)
    offs = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    for bit, (dy, dx) in enumerate(offs):
        code |= ((grey[1 + dy:grey.shape[0] - 1 + dy, 1 + dx:grey.shape[1] - 1 + dx] >= c) << bit).astype(np.uint8)
    h = code.shape[0]
    parts = []
    for top, bottom, _ in be.STRIPES:
        region = code[int(top * h):max(int(bottom * h), int(top * h) + 1)]
        hist = np.bincount(region.ravel(), minlength=256).astype(np.float32)
        parts.append(np.sqrt(hist / max(hist.sum(), 1.0)))
    return _unit(np.concatenate(parts))


def _part_means(crop: Crop) -> Vecs:
    """Mean chromaticity of torso and legs in the grey-world crop and their ratio (6 + 3 values)."""
    n = be.normalise_crop(crop).astype(np.float32) + 1.0
    h = n.shape[0]
    up = n[int(0.2 * h):int(0.55 * h), 5:27].reshape(-1, 3).mean(axis=0)
    lo = n[int(0.55 * h):, 5:27].reshape(-1, 3).mean(axis=0)
    return _unit(np.concatenate([up / up.sum(), lo / lo.sum(), np.log(up / lo) / 4 + 0.5]))


def _concat(parts: list[tuple[Callable[[Crop], Vecs], float]]) -> Variant:
    def embed(crops: list[Crop]) -> Vecs:
        return _unit(np.stack([np.concatenate([w * f(c) for f, w in parts]) for c in crops]))
    return embed


def _stripes(stripes: tuple[tuple[float, float, float], ...], bins: tuple[int, int, int], norm: bool) -> Variant:
    def feat(crop: Crop) -> Vecs:
        old = be.STRIPES, be.H_BINS, be.S_BINS, be.V_BINS, be.COLOUR_DIM
        be.STRIPES, (be.H_BINS, be.S_BINS, be.V_BINS) = stripes, bins
        be.COLOUR_DIM = len(stripes) * bins[0] * bins[1] * bins[2]
        try:
            return be.colour_features(be.normalise_crop(crop) if norm else crop)
        finally:
            be.STRIPES, be.H_BINS, be.S_BINS, be.V_BINS, be.COLOUR_DIM = old
    return lambda crops: np.stack([feat(c) for c in crops])


def _camera_equalised(crops: list[Crop]) -> Vecs:
    """Per-channel histogram equalisation learnt from all of this camera's crops, then raw HSV."""
    small = [cv2.resize(c, (be.CANON_HW[1], be.CANON_HW[0]), interpolation=cv2.INTER_AREA) for c in crops]
    pixels = np.concatenate([s.reshape(-1, 3) for s in small])
    luts = []
    for ch in range(3):
        cdf = np.cumsum(np.bincount(pixels[:, ch], minlength=256)).astype(np.float64)
        luts.append(np.clip(np.round(255 * cdf / cdf[-1]), 0, 255).astype(np.uint8))
    out = []
    for s in small:
        eq = np.stack([luts[ch][s[..., ch]] for ch in range(3)], axis=-1)
        out.append(be.colour_features(np.ascontiguousarray(eq)))
    return np.stack(out)


def _camera_greyworld(crops: list[Crop]) -> Vecs:
    """Grey-world gains learnt from all of this camera's crops, then luminance equalisation per crop."""
    small = [cv2.resize(c, (be.CANON_HW[1], be.CANON_HW[0]), interpolation=cv2.INTER_AREA) for c in crops]
    mean = np.concatenate([s.reshape(-1, 3) for s in small]).astype(np.float32).mean(axis=0) + 1e-3
    out = []
    for s in small:
        bal = np.clip(s.astype(np.float32) * (128.0 / mean), 0, 255).astype(np.uint8)
        ycc = cv2.cvtColor(bal, cv2.COLOR_BGR2YCrCb)
        ycc[..., 0] = cv2.equalizeHist(np.ascontiguousarray(ycc[..., 0]))
        out.append(be.colour_features(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR)))
    return np.stack(out)


def _mix(a: Variant, b: Variant, wa: float) -> Variant:
    return lambda crops: _unit(np.concatenate([wa * a(crops), np.sqrt(1 - wa**2) * b(crops)], axis=1))


def _running(order_seed: int | None) -> Variant:
    """BodyEmbedder with a camera key, one crop at a time (ingest's running camera mean)."""
    def embed(crops: list[Crop]) -> Vecs:
        e = be.BodyEmbedder()
        rng = np.random.default_rng(order_seed)
        order = np.arange(len(crops)) if order_seed is None else rng.permutation(len(crops))
        out = np.zeros((len(crops), e.dim), np.float32)
        for i in order:
            out[i] = e.embed_crops([crops[i]], camera="cam")[0]
        return out
    return embed


V2 = lambda crops: np.stack([be.camera_invariant_features(c) for c in crops])  # noqa: E731
VARIANTS: dict[str, Variant] = {
    "v2": V2,
    "v2+hog0.3": _concat([(be.camera_invariant_features, 0.954), (_hog, 0.3)]),
    "v2+lbp0.3": _concat([(be.camera_invariant_features, 0.954), (_lbp, 0.3)]),
    "v2+partmeans0.3": _concat([(be.camera_invariant_features, 0.954), (_part_means, 0.3)]),
    "v2_6stripes": _stripes(((0, .2, .5), (.2, .38, 1), (.38, .55, 1), (.55, .7, 1), (.7, .85, 1), (.85, 1, 1)),
                            (12, 4, 4), True),
    "v2_h16s3v3": _stripes(be.STRIPES, (16, 3, 3), True),
    "v2_h8s4v4": _stripes(be.STRIPES, (8, 4, 4), True),
    "raw_hsv(v1 colour)": _stripes(be.STRIPES, (12, 4, 4), False),
    "camera_greyworld": _camera_greyworld,
    "camera_equalised": _camera_equalised,
    "camera_equalised+v2": _mix(_camera_equalised, V2, 0.707),
    "camera_running_sorted": _running(None),
    "camera_running_shuffled": _running(0),
    "camera_running+hog0.3": _mix(_running(0), _concat([(_hog, 1.0)]), 0.954),
    "camera_running+lbp0.3": _mix(_running(0), _concat([(_lbp, 1.0)]), 0.954),
    "camera_running+partmeans0.3": _mix(_running(0), _concat([(_part_means, 1.0)]), 0.954),
}


def _reid(variant: Variant, q: list[Crop], q_ids: npt.NDArray[np.str_], g: list[Crop],
          g_ids: npt.NDArray[np.str_]) -> dict[str, float]:
    qv = variant(q)
    return {s: round(rank_metrics(qv, q_ids, variant(apply_shift(s, g)), g_ids)[0], 3) for s in SHIFTS}


def _segments_eval(variant: Variant, segments: list[tuple[int, list[Crop]]]) -> dict[str, object]:
    ids = np.array([p for p, _ in segments])
    first = np.array([i == min(k for k, (p, _) in enumerate(segments) if p == ids[i]) for i in range(len(ids))])

    def vectors(shift: str) -> Vecs:
        crops = [apply_shift(shift, c) for _, c in segments]
        flat = variant([x for c in crops for x in c])  # one camera: every crop it saw at once
        sizes = np.cumsum([0] + [len(c) for c in crops])
        return _unit(np.stack([flat[a:b].mean(axis=0) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]))

    base = vectors("none")
    out: dict[str, object] = {}
    tar = {}
    for s in SHIFTS:
        gal = base if s == "none" else vectors(s)
        out[s] = round(rank_metrics(base[first], ids[first], gal[~first], ids[~first])[0], 3)
        sc = pair_scores(base, ids, base if s == "none" else gal, ids, same_items=True)
        t = lowest_threshold(sc, 0.01)
        tar[s] = (t, round(sc.true_rate(t), 3))
    out["tar_at_far1%"] = tar
    return out


def main() -> None:
    """Print one JSON line per variant."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    root = args.data / "reid" / "pets09_s2l1_crops"
    q, q_ids = load_crops(root / "query")
    g, g_ids = load_crops(root / "gallery")
    pets = args.data / "pets2009_s2l1"
    segments = gt_segments(pets / "video" / "vtest.avi", pets / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt")
    for name, variant in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        sys.stdout.write(json.dumps({"variant": name, "crops_rank1": _reid(variant, q, q_ids, g, g_ids),
                          "tracks": _segments_eval(variant, segments)}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
