"""Body vectors from a trained person re-ID network in ONNX (e.g. OSNet), installed by URL.

The production path when a re-ID-trained model is available (`models.manifest.reid_url_spec`):
such networks are trained to ignore a camera's colour cast and to tell people in the same
clothes apart, which colour histograms cannot. The vector kind and index dimension change with
the network (its output length), so a store switched to it needs a re-ingest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session
from epitrace.vision.types import box_crops

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)


class OnnxReidEmbedder:
    """L2-normalised features of person crops from an ONNX re-ID network.

    Args:
        model_path: the installed `body_reid.onnx` (input `(n, 3, H, W)`, output `(n, D)`).
        threads: onnxruntime intra-op threads.
        input_hw: the network's input size (OSNet: 256x128).
        imagenet_normalise: apply ImageNet mean/std to 0-1 RGB (False: the graph takes 0-255 RGB).
        batch: crops per run.
    """

    def __init__(self, model_path: Path, threads: int = 2, input_hw: tuple[int, int] = (256, 128),
                 imagenet_normalise: bool = True, batch: int = 32) -> None:
        self._session: Any = onnx_session(model_path, threads)
        self._input = self._session.get_inputs()[0].name
        shape = self._session.get_outputs()[0].shape
        if len(shape) != 2 or not isinstance(shape[1], int):
            raise ValueError(f"{model_path}: a re-ID network must output (n, D) features, got shape {shape}")
        self._dim = int(shape[1])
        self.input_hw = input_hw
        self.imagenet_normalise = imagenet_normalise
        self.batch = batch

    @property
    def dim(self) -> int:
        """Length of the vectors (the network's output)."""
        return self._dim

    def embed(self, frame_bgr: npt.NDArray[np.uint8], boxes_xyxy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """(n, dim) vectors of the person boxes (n, 4) of one frame."""
        return self.embed_crops(box_crops(frame_bgr, boxes_xyxy))

    def embed_crops(self, crops: list[npt.NDArray[np.uint8]], camera: str | None = None) -> npt.NDArray[np.float32]:
        """(n, dim) L2-normalised vectors of BGR person crops; `camera` is unused (no colour reference)."""
        if not crops:
            return np.empty((0, self.dim), np.float32)
        out = []
        for start in range(0, len(crops), self.batch):
            blob = np.stack([self._to_input(c) for c in crops[start : start + self.batch]])
            out.append(np.asarray(self._session.run(None, {self._input: blob})[0], np.float32))
        features = np.concatenate(out)
        return (features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-9)).astype(np.float32)

    def _to_input(self, crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        rgb = cv2.resize(crop_bgr, (self.input_hw[1], self.input_hw[0]), interpolation=cv2.INTER_LINEAR)[:, :, ::-1]
        x = rgb.astype(np.float32)
        if self.imagenet_normalise:
            x = (x / 255.0 - IMAGENET_MEAN) / IMAGENET_STD
        return np.ascontiguousarray(x.transpose(2, 0, 1))
