"""MOTA / IDF1 / HOTA on the real PETS 2009 S2L1 ground truth, with closed-form expectations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from epitrace.evaluation.mot import MOT_COLUMNS, evaluate_tracking, iou_matrix, load_mot

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pets2009_s2l1"
GT_FILE = DATA / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt"

needs_data = pytest.mark.skipif(not GT_FILE.is_file(), reason=f"shared data not found at {DATA}")


@pytest.fixture(scope="module")
def gt() -> pd.DataFrame:
    return load_mot(GT_FILE)


Row = tuple[int, int, float, float, float, float]


def _boxes(rows: list[Row]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["frame", "id", "x", "y", "w", "h"])
    return df.assign(conf=1.0)


@needs_data
def test_load_mot_reads_the_real_ground_truth(gt: pd.DataFrame) -> None:
    assert list(gt.columns[:7]) == list(MOT_COLUMNS)
    assert len(gt) == 2396 and gt["id"].nunique() == 10
    assert (gt["frame"].min(), gt["frame"].max()) == (1, 400)
    assert gt["frame"].dtype == np.int64 and gt["id"].dtype == np.int64
    first = load_mot(GT_FILE, frames=(1, 100))
    assert first["frame"].between(1, 100).all() and first["frame"].max() == 100


@pytest.mark.parametrize(
    ("text", "n_rows", "n_cols"),
    [
        ("1,1,10,20,30,40\n2,1,11,20,30,40\n", 2, 7),  # 6 columns: conf defaults to 1
        ("1,1,10,20,30,40,0.9,-1,-1,-1,\n", 1, 10),  # trailing comma, 3 extra columns
        ("", 0, 7),  # an empty result file is a valid (empty) tracking
    ],
)
def test_load_mot_formats(tmp_path: Path, text: str, n_rows: int, n_cols: int) -> None:
    path = tmp_path / "res.txt"
    path.write_text(text)
    df = load_mot(path)
    assert df.shape == (n_rows, n_cols)
    if n_rows:
        assert df["conf"].iloc[0] in (1.0, 0.9)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1,1,10,20,30\n", "at least 6 columns"),
        ("1,1,ten,20,30,40\n", "non-numeric"),
    ],
)
def test_load_mot_rejects_malformed_files(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "res.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_mot(path)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([0, 0, 10, 10], [0, 0, 10, 10], 1.0),  # identical
        ([0, 0, 10, 10], [20, 0, 10, 10], 0.0),  # disjoint
        ([0, 0, 10, 10], [5, 0, 10, 10], 50 / 150),  # half overlap
        ([0, 0, 0, 0], [0, 0, 0, 0], 0.0),  # zero-area boxes do not divide by zero
    ],
)
def test_iou_matrix(a: list[float], b: list[float], expected: float) -> None:
    assert iou_matrix(np.array([a]), np.array([b]))[0, 0] == pytest.approx(expected)


@needs_data
def test_ground_truth_against_itself_is_perfect(gt: pd.DataFrame) -> None:
    s = evaluate_tracking(gt, gt)
    assert (s.mota, s.idf1, s.hota, s.precision, s.recall) == pytest.approx((1, 1, 1, 1, 1))
    assert s.id_switches == 0 and s.num_gt_ids == s.num_pred_ids == 10


@needs_data
def test_dropped_boxes_cost_exactly_the_misses(gt: pd.DataFrame) -> None:
    n = len(gt)
    victim = int(gt["id"].value_counts().idxmax())
    n_victim = int((gt["id"] == victim).sum())
    drop = (gt["id"] == victim) & (gt["frame"] % 3 == 0)
    k = int(drop.sum())
    s = evaluate_tracking(gt, gt[~drop])
    assert s.mota == pytest.approx(1 - k / n)
    assert s.recall == pytest.approx((n - k) / n) and s.precision == pytest.approx(1.0)
    assert s.idf1 == pytest.approx(2 * (n - k) / (2 * n - k))
    assert s.id_switches == 0
    # HOTA: DetA = TP / (TP + FN); the victim's matches are worth (n_v - k) / n_v in AssA.
    det_a = (n - k) / n
    ass_a = ((n - n_victim) + (n_victim - k) ** 2 / n_victim) / (n - k)
    assert s.deta == pytest.approx(det_a) and s.assa == pytest.approx(ass_a)
    assert s.hota == pytest.approx(math.sqrt(det_a * ass_a))


@needs_data
def test_one_identity_relabelled_part_way_is_one_switch(gt: pd.DataFrame) -> None:
    n = len(gt)
    victim = int(gt["id"].value_counts().idxmax())
    frames = gt.loc[gt["id"] == victim, "frame"]
    cut = int(frames.quantile(0.3))
    late = (gt["id"] == victim) & (gt["frame"] > cut)
    pred = gt.copy()
    pred.loc[late, "id"] = 999
    a2 = int(late.sum())
    a1 = len(frames) - a2
    s = evaluate_tracking(gt, pred)
    assert s.id_switches == 1 and s.num_pred_ids == s.num_gt_ids + 1
    assert s.mota == pytest.approx(1 - 1 / n)
    assert s.idf1 == pytest.approx((n - len(frames) + max(a1, a2)) / n)
    ass_a = ((n - len(frames)) + (a1**2 + a2**2) / len(frames)) / n
    assert s.deta == pytest.approx(1.0) and s.hota == pytest.approx(math.sqrt(ass_a))


@needs_data
def test_two_identities_swapped_part_way_are_two_switches(gt: pd.DataFrame) -> None:
    frame_sets = gt.groupby("id")["frame"].agg(["min", "max"])
    a, b = frame_sets.sort_values("min").index[:2]  # present from the first frames
    cut = int(min(frame_sets.loc[a, "max"], frame_sets.loc[b, "max"]) // 2)
    pred = gt.copy()
    late = pred["frame"] > cut
    pred.loc[late & (gt["id"] == a), "id"] = b
    pred.loc[late & (gt["id"] == b), "id"] = a
    s = evaluate_tracking(gt, pred)
    assert s.id_switches == 2 and s.mota == pytest.approx(1 - 2 / len(gt))
    assert s.idf1 < 1.0 and s.hota < 1.0


@pytest.mark.parametrize(("threshold", "matched"), [(0.5, False), (0.3, True)])
def test_iou_threshold_decides_what_matches(threshold: float, matched: bool) -> None:
    # boxes shifted by 3/7 of their width overlap with IoU (10 - 30/7) / (10 + 30/7) = 0.4
    gt = _boxes([(f, 1, 0.0, 0.0, 10.0, 20.0) for f in range(1, 6)])
    pred = gt.assign(x=gt["x"] + 30 / 7)
    s = evaluate_tracking(gt, pred, iou_threshold=threshold)
    assert s.recall == pytest.approx(1.0 if matched else 0.0)
    assert s.mota == pytest.approx(1.0 if matched else -1.0)
    assert 0 < s.hota < 1  # HOTA integrates over IoU 0.05..0.95 and ignores the threshold


def test_empty_prediction_scores_zero() -> None:
    gt = _boxes([(1, 1, 0, 0, 10, 10), (2, 1, 1, 0, 10, 10)])
    s = evaluate_tracking(gt, gt.iloc[0:0])
    assert (s.mota, s.idf1, s.hota, s.recall) == (0.0, 0.0, 0.0, 0.0)
    assert s.num_pred_ids == 0


@pytest.mark.parametrize(
    ("gt_rows", "threshold", "match"),
    [
        ([(1, 1, 0, 0, 10, 10), (1, 1, 5, 5, 10, 10)], 0.5, "repeated"),  # one id twice in a frame
        ([(1, 1, 0, 0, 10, 10)], 0.0, "iou_threshold"),  # a threshold of 0 matches everything
        ([(1, 1, 0, 0, 10, 10)], 1.5, "iou_threshold"),
    ],
)
def test_evaluate_rejects_bad_input(gt_rows: list[Row], threshold: float, match: str) -> None:
    gt = _boxes(gt_rows)
    with pytest.raises(ValueError, match=match):
        evaluate_tracking(gt, gt, iou_threshold=threshold)


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match=r"\['h'\]"):
        evaluate_tracking(_boxes([(1, 1, 0, 0, 1, 1)]).drop(columns="h"), _boxes([]))
