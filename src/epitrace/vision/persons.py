"""Person detection with MobileNetV3-CenterNet (COCO), converted from TF.js to ONNX.

The ONNX model returns the raw CenterNet heads; decoding happens here rather than in the graph
because the graph's own decoder keeps the top 100 peaks over all 80 classes, so in a crowd
other classes compete with people for those slots. Here only the person channel is decoded and
every peak above the threshold is kept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session
from epitrace.vision.faces import nms
from epitrace.vision.types import Detections

logger = logging.getLogger(__name__)

PERSON_CLASS = 0
STRIDE = 4  # heatmap cell size in input pixels (512 -> 128)
ALIGN = 32  # total network stride: free input sizes must be multiples of it
ResizePolicy = Literal["stretch", "letterbox"]


class PersonDetector:
    """Finds people in BGR frames; boxes come back in the frame's own pixel coordinates.

    Trade-offs: raising `score_threshold` drops false positives but loses small, distant or
    occluded people first; lowering it does the reverse and gives the tracker more short, noisy
    tracks. On PETS S2L1 frames 1-400 (768x576 run at 512x384, IoU 0.5): 0.3 gives recall 0.89,
    precision 0.71 (most false positives are a bin and a stone that look like crouching people,
    in the same place every frame); 0.4 gives 0.85 / 0.93; 0.5 gives 0.70 / 0.96. `nms_iou`
    only matters for large people, whose heatmap can show two peaks; CenterNet's 3x3 peak test
    already removes most duplicates (NMS at 0.5 removed 6 of 889 false positives at 0.3).

    Example:
        >>> det = PersonDetector(Path("person_centernet.onnx"))  # doctest: +SKIP
        >>> dets = det.detect(cv2.imread("frame.jpg"))  # doctest: +SKIP
    """

    def __init__(self, model_path: Path, threads: int = 2, input_size: int = 512,
                 score_threshold: float = 0.3, *, resize: ResizePolicy = "letterbox",
                 nms_iou: float = 0.5) -> None:
        """Load the ONNX model (input `images` NHWC RGB 0-255, outputs `keypoints`, `wh`).

        Args:
            model_path: ONNX file written by `convert_tfjs_graph`.
            threads: onnxruntime intra-op threads.
            input_size: long side of the network input in pixels, a multiple of 32; a model
                converted with fixed height and width (`dynamic_hw=False`) must be this square.
            score_threshold: minimum person heatmap peak, in [0, 1].
            resize: "letterbox" keeps the aspect ratio: the long side becomes `input_size` and
                the short side is padded only up to a multiple of 32 when the model's height
                and width are free (768x576 runs at 512x384: faster, and measured better on
                PETS than "stretch"), to the full square otherwise. "stretch" scales each axis
                to `input_size` independently.
            nms_iou: IoU above which the weaker of two person boxes is dropped.
        """
        self.session = onnx_session(Path(model_path), threads=threads)
        shape = self.session.get_inputs()[0].shape
        self.fixed_hw: tuple[int, int] | None = None
        if isinstance(shape[1], int) and isinstance(shape[2], int):
            self.fixed_hw = (shape[1], shape[2])
            if self.fixed_hw != (input_size, input_size):
                raise ValueError(f"model input is {shape[1]}x{shape[2]}, input_size={input_size}")
        elif input_size % ALIGN:
            raise ValueError(f"input_size must be a multiple of {ALIGN}, got {input_size}")
        self.input_size = input_size
        self.score_threshold = score_threshold
        self.resize = resize
        self.nms_iou = nms_iou

    def _prepare(self, frame_bgr: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32],
                                                                    tuple[float, float]]:
        """The network input (1, H, W, 3) RGB float and the (x, y) scale from it to the frame."""
        size = self.input_size
        h, w = frame_bgr.shape[:2]
        if self.resize == "letterbox":
            scale = min(size / w, size / h)
            nw, nh = max(round(w * scale), 1), max(round(h * scale), 1)
            ch, cw = self.fixed_hw or (-(-nh // ALIGN) * ALIGN, -(-nw // ALIGN) * ALIGN)
            small = cv2.resize(frame_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
            canvas = small if (ch, cw) == (nh, nw) else np.full((ch, cw, 3), 114, np.uint8)
            canvas[:nh, :nw] = small
            sx, sy = w / nw, h / nh
        else:
            canvas = cv2.resize(frame_bgr, (size, size), interpolation=cv2.INTER_LINEAR)
            sx, sy = w / size, h / size
        rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
        return rgb.astype(np.float32)[None], (sx, sy)

    def detect(self, frame_bgr: npt.NDArray[np.uint8]) -> Detections:
        """People in one BGR frame: boxes (n, 4) in frame pixels and confidences (n,)."""
        if frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            raise ValueError(f"expected an (h, w, 3) BGR frame, got shape {frame_bgr.shape}")
        blob, (sx, sy) = self._prepare(frame_bgr)
        heat, wh = self.session.run(["keypoints", "wh"], {"images": blob})
        hm = np.ascontiguousarray(heat[0, :, :, PERSON_CLASS])
        peaks = (hm == cv2.dilate(hm, np.ones((3, 3), np.uint8))) & (hm >= self.score_threshold)
        ys, xs = np.nonzero(peaks)
        if ys.size == 0:
            return Detections.empty()
        scores = hm[ys, xs]
        d = wh[0, ys, xs]  # distances from the centre cell to left, top, right, bottom
        cx, cy = xs.astype(np.float32) * STRIDE, ys.astype(np.float32) * STRIDE
        boxes = np.stack([cx - d[:, 0], cy - d[:, 1], cx + d[:, 2], cy + d[:, 3]], axis=1)
        boxes *= np.array([sx, sy, sx, sy], np.float32)
        h, w = frame_bgr.shape[:2]
        boxes = boxes.clip(0, np.array([w, h, w, h], np.float32))
        keep = nms(boxes, scores, self.nms_iou)
        return Detections(xyxy=boxes[keep], confidence=scores[keep])
