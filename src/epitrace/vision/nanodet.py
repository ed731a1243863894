"""Person detection with NanoDet-g (COCO), converted from TF.js, trimmed and quantised to int8.

Why NanoDet: on this 2-core machine it finds people on PETS as well as CenterNet at 640 (recall
0.875 / precision 0.949 vs 0.879 / 0.923, ../shared/MODELS.md) in about a third of the time,
because its int8 convolutions run on VNNI. The installed model (`person_nanodet_int8.onnx`, built
by `epitrace.models.converters.nanodet`) has a fixed 288x384 NCHW input and returns, per stride
8/16/32, a (1, 45, H/s, W/s) head: the person logit, then 4 sides x 11 GFL distance bins.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session
from epitrace.vision.faces import nms
from epitrace.vision.types import Detections

logger = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
REG_BINS = 11  # GFL: each side's distance is a distribution over 0..10 strides
MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)


def decode_heads(heads: Sequence[npt.NDArray[np.float32]], strides: Sequence[int], score_threshold: float
                 ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Person boxes (x1 y1 x2 y2, input pixels) and scores from the raw NanoDet heads, before NMS.

    Args:
        heads: per stride, (1, 1 + 4 * REG_BINS, H, W): person logit, then left/top/right/bottom
            bins (GFL: softmax over the bins, expectation = distance in strides).
        strides: the stride of each head.
        score_threshold: minimum sigmoid(person logit).
    """
    all_boxes, all_scores = [], []
    for head, stride in zip(heads, strides, strict=True):
        if head.ndim != 4 or head.shape[:2] != (1, 1 + 4 * REG_BINS):
            raise ValueError(f"expected a (1, {1 + 4 * REG_BINS}, H, W) head, got {head.shape}")
        scores = 1.0 / (1.0 + np.exp(-head[0, 0]))
        ys, xs = np.nonzero(scores >= score_threshold)
        if ys.size == 0:
            continue
        bins = head[0, 1:, ys, xs].reshape(-1, 4, REG_BINS)  # fancy index puts cells first
        bins = np.exp(bins - bins.max(axis=2, keepdims=True))
        dist = (bins / bins.sum(axis=2, keepdims=True)) @ np.arange(REG_BINS, dtype=np.float32) * stride
        cx, cy = (xs.astype(np.float32) + 0.5) * stride, (ys.astype(np.float32) + 0.5) * stride
        all_boxes.append(np.stack([cx - dist[:, 0], cy - dist[:, 1], cx + dist[:, 2], cy + dist[:, 3]], axis=1))
        all_scores.append(scores[ys, xs])
    if not all_boxes:
        return np.empty((0, 4), np.float32), np.empty(0, np.float32)
    return (np.concatenate(all_boxes).astype(np.float32), np.concatenate(all_scores).astype(np.float32))


def prepare_input(frame_bgr: npt.NDArray[np.uint8], input_hw: tuple[int, int]
                  ) -> tuple[npt.NDArray[np.float32], float]:
    """The network input (1, 3, H, W) of a BGR image, letterboxed top-left, and the scale input -> image.

    Normalised BGR as NanoDet was trained (RGB/255, as human.js feeds it, lost recall).
    """
    ih, iw = input_hw
    h, w = frame_bgr.shape[:2]
    scale = min(iw / w, ih / h)
    nw, nh = min(max(round(w * scale), 1), iw), min(max(round(h * scale), 1), ih)
    small = cv2.resize(frame_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
    canvas = np.zeros((ih, iw, 3), np.float32)  # the padding is the mean colour
    canvas[:nh, :nw] = (small.astype(np.float32) - MEAN_BGR) / STD_BGR
    return canvas.transpose(2, 0, 1)[None].copy(), 1.0 / scale


class NanoDetPersonDetector:
    """Finds people in BGR frames with the int8 NanoDet-g; boxes in the frame's own pixels.

    Trade-offs: 0.5 (the default) gave recall 0.875 / precision 0.949 on PETS S2L1 frames 1-400
    (768x576, IoU 0.5); lowering it finds more partly hidden people for more false boxes (0.1:
    recall 0.958, what redaction wants). Frames of another aspect ratio are letterboxed into the
    fixed input, so their people get fewer pixels.

    Example:
        >>> det = NanoDetPersonDetector(Path("person_nanodet_int8.onnx"))  # doctest: +SKIP
        >>> dets = det.detect(cv2.imread("frame.jpg"))  # doctest: +SKIP
    """

    def __init__(self, model_path: Path, threads: int = 2, score_threshold: float = 0.5,
                 nms_iou: float = 0.5) -> None:
        """Load the ONNX model (input NCHW normalised BGR of a fixed size, one head per stride)."""
        self.session = onnx_session(Path(model_path), threads=threads)
        inp = self.session.get_inputs()[0]
        if not all(isinstance(d, int) for d in inp.shape[2:]):
            raise ValueError(f"{model_path}: expected a fixed input size, got {inp.shape}")
        self.input_name = inp.name
        self.input_hw: tuple[int, int] = (int(inp.shape[2]), int(inp.shape[3]))
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.strides = tuple(self.input_hw[0] // int(o.shape[2]) for o in self.session.get_outputs())
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou

    def detect(self, frame_bgr: npt.NDArray[np.uint8]) -> Detections:
        """People in one BGR frame: boxes (n, 4) in frame pixels and confidences (n,)."""
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError(f"expected an (h, w, 3) BGR frame, got shape {frame_bgr.shape}")
        blob, back = prepare_input(frame_bgr, self.input_hw)
        heads = self.session.run(self.outputs, {self.input_name: blob})
        boxes, scores = decode_heads(heads, self.strides, self.score_threshold)
        if not len(scores):
            return Detections.empty()
        h, w = frame_bgr.shape[:2]
        boxes = (boxes * np.float32(back)).clip(0, np.array([w, h, w, h], np.float32))
        keep = nms(boxes, scores, self.nms_iou)
        return Detections(xyxy=boxes[keep], confidence=scores[keep])
