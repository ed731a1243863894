"""Tracking quality on a labelled clip: MOTA and IDF1 (py-motmetrics) and HOTA (TrackEval).

Contact tracing lives or dies by identity: an ID switch splits one person into two tracklets and
breaks the contact chain, so IDF1 and HOTA (which weigh association) matter more here than MOTA
(which mostly weighs detection). The three are computed from the same per-frame IoU matrices so
they cannot disagree about which boxes overlap.

Two library quirks are worked around, not patched: motmetrics 1.4.0's `iou_matrix` calls
`np.asfarray`, removed in NumPy 2, so IoU is computed here; TrackEval's dataset loaders expect its
folder layout, so its HOTA metric is fed the per-sequence data dict directly.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import motmetrics as mm
import numpy as np
import numpy.typing as npt
import pandas as pd
from trackeval.metrics import HOTA

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]

MOT_COLUMNS = ("frame", "id", "x", "y", "w", "h", "conf")
"""The MOTChallenge columns every file has: frame (1-based), id, box left/top/width/height in
pixels, confidence (in ground truth: 1 = evaluate, 0 = ignore). Further columns are kept as
`extra_0`, `extra_1`, ... (class and visibility in MOT16+ ground truth, or world x/y/z)."""


@dataclass(frozen=True)
class TrackingScores:
    """Scores of one predicted tracking against ground truth; ratios in [0, 1] (MOTA can be < 0).

    Attributes:
        mota: 1 - (misses + false positives + ID switches) / GT boxes.
        idf1: F1 of identity-consistent matches (global one-to-one id mapping).
        hota: higher-order tracking accuracy, sqrt(DetA * AssA) averaged over IoU 0.05..0.95.
        deta: HOTA's detection accuracy (averaged over the same thresholds).
        assa: HOTA's association accuracy (averaged over the same thresholds).
        id_switches: times a GT identity changed its matched predicted id.
        num_gt_ids: distinct identities in the ground truth.
        num_pred_ids: distinct identities in the prediction.
        precision: matched / predicted boxes at the IoU threshold.
        recall: matched / GT boxes at the IoU threshold.
    """

    mota: float
    idf1: float
    hota: float
    deta: float
    assa: float
    id_switches: int
    num_gt_ids: int
    num_pred_ids: int
    precision: float
    recall: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict, e.g. for a baseline table or a JSON report."""
        return asdict(self)


def load_mot(path: str | Path, frames: tuple[int, int] | None = None) -> pd.DataFrame:
    """Read a MOTChallenge text file (comma separated, no header).

    Args:
        path: the `gt.txt` / result file.
        frames: inclusive (first, last) 1-based frame range to keep; None keeps all.

    Returns:
        DataFrame with `MOT_COLUMNS` (frame and id as int64, the rest float64) plus any
        `extra_*` columns, sorted by frame then id.

    Raises:
        ValueError: fewer than 6 columns, or non-numeric values.

    Example:
        >>> gt = load_mot("gt.txt", frames=(1, 400))  # doctest: +SKIP
    """
    path = Path(path)
    if path.stat().st_size == 0:
        return _empty()
    raw = pd.read_csv(path, header=None, sep=",", skipinitialspace=True, comment="#")
    raw = raw.dropna(axis=1, how="all")  # a trailing comma makes an empty last column
    if raw.shape[1] < 6:
        raise ValueError(f"{path}: MOT rows need at least 6 columns, got {raw.shape[1]}")
    if raw.shape[1] == 6:
        raw[6] = 1.0
    names = list(MOT_COLUMNS) + [f"extra_{i}" for i in range(raw.shape[1] - len(MOT_COLUMNS))]
    raw.columns = pd.Index(names)
    try:
        df = raw.astype(float)
    except ValueError as exc:
        raise ValueError(f"{path}: non-numeric MOT values: {exc}") from exc
    df = df.astype({"frame": np.int64, "id": np.int64})
    if frames is not None:
        first, last = frames
        df = df[(df["frame"] >= first) & (df["frame"] <= last)]
    logger.debug("loaded %d MOT rows from %s", len(df), path)
    return df.sort_values(["frame", "id"], kind="stable").reset_index(drop=True)


def _empty() -> pd.DataFrame:
    cols = {c: pd.Series(dtype=np.int64 if c in ("frame", "id") else float) for c in MOT_COLUMNS}
    return pd.DataFrame(cols)


def iou_matrix(a: FloatArray, b: FloatArray) -> FloatArray:
    """IoU between (n, 4) and (m, 4) boxes given as x, y, w, h (pixels); returns (n, m)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ax2, ay2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3]
    bx2, by2 = b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    iw = np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _check(df: pd.DataFrame, name: str) -> None:
    missing = [c for c in ("frame", "id", "x", "y", "w", "h") if c not in df.columns]
    if missing:
        raise ValueError(f"{name} lacks MOT columns {missing}; load it with load_mot()")
    dup = df.duplicated(["frame", "id"])
    if dup.any():
        row = df[dup].iloc[0]
        raise ValueError(
            f"{name} has {int(dup.sum())} repeated (frame, id) rows, "
            f"first frame {int(row['frame'])} id {int(row['id'])}"
        )


def evaluate_tracking(
    gt: pd.DataFrame, pred: pd.DataFrame, iou_threshold: float = 0.5
) -> TrackingScores:
    """Score predicted tracks against ground truth, frame by frame.

    Args:
        gt: ground-truth rows (`load_mot` columns); every row is evaluated.
        pred: predicted rows, same columns; frames absent from `gt` count as false positives.
        iou_threshold: minimum IoU for a box to count as matched in MOTA/IDF1/precision/recall
            (standard 0.5). Raising it demands tighter boxes and lowers every score; HOTA does
            not use it (it integrates over thresholds 0.05..0.95).

    Returns:
        `TrackingScores`.

    Raises:
        ValueError: missing columns, repeated (frame, id) rows, or a threshold outside (0, 1].
    """
    if not 0 < iou_threshold <= 1:
        raise ValueError(f"iou_threshold must be in (0, 1], got {iou_threshold}")
    _check(gt, "gt")
    _check(pred, "pred")
    gt_ids = {int(v): i for i, v in enumerate(np.unique(gt["id"].to_numpy()))}
    pr_ids = {int(v): i for i, v in enumerate(np.unique(pred["id"].to_numpy()))}
    gt_by_frame = {int(f): g for f, g in gt.groupby("frame", sort=True)}
    pr_by_frame = {int(f): g for f, g in pred.groupby("frame", sort=True)}
    frames = sorted(set(gt_by_frame) | set(pr_by_frame))

    acc = mm.MOTAccumulator(auto_id=False)
    hota_data: dict[str, list[npt.NDArray[np.generic]]] = {
        "gt_ids": [],
        "tracker_ids": [],
        "similarity_scores": [],
    }
    none = gt.iloc[0:0]
    for frame in frames:
        g = gt_by_frame.get(frame, none)
        p = pr_by_frame.get(frame, none)
        iou = iou_matrix(g[["x", "y", "w", "h"]].to_numpy(), p[["x", "y", "w", "h"]].to_numpy())
        dist = 1.0 - iou
        dist[iou < iou_threshold] = np.nan
        g_ids = g["id"].to_numpy(np.int64)
        p_ids = p["id"].to_numpy(np.int64)
        acc.update(g_ids, p_ids, dist, frameid=frame)
        hota_data["gt_ids"].append(np.array([gt_ids[int(i)] for i in g_ids], dtype=int))
        hota_data["tracker_ids"].append(np.array([pr_ids[int(i)] for i in p_ids], dtype=int))
        hota_data["similarity_scores"].append(iou)

    summary = mm.metrics.create().compute(
        acc,
        metrics=["mota", "idf1", "num_switches", "precision", "recall"],
        name="seq",
    )
    row = summary.loc["seq"]
    hota = _hota(hota_data, len(gt_ids), len(pr_ids), len(gt), len(pred))
    scores = TrackingScores(
        mota=float(row["mota"]),
        idf1=float(row["idf1"]),
        hota=hota["HOTA"],
        deta=hota["DetA"],
        assa=hota["AssA"],
        id_switches=int(row["num_switches"]),
        num_gt_ids=len(gt_ids),
        num_pred_ids=len(pr_ids),
        precision=float(row["precision"]),
        recall=float(row["recall"]),
    )
    logger.info("tracking scores over %d frames: %s", len(frames), scores)
    return scores


def _hota(
    data: dict[str, list[npt.NDArray[np.generic]]],
    num_gt_ids: int,
    num_pred_ids: int,
    num_gt_dets: int,
    num_pred_dets: int,
) -> dict[str, float]:
    """Run TrackEval's HOTA on prepared per-frame ids and IoU; return alpha-averaged scores."""
    seq = {
        **data,
        "num_gt_ids": num_gt_ids,
        "num_tracker_ids": num_pred_ids,
        "num_gt_dets": num_gt_dets,
        "num_tracker_dets": num_pred_dets,
    }
    res = HOTA().eval_sequence(seq)
    return {key: float(np.mean(res[key])) for key in ("HOTA", "DetA", "AssA")}
