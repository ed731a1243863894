"""The converted CenterNet person detector on real PETS 2009 S2L1 frames, against ground truth.

The model comes from `$EPITRACE_HOME/models/person_centernet.onnx` when installed; otherwise it
is converted here from the unpacked npm files (`$EPITRACE_CENTERNET_TFJS`, a folder holding
`centernet.json` and `centernet.bin`, default /tmp/npmx/package/models); otherwise the tests skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from scipy.optimize import linear_sum_assignment

from epitrace.vision.persons import PersonDetector
from epitrace.vision.types import Detections

pytestmark = [pytest.mark.slow, pytest.mark.models]

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PETS = DATA / "pets2009_s2l1"
VIDEO = PETS / "video" / "vtest.avi"
GT = PETS / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt"

# TF 2.21 running the original TF.js graph (tower_0/detections, class 0) on frame 1 resized to
# 512x512 with cv2 INTER_LINEAR: x1 y1 x2 y2 in 512-px input coordinates, then score.
TF_FRAME1_PERSONS = np.array([
    (332.877, 138.903, 353.055, 205.836, 0.6373),
    (427.465, 212.305, 453.762, 284.240, 0.5734),
    (168.052, 197.632, 188.516, 275.012, 0.5697),
    (107.535, 221.545, 128.154, 245.396, 0.3753),
    (20.435, 96.980, 30.666, 123.270, 0.3429),
], np.float32)


def _home() -> Path:
    return Path(os.environ.get("EPITRACE_HOME", str(Path.home() / ".epitrace")))


@pytest.fixture(scope="session")
def person_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The person ONNX model: installed, else converted from the npm files, else skip."""
    installed = _home() / "models" / "person_centernet.onnx"
    if installed.exists():
        return installed
    tfjs = Path(os.environ.get("EPITRACE_CENTERNET_TFJS", "/tmp/npmx/package/models"))
    graph, weights = tfjs / "centernet.json", tfjs / "centernet.bin"
    if not (graph.exists() and weights.exists()):
        pytest.skip(f"no {installed} and no TF.js centernet files in {tfjs}")
    from epitrace.models.converters.tfjs_onnx import convert_tfjs_graph

    out = tmp_path_factory.mktemp("models") / "person_centernet.onnx"
    convert_tfjs_graph(graph, weights, out)
    return out


@pytest.fixture(scope="session")
def pets_frames() -> list[npt.NDArray[np.uint8]]:
    """Frames 1-400 of vtest.avi (768x576 BGR)."""
    if not VIDEO.exists() or not GT.exists():
        pytest.skip(f"PETS 2009 S2L1 video or ground truth not found under {PETS}")
    capture = cv2.VideoCapture(str(VIDEO))
    frames = []
    for _ in range(400):
        ok, frame = capture.read()
        assert ok, "vtest.avi has fewer than 400 frames"
        frames.append(frame)
    capture.release()
    return frames


def _iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.asarray(inter / (area_a[:, None] + area_b[None] - inter), np.float64)


def _recall_precision(per_frame: list[Detections], threshold: float) -> tuple[float, float]:
    """One-to-one matching (Hungarian, IoU >= 0.5) against the MOT ground truth."""
    gt = np.loadtxt(GT, delimiter=",")
    tp = n_pred = n_gt = 0
    for frame_no, dets in enumerate(per_frame, start=1):
        truth = gt[gt[:, 0] == frame_no][:, 2:6].copy()
        truth[:, 2:] += truth[:, :2]
        pred = dets.xyxy[dets.confidence >= threshold]
        n_pred, n_gt = n_pred + len(pred), n_gt + len(truth)
        if len(pred) and len(truth):
            iou = _iou(pred, truth.astype(np.float32))
            rows, cols = linear_sum_assignment(-iou)
            tp += int((iou[rows, cols] >= 0.5).sum())
    return tp / n_gt, tp / max(n_pred, 1)


@pytest.fixture(scope="session")
def detections_400(person_model: Path, pets_frames: list[npt.NDArray[np.uint8]]
                   ) -> list[Detections]:
    detector = PersonDetector(person_model, threads=2)  # defaults: letterbox, 0.3
    return [detector.detect(frame) for frame in pets_frames]


@pytest.mark.parametrize(
    ("threshold", "min_recall", "min_precision"),
    [
        (0.3, 0.86, 0.67),  # default; measured 0.889 / 0.707
        (0.4, 0.82, 0.89),  # measured 0.851 / 0.927
    ],
)
def test_recall_precision_on_pets_frames_1_400(detections_400: list[Detections], threshold: float,
                                               min_recall: float, min_precision: float) -> None:
    recall, precision = _recall_precision(detections_400, threshold)
    assert recall >= min_recall, f"recall {recall:.3f} at {threshold}"
    assert precision >= min_precision, f"precision {precision:.3f} at {threshold}"


def test_boxes_are_in_frame_pixels(detections_400: list[Detections]) -> None:
    for dets in detections_400:
        assert dets.xyxy.dtype == np.float32 and dets.confidence.dtype == np.float32
        assert (dets.xyxy[:, [0, 1]] >= 0).all() and (dets.xyxy[:, 2] <= 768).all()
        assert (dets.xyxy[:, 3] <= 576).all() and (dets.xyxy[:, 2] > dets.xyxy[:, 0]).all()
        assert (dets.confidence >= 0.3).all()


def test_stretch_512_matches_tensorflow_on_frame_1(person_model: Path,
                                                   pets_frames: list[npt.NDArray[np.uint8]]
                                                   ) -> None:
    """The converted graph reproduces TF's own decoder output (person rows) to float error."""
    detector = PersonDetector(person_model, resize="stretch", score_threshold=0.3)
    dets = detector.detect(pets_frames[0])
    order = np.argsort(-dets.confidence)
    expected = TF_FRAME1_PERSONS.copy()
    expected[:, :4] *= np.array([768 / 512, 576 / 512] * 2, np.float32)
    assert len(dets) == len(expected)
    np.testing.assert_allclose(dets.confidence[order], expected[:, 4], atol=2e-4)
    np.testing.assert_allclose(dets.xyxy[order], expected[:, :4], atol=0.05)
