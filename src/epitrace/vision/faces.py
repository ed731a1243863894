"""Face detection with CenterFace (ONNX): boxes, scores and 5 landmarks per face.

CenterFace predicts a face-centre heatmap at 1/4 of the input resolution, so faces smaller than
about 10 px at the network input are missed. CCTV heads are often ~17x16 px, which is why small
images (head crops) are upscaled to at least `min_side` before detection, and large photos are
downscaled to at most `max_side` to bound the cost (it grows with the pixel count).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session
from epitrace.vision.types import Detections

logger = logging.getLogger(__name__)

_OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks
_STRIDE = 4


def nms(
    boxes: npt.NDArray[np.float32], scores: npt.NDArray[np.float32], iou: float
) -> npt.NDArray[np.int64]:
    """Indices kept by greedy non-maximum suppression, best score first.

    Args:
        boxes: (n, 4) x1 y1 x2 y2.
        scores: (n,).
        iou: boxes overlapping a kept box by at least this IoU are dropped.
    """
    order = np.argsort(-scores, kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        overlap = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[overlap < iou]
    return np.asarray(keep, np.int64)


class FaceDetector:
    """CenterFace face detector.

    Args:
        model_path: installed `face_centerface.onnx`.
        threads: onnxruntime intra-op threads.
        min_side: images whose shorter side is below this are upscaled to it first (pixels).
            Higher finds smaller faces in head crops but costs time quadratically.
        max_side: images whose longer side exceeds this are downscaled to it (pixels).
            Lower is faster but loses faces under ~10 * longer_side / max_side pixels.

    Example:
        >>> detector = FaceDetector(models_dir / "face_centerface.onnx")  # doctest: +SKIP
        >>> faces = detector.detect(cv2.imread("group.jpg"), threshold=0.5)  # doctest: +SKIP
        >>> faces.xyxy.shape, faces.data["landmarks"].shape  # doctest: +SKIP
        ((3, 4), (3, 5, 2))
    """

    def __init__(
        self, model_path: Path, threads: int = 2, min_side: int = 192, max_side: int = 640
    ) -> None:
        with tempfile.TemporaryDirectory(prefix="epitrace-centerface-") as tmp:
            dynamic = Path(tmp) / "centerface_dynamic.onnx"
            dynamic.write_bytes(_dynamic_model(model_path))
            self._session: Any = onnx_session(dynamic, threads)
        self._input = self._session.get_inputs()[0].name
        self.min_side = min_side
        self.max_side = max_side

    def detect(self, image_bgr: npt.NDArray[np.uint8], threshold: float = 0.5) -> Detections:
        """Faces in `image_bgr` (H, W, 3 uint8 BGR), boxes and landmarks in its pixels.

        Args:
            image_bgr: the image; grayscale (H, W) and BGRA are accepted too.
            threshold: minimum heatmap score. 0.5 keeps few false faces on real photos;
                lower (0.3) finds more blurred/masked faces at the cost of false ones.

        Returns:
            Detections with `data["landmarks"]` (n, 5, 2): left eye, right eye, nose, left and
            right mouth corner, as seen in the image.
        """
        rgb = _to_rgb(image_bgr)
        h, w = rgb.shape[:2]
        if h < 2 or w < 2:
            return _empty()
        scale = min(1.0, self.max_side / max(h, w))
        scale = max(scale, self.min_side / min(h, w))
        w_in, h_in = _ceil32(w * scale), _ceil32(h * scale)
        resized = cv2.resize(rgb, (w_in, h_in), interpolation=cv2.INTER_LINEAR)
        blob = resized.transpose(2, 0, 1)[None].astype(np.float32)
        heat, size, offset, lms = self._session.run(list(_OUTPUTS), {self._input: blob})
        boxes, scores, marks = _decode(
            heat[0, 0], size[0], offset[0], lms[0], threshold, (h_in, w_in)
        )
        if not len(boxes):
            return _empty()
        keep = nms(boxes, scores, 0.3)
        sx, sy = w_in / w, h_in / h
        boxes = np.asarray(boxes[keep] / np.array([sx, sy, sx, sy], np.float32), np.float32)
        marks = np.asarray(marks[keep] / np.array([sx, sy], np.float32), np.float32)
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, w)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, h)
        return Detections(xyxy=boxes, confidence=scores[keep], data={"landmarks": marks})


def _decode(
    heat: npt.NDArray[np.float32],
    size: npt.NDArray[np.float32],
    offset: npt.NDArray[np.float32],
    lms: npt.NDArray[np.float32],
    threshold: float,
    hw: tuple[int, int],
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Heatmap peaks to boxes (n,4), scores (n,) and landmarks (n,5,2) at network-input scale."""
    rows, cols = np.nonzero(heat > threshold)
    if rows.size == 0:
        return (
            np.empty((0, 4), np.float32),
            np.empty(0, np.float32),
            np.empty((0, 5, 2), np.float32),
        )
    bh = np.exp(size[0, rows, cols]) * _STRIDE
    bw = np.exp(size[1, rows, cols]) * _STRIDE
    cy = (rows + offset[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offset[1, rows, cols] + 0.5) * _STRIDE
    x1 = np.clip(cx - bw / 2, 0, hw[1])
    y1 = np.clip(cy - bh / 2, 0, hw[0])
    boxes = np.stack([x1, y1, np.minimum(x1 + bw, hw[1]), np.minimum(y1 + bh, hw[0])], 1)
    ly = lms[0::2, rows, cols].T * bh[:, None] + y1[:, None]
    lx = lms[1::2, rows, cols].T * bw[:, None] + x1[:, None]
    marks = np.stack([lx, ly], axis=2)
    return boxes.astype(np.float32), heat[rows, cols].astype(np.float32), marks.astype(np.float32)


def _dynamic_model(path: Path) -> bytes:
    """The CenterFace graph with free batch/height/width dims (the file fixes 10x3x32x32).

    The installed file is left as shipped (its checksum is locked); the change is made in memory.
    """
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    real_inputs = [value for value in graph.input if value.name not in weights]
    del graph.input[:]  # weights listed as inputs block constant folding in onnxruntime
    graph.input.extend(real_inputs)
    used = {name for node in graph.node for name in node.input}
    unused = [init for init in graph.initializer if init.name not in used]
    for init in unused:  # BatchNorm num_batches_tracked counters
        graph.initializer.remove(init)
    channels = (1, 2, 2, 10)
    shapes = [(graph.input[0], ["B", 3, "H", "W"])]
    shapes += [(o, ["B", c, "h", "w"]) for o, c in zip(graph.output, channels, strict=True)]
    for value, dims in shapes:
        for dim, new in zip(value.type.tensor_type.shape.dim, dims, strict=True):
            if isinstance(new, str):
                dim.dim_param = new
            else:
                dim.dim_value = new
    del graph.value_info[:]  # stale intermediate shapes from the 32x32 export
    return bytes(model.SerializeToString())


def _to_rgb(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    if image.ndim == 2:
        code = cv2.COLOR_GRAY2RGB
    elif image.shape[2] == 4:
        code = cv2.COLOR_BGRA2RGB
    else:
        code = cv2.COLOR_BGR2RGB
    return np.asarray(cv2.cvtColor(image, code), np.uint8)


def _ceil32(x: float) -> int:
    return max(32, int(np.ceil(x / 32) * 32))


def _empty() -> Detections:
    return Detections(
        xyxy=np.empty((0, 4), np.float32),
        confidence=np.empty(0, np.float32),
        data={"landmarks": np.empty((0, 5, 2), np.float32)},
    )
