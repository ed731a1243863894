"""Person appearance vectors: camera-normalised part colour histograms, optionally plus MobileNetV2.

No re-ID-trained model installs offline (see docs/scaling.md for the by-URL path), so the CNN is
ImageNet MobileNetV2, which describes texture and shape but is not trained to tell people apart.
CCTV crops are tiny (PETS people are ~50x18 px), where clothing colour per body part carries most
of the identity. Colour must survive a change of camera, so each crop is first normalised
(`normalise_crop`: fixed size, grey-world white balance, equalised luminance) before its HSV
histograms are taken. Measured on the shared PETS re-ID crops with simulated camera differences on
the gallery (`epitrace eval reid --shift ...`, docs/scaling.md): raw colour + CNN scored rank-1
0.756 unshifted but 0.356-0.422 under another white balance; the normalised colour scores
0.667-0.711 under every shift, and the CNN part never raised rank-1, so it is off by default
(`cnn_weight=0`: a 576-d vector, BODY_VECTOR_VERSION 2). With `cnn_weight > 0` the vector
concatenates both parts, each L2-normalised, so its cosine is
`cnn_weight^2 * cos_cnn + colour_weight^2 * cos_colour`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import onnx_session
from epitrace.vision.types import box_crops

logger = logging.getLogger(__name__)

CROP_HW = (256, 128)
CNN_DIM = 1280
# Body stripes as fractions of box height (head, torso, legs) and their weights in the colour part.
STRIPES: tuple[tuple[float, float, float], ...] = (
    (0.0, 0.2, 0.5),
    (0.2, 0.55, 1.0),
    (0.55, 1.0, 1.0),
)
H_BINS, S_BINS, V_BINS = 12, 4, 4
COLOUR_DIM = len(STRIPES) * H_BINS * S_BINS * V_BINS
CANON_HW = (64, 32)
"""Size every crop is resampled to first, so blur and resolution differ less between cameras."""
BODY_VECTOR_VERSION = 2
"""1: 1,856-d raw colour + MobileNetV2; 2: 576-d normalised colour. Stores of v1 need a re-ingest."""


def _small(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The crop at CANON_HW (area resampling), so sharp and soft or near and far crops are alike."""
    return np.asarray(cv2.resize(crop_bgr, (CANON_HW[1], CANON_HW[0]), interpolation=cv2.INTER_AREA), np.uint8)


def _balanced(small: npt.NDArray[np.uint8], mean_bgr: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    """Grey-world gains taking `mean_bgr` to mid-grey, then the luminance equalised."""
    balanced = np.clip(small.astype(np.float32) * (128.0 / (mean_bgr + 1e-3)), 0, 255).astype(np.uint8)
    ycc = cv2.cvtColor(balanced, cv2.COLOR_BGR2YCrCb)
    ycc[..., 0] = cv2.equalizeHist(np.ascontiguousarray(ycc[..., 0]))
    return np.asarray(cv2.cvtColor(ycc, cv2.COLOR_YCrCb2BGR), np.uint8)


def normalise_crop(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The crop as a camera-neutral image: 64x32, grey-world balanced, luminance equalised.

    Grey-world scales each channel so the crop's mean is mid-grey, which cancels a camera's
    white balance and exposure gain; equalising the luminance cancels its tone curve; the fixed
    size (area resampling) makes sharp and soft or near and far crops alike.
    """
    if crop_bgr.shape[0] < 3 or crop_bgr.shape[1] < 3:
        return crop_bgr
    small = _small(crop_bgr)
    return _balanced(small, small.reshape(-1, 3).astype(np.float32).mean(axis=0))


class CameraColour:
    """Running mean colour of one camera's person crops: its grey-world reference.

    Balancing each crop by its own mean also greys out the person's clothing (a red coat turns
    less red), which costs same-camera re-ID 0.11 rank-1; balancing by the mean of every person
    the camera has seen cancels the camera's white balance and gain but keeps the clothing.
    Until the camera has seen `prior_crops` crops, the crop's own mean is blended in.
    """

    def __init__(self, prior_crops: float = 16.0) -> None:
        self.prior_crops = prior_crops
        self.crops = 0
        self._sum = np.zeros(3, np.float64)

    def add(self, smalls: list[npt.NDArray[np.uint8]]) -> None:
        """Count these (CANON_HW) crops into the camera's mean."""
        for small in smalls:
            self._sum += small.reshape(-1, 3).astype(np.float64).mean(axis=0)
            self.crops += 1

    def reference(self, small: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """The mean colour to balance `small` by: the camera's, blended with the crop's own early on."""
        own = small.reshape(-1, 3).astype(np.float64).mean(axis=0)
        total = self._sum + self.prior_crops * own
        return (total / (self.crops + self.prior_crops)).astype(np.float32)


def camera_invariant_features(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(COLOUR_DIM,) `colour_features` of the normalised crop (the default body vector's part)."""
    return colour_features(normalise_crop(crop_bgr))


def colour_features(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(COLOUR_DIM,) L2-normalised HSV histograms of the head, torso and leg stripes.

    The central 70% of the width is used to leave out background at the box sides. Each
    stripe's histogram is L1-normalised and square-rooted (Hellinger), so a dot product
    between two vectors is the Bhattacharyya coefficient averaged over stripes.
    """
    h, w = crop_bgr.shape[:2]
    if h < 3 or w < 3:
        return np.zeros(COLOUR_DIM, np.float32)
    hsv = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2HSV)
    x1, x2 = int(round(0.15 * w)), max(int(round(0.85 * w)), int(round(0.15 * w)) + 1)
    parts = []
    for top, bottom, weight in STRIPES:
        y1, y2 = int(round(top * h)), max(int(round(bottom * h)), int(round(top * h)) + 1)
        region = np.ascontiguousarray(hsv[y1:y2, x1:x2])
        hist = cv2.calcHist(
            [region], [0, 1, 2], None, [H_BINS, S_BINS, V_BINS], [0, 180, 0, 256, 0, 256]
        ).ravel()
        hist = np.sqrt(hist / max(float(hist.sum()), 1.0))
        parts.append(hist * np.sqrt(weight))
    vector = np.concatenate(parts).astype(np.float32)
    return _unit(vector)


class BodyEmbedder:
    """Body appearance embedder for person boxes.

    Args:
        model_path: installed `body_mobilenetv2.onnx` (0-255 RGB input, see the converter);
            needed only when `cnn_weight > 0`.
        threads: onnxruntime intra-op threads.
        cnn_weight: weight of the MobileNetV2 part; `colour_weight = sqrt(1 - cnn_weight^2)`.
            0.0 (default) gives the 576-d colour vector, 1.0 CNN only.
        normalise: colour of the camera-normalised crop (default) or of the raw crop (the v1
            vector, which a change of white balance breaks).

    Example:
        >>> embedder = BodyEmbedder(models / "body_mobilenetv2.onnx")  # doctest: +SKIP
        >>> vectors = embedder.embed(frame, dets.xyxy)  # doctest: +SKIP
        >>> vectors.shape  # doctest: +SKIP
        (n, 576)
    """

    def __init__(
        self, model_path: Path | None = None, threads: int = 2, cnn_weight: float = 0.0, batch: int = 32,
        normalise: bool = True,
    ) -> None:
        if not 0.0 <= cnn_weight <= 1.0:
            raise ValueError(f"cnn_weight must be in [0, 1], got {cnn_weight}")
        self._session: Any = None
        if cnn_weight > 0:
            if model_path is None:
                raise ValueError("cnn_weight > 0 needs the body_mobilenetv2 model_path")
            self._session = onnx_session(model_path, threads)
            self._input = self._session.get_inputs()[0].name
        self.cnn_weight = cnn_weight
        self.colour_weight = float(np.sqrt(1.0 - cnn_weight**2))
        self.batch = batch
        self.normalise = normalise
        self._cameras: dict[str, CameraColour] = {}

    @property
    def dim(self) -> int:
        """Length of the vectors: 576 colour only, 1,856 with the CNN part."""
        return COLOUR_DIM + (CNN_DIM if self.cnn_weight > 0 else 0)

    def embed(
        self, frame_bgr: npt.NDArray[np.uint8], boxes_xyxy: npt.ArrayLike
    ) -> npt.NDArray[np.float32]:
        """(n, dim) L2-normalised vectors of the person boxes (n, 4) of one frame."""
        return self.embed_crops(box_crops(frame_bgr, boxes_xyxy))

    def embed_crops(self, crops: list[npt.NDArray[np.uint8]], camera: str | None = None) -> npt.NDArray[np.float32]:
        """(n, dim) L2-normalised vectors of BGR person crops.

        `camera` names the camera that saw them: the crops are then balanced by that camera's
        running mean colour (`CameraColour`, which they update) instead of each by its own, which
        keeps clothing colour (same-camera rank-1 0.644 -> 0.756 on the PETS crops). Leave it
        None for a photo from no known camera.
        """
        if not crops:
            return np.empty((0, self.dim), np.float32)
        if camera is not None and self.normalise:
            colour = self._camera_colour(crops, self._cameras.setdefault(camera, CameraColour()))
        else:
            colour_of = camera_invariant_features if self.normalise else colour_features
            colour = np.stack([colour_of(c) for c in crops])
        if self.cnn_weight == 0:
            return colour
        cnn = self.cnn_features(crops)
        out = np.concatenate([self.cnn_weight * cnn, self.colour_weight * colour], axis=1)
        return _unit(out.astype(np.float32))

    @staticmethod
    def _camera_colour(crops: list[npt.NDArray[np.uint8]], profile: CameraColour) -> npt.NDArray[np.float32]:
        """Colour features of crops balanced by `profile` after counting them into it."""
        usable = [c.shape[0] >= 3 and c.shape[1] >= 3 for c in crops]
        smalls = [_small(c) if ok else c for c, ok in zip(crops, usable, strict=True)]
        profile.add([s for s, ok in zip(smalls, usable, strict=True) if ok])
        return np.stack([colour_features(_balanced(s, profile.reference(s)) if ok else s)
                         for s, ok in zip(smalls, usable, strict=True)])

    def cnn_features(self, crops: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """(n, 1280) L2-normalised MobileNetV2 features of BGR crops."""
        if self._session is None:
            raise ValueError("this BodyEmbedder has no CNN (cnn_weight=0)")
        out = []
        for start in range(0, len(crops), self.batch):
            chunk = crops[start : start + self.batch]
            blob = np.stack([_to_input(c) for c in chunk])
            out.append(self._session.run(None, {self._input: blob})[0])
        return _unit(np.concatenate(out).astype(np.float32))


def _to_input(crop_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """(3, 256, 128) float32 RGB 0-255."""
    resized = cv2.resize(crop_bgr, (CROP_HW[1], CROP_HW[0]), interpolation=cv2.INTER_LINEAR)
    return resized[:, :, ::-1].transpose(2, 0, 1).astype(np.float32)


def _unit(x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-9)).astype(np.float32)
