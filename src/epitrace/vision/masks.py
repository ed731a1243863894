"""Face-mask state of faces and tracks: a head the project trains on ImageNet MobileNetV2 features.

Why not a packaged mask model: the ones that install offline score 0.54-0.70 balanced accuracy on
the shared Kaggle photos (`../shared/MODELS.md`); they were trained on large, frontal faces. The
head here reuses the installed `body_mobilenetv2.onnx` (no new model download): the 960-channel
expansion of its last inverted-residual block, averaged over the upper and the lower half of the
face crop (a mask is a lower-face cue), then standardised and fed to a logistic regression. The
weights are a small `.npz` shipped in the package, pinned by sha256 and trained by
`scripts/train_mask_head.py`. The head is trained on six views of each face (three crop margins,
each mirrored) and in use averages P(mask) over the two tightest, unmirrored (`USE_VIEWS`): better
than all six and a third of the cost. Five-fold cross-validated by photo on the 2792 Kaggle faces
with and without masks (`epitrace eval masks`, C 0.002): balanced accuracy 0.955; faces under 20 px
0.928, 20-40 px 0.975, 40 px and more 0.984 (all six views: 0.949 / 0.919). The shipped head scores
0.962 (under 20 px 0.957) on the fifth of the photos it never saw.

A track's state comes from several face samples (`MaskClassifier.track_state`): faces too small or
too blurred to judge are left out, and a track with none left is "unknown".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.models.fetch import sha256_of
from epitrace.models.runtime import session_options

logger = logging.getLogger(__name__)

INPUT_SIZE = 224
DEFAULT_MARGIN = 0.3
"""Share of the box size added on each side when cropping a face box for the classifier."""
VIEW_MARGINS = (0.1, 0.2, 0.3)
"""Margins of the centred views cut from that crop for training; each view is also mirrored."""
USE_VIEWS = (0.1, 0.2)
"""Views (margins, not mirrored) the head averages P(mask) over in use. Trained on all six views,
the two tightest unmirrored views score better than all six at a third of the cost (5-fold by
photo, 3 fold seeds: balanced 0.952-0.955 vs 0.949-0.950; faces under 20 px 0.922-0.928 vs
0.918-0.921); one view 0.946-0.950; a head trained on the used views only scores less (0.945)."""
FEATURE_NODE = "/net/features/features.17/conv/conv.5/Clip_output_0"
"""Output of body_mobilenetv2.onnx (torch export names) whose halves feed the head."""
HEAD_PATH = Path(__file__).resolve().parents[1] / "models" / "data" / "mask_head.npz"
HEAD_SHA256 = "d0f83adb906ce2d73564e8684ae4613ea5ccd31b7e8e940f2ebe5826610c3a5f"
MIN_FACE_SIDE = 8.0
"""Faces whose shorter side is under this many source pixels are not judged (track: unknown)."""
MIN_SHARPNESS = 20.0
"""Laplacian variance of the face as 32x32 grey under which it is too blurred to judge. Of the
2870 Kaggle faces 0.5% score under 58; a large face blurred by a Gaussian of 7/64 of its
side scores about 5."""
STATES = ("mask", "no_mask", "unknown")


class MaskHeadIntegrityError(ValueError):
    """The mask head file is not the pinned one (changed, truncated or replaced)."""


def crop_face(
    image_bgr: npt.NDArray[np.uint8], box_xyxy: npt.ArrayLike, margin: float = DEFAULT_MARGIN
) -> npt.NDArray[np.uint8]:
    """The face box grown by `margin` x its width/height on each side, clipped to the image."""
    x1, y1, x2, y2 = (float(v) for v in np.asarray(box_xyxy).reshape(4))
    mw, mh = margin * (x2 - x1), margin * (y2 - y1)
    h, w = image_bgr.shape[:2]
    xa, ya = int(max(0, np.floor(x1 - mw))), int(max(0, np.floor(y1 - mh)))
    xb, yb = int(min(w, np.ceil(x2 + mw))), int(min(h, np.ceil(y2 + mh)))
    return image_bgr[ya : max(yb, ya + 1), xa : max(xb, xa + 1)]


@dataclass(frozen=True)
class MaskHead:
    """Standardisation and logistic-regression weights over the face features.

    `logit(x) = ((x - mean) / scale) @ coef + intercept`; P(mask) = sigmoid(logit).
    """

    mean: npt.NDArray[np.float32]
    scale: npt.NDArray[np.float32]
    coef: npt.NDArray[np.float32]
    intercept: float
    input_size: int = INPUT_SIZE
    margin: float = DEFAULT_MARGIN
    view_margins: tuple[float, ...] = VIEW_MARGINS
    C: float = 0.0
    """Inverse regularisation it was trained with (the recipe cross-validation reuses)."""
    use_views: tuple[float, ...] | None = None
    """Margins (each a `view_margins` entry, not mirrored) used in use; None: every training view."""

    def use_indices(self) -> list[int] | None:
        """Positions of the `use_views` in `view_features` output (margin-major, mirror second)."""
        if self.use_views is None:
            return None
        missing = [m for m in self.use_views if m not in self.view_margins]
        if missing:
            raise ValueError(f"use_views {missing} are not among the training views {self.view_margins}")
        return [2 * self.view_margins.index(m) for m in self.use_views]

    @classmethod
    def load(cls, path: Path = HEAD_PATH, sha256: str | None = HEAD_SHA256) -> MaskHead:
        """Read a head file, refusing it unless its sha256 is `sha256` (None: no check)."""
        if not path.is_file():
            raise FileNotFoundError(f"mask head {path} is missing: reinstall epitrace or run "
                                    "scripts/train_mask_head.py")
        if sha256 is not None:
            actual = sha256_of(path)
            if actual != sha256:
                raise MaskHeadIntegrityError(
                    f"mask head {path} has sha256 {actual}, expected {sha256}: the file was changed; "
                    "reinstall epitrace or retrain with scripts/train_mask_head.py and pin the new hash")
        with np.load(path, allow_pickle=False) as z:
            head = cls(
                mean=z["mean"].astype(np.float32), scale=z["scale"].astype(np.float32),
                coef=z["coef"].astype(np.float32).ravel(), intercept=float(z["intercept"]),
                input_size=int(z["input_size"]), margin=round(float(z["margin"]), 6),  # float32 on disk
                view_margins=tuple(round(float(v), 6) for v in z["view_margins"]), C=float(z["C"]),
                use_views=tuple(round(float(v), 6) for v in z["use_views"]) if "use_views" in z.files else None)
        if not head.mean.shape == head.scale.shape == head.coef.shape:
            raise ValueError(f"mask head {path}: mean/scale/coef lengths differ")
        return head

    def save(self, path: Path, **extra: Any) -> str:
        """Write the head (plus `extra` arrays for the record) and return the file's sha256."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.use_views is not None:
            extra = {**extra, "use_views": np.array(self.use_views, np.float64)}
        with path.open("wb") as handle:
            np.savez_compressed(
                handle, mean=self.mean.astype(np.float32), scale=self.scale.astype(np.float32),
                coef=self.coef.astype(np.float32), intercept=np.float32(self.intercept),
                input_size=np.int32(self.input_size), margin=np.float64(self.margin),
                view_margins=np.array(self.view_margins, np.float64),
                C=np.float64(self.C), **extra)
        return sha256_of(path)

    def logit(self, features: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(n,) decision values of (n, d) features; positive means masked."""
        if features.shape[-1] != self.coef.shape[0]:
            raise ValueError(f"features have {features.shape[-1]} values, the head expects {self.coef.shape[0]}")
        return (((features - self.mean) / self.scale) @ self.coef + self.intercept).astype(np.float32)

    def probability(self, views: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """(n,) P(mask) averaged over the (v, n, d) features of each face's views."""
        return np.mean(1.0 / (1.0 + np.exp(-self.logit(views))), axis=0).astype(np.float32)


class MaskFeatureExtractor:
    """Upper- and lower-half features of face crops from the installed ImageNet MobileNetV2.

    Args:
        model_path: installed `body_mobilenetv2.onnx` (0-255 RGB input, normalised inside).
        threads: onnxruntime intra-op threads.
        batch: crops per onnxruntime call.
        input_size: side the crops are resized to.
    """

    def __init__(self, model_path: Path, threads: int = 2, batch: int = 16,
                 input_size: int = INPUT_SIZE) -> None:
        import onnx
        import onnxruntime as ort

        model = onnx.load(str(model_path))
        produced = {o for node in model.graph.node for o in node.output}
        if FEATURE_NODE not in produced:
            raise ValueError(f"{model_path} has no output {FEATURE_NODE!r}: the mask head needs the "
                             "project's body_mobilenetv2.onnx (epitrace models install)")
        del model.graph.output[:]  # only the feature map: the layers after it are not run
        model.graph.output.append(onnx.helper.make_tensor_value_info(FEATURE_NODE, onnx.TensorProto.FLOAT, None))
        options = session_options(threads)  # the host's thread spinning, as every other session
        self._session: Any = ort.InferenceSession(model.SerializeToString(), sess_options=options,
                                                  providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.batch = batch
        self.input_size = input_size

    def features(self, crops_bgr: Sequence[npt.NDArray[np.uint8]], flip: bool = False) -> npt.NDArray[np.float32]:
        """(n, 2 x 960) mean activations over the upper then the lower half of each crop."""
        out = []
        for start in range(0, len(crops_bgr), self.batch):
            chunk = crops_bgr[start : start + self.batch]
            blob = np.stack([_to_input(c, self.input_size, flip) for c in chunk])
            fmap = self._session.run(None, {self._input: blob})[0]
            rows = np.array_split(np.arange(fmap.shape[2]), 2)
            out.append(np.concatenate([fmap[:, :, r].mean(axis=(2, 3)) for r in rows], axis=1))
        return np.concatenate(out).astype(np.float32) if out else np.empty((0, 0), np.float32)

    def view_features(self, crops_bgr: Sequence[npt.NDArray[np.uint8]], margin: float = DEFAULT_MARGIN,
                      view_margins: Sequence[float] = VIEW_MARGINS, mirror: bool = True) -> npt.NDArray[np.float32]:
        """(2 x len(view_margins), n, d) features of each view of crops cut with `margin`.

        Each view is followed by its mirror image; with `mirror=False` only the views are run
        ((len(view_margins), n, d)), as the head does in use.
        """
        out = []
        for view in view_margins:
            inner = [centre_view(c, margin, view) for c in crops_bgr]
            out += [self.features(inner), self.features(inner, flip=True)] if mirror else [self.features(inner)]
        return np.stack(out)


def centre_view(crop_bgr: npt.NDArray[np.uint8], margin: float, view: float) -> npt.NDArray[np.uint8]:
    """The centre of a face crop cut with `margin`, as if it had been cut with `view` <= margin."""
    frac = (1.0 + 2.0 * view) / (1.0 + 2.0 * margin)
    h, w = crop_bgr.shape[:2]
    ch, cw = max(1, round(h * frac)), max(1, round(w * frac))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return crop_bgr[y0 : y0 + ch, x0 : x0 + cw]


@dataclass(frozen=True)
class FaceSample:
    """One face of a track: the image it was found in, its box there and how it was found.

    `source_side` is the shorter box side in the original frame's pixels (the image may be an
    upscaled head crop); `score` is the face detector's confidence.
    """

    image: npt.NDArray[np.uint8]
    box_xyxy: npt.NDArray[np.float32]
    score: float
    source_side: float


@dataclass(frozen=True)
class MaskState:
    """A track's mask state: "mask", "no_mask" or "unknown", with P(that state) as confidence."""

    state: str
    confidence: float
    samples: int
    reason: str = ""


UNKNOWN_NO_FACE = MaskState("unknown", 0.0, 0, "no face found")


def unusable_reason(crop_bgr: npt.NDArray[np.uint8], source_side: float) -> str:
    """Why a face crop (without margin) cannot be judged, or "" when it can."""
    if crop_bgr.size == 0 or source_side < MIN_FACE_SIDE:
        return f"face under {MIN_FACE_SIDE:g} px"
    grey = cv2.cvtColor(cv2.resize(crop_bgr, (32, 32), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2GRAY)
    if float(cv2.Laplacian(grey.astype(np.float32), cv2.CV_32F).var()) < MIN_SHARPNESS:
        return "face too blurred"
    return ""


def aggregate(probs: npt.ArrayLike, weights: npt.ArrayLike) -> MaskState:
    """Track state from per-face P(mask): the weighted mean of their logits, as a probability.

    Averaging logits (not votes) lets one clear face outweigh several doubtful ones.
    """
    p = np.clip(np.asarray(probs, np.float64), 1e-6, 1 - 1e-6)
    w = np.asarray(weights, np.float64)
    if p.size == 0 or w.sum() <= 0:
        return MaskState("unknown", 0.0, 0, "no usable face")
    mean_logit = float(np.sum(w * np.log(p / (1 - p))) / w.sum())
    pm = 1.0 / (1.0 + np.exp(-mean_logit))
    return MaskState("mask", pm, int(p.size)) if pm >= 0.5 else MaskState("no_mask", 1.0 - pm, int(p.size))


class MaskClassifier:
    """Probability that each face crop wears a mask, and a track's mask state.

    Args:
        model_path: installed `body_mobilenetv2.onnx` (the head's feature extractor).
        threads: onnxruntime intra-op threads.
        batch: crops per onnxruntime call.
        head_path: head weights (default: the shipped file).
        head_sha256: pinned sha256 of `head_path` (default: the shipped file's; None: no check).

    Example:
        >>> classifier = MaskClassifier(models / "body_mobilenetv2.onnx")  # doctest: +SKIP
        >>> classifier.predict([crop_face(frame, box)])  # doctest: +SKIP
        array([0.97], dtype=float32)
    """

    def __init__(self, model_path: Path, threads: int = 2, batch: int = 16, head_path: Path = HEAD_PATH,
                 head_sha256: str | None = HEAD_SHA256) -> None:
        self.head = MaskHead.load(head_path, head_sha256)
        self.extractor = MaskFeatureExtractor(model_path, threads, batch, self.head.input_size)

    @property
    def margin(self) -> float:
        """Crop margin the head was trained with."""
        return self.head.margin

    def predict(self, face_crops_bgr: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """(n,) P(mask) of BGR face crops (cut with `crop_face`); 0.5 is the decision point."""
        if not face_crops_bgr:
            return np.empty(0, np.float32)
        if self.head.use_views is not None:
            self.head.use_indices()  # refuses views it was not trained on
            return self.head.probability(self.extractor.view_features(
                face_crops_bgr, self.head.margin, self.head.use_views, mirror=False))
        return self.head.probability(
            self.extractor.view_features(face_crops_bgr, self.head.margin, self.head.view_margins))

    @classmethod
    def from_models_dir(cls, models_dir: Path, threads: int = 2) -> MaskClassifier:
        """The classifier on the installed backbone in `models_dir` and the shipped head."""
        from epitrace.models import model_path

        return cls(model_path("body_mobilenetv2", models_dir), threads=threads)

    def track_state(self, faces: Sequence[FaceSample]) -> MaskState:
        """Mask state over a track's face samples (see `track_mask_state`)."""
        return track_mask_state(self, faces)


class _Predictor(Protocol):
    def predict(self, face_crops_bgr: list[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]: ...


def track_mask_state(classifier: _Predictor, faces: Sequence[FaceSample]) -> MaskState:
    """Mask state over a track's face samples; "unknown" (with the reason) when none is usable.

    Each usable face is weighted by its detector score and its size up to 40 px (larger faces
    are classified more reliably: 0.928 balanced under 20 px, 0.984 from 40 px). `classifier` is any object with
    `predict(crops) -> P(mask)`; crops are cut with its `margin` (default DEFAULT_MARGIN).
    """
    if not faces:
        return UNKNOWN_NO_FACE
    margin = float(getattr(classifier, "margin", DEFAULT_MARGIN))
    crops, weights, reasons = [], [], []
    for f in faces:
        reason = unusable_reason(crop_face(f.image, f.box_xyxy, 0.0), f.source_side)
        if reason:
            reasons.append(reason)
            continue
        crops.append(crop_face(f.image, f.box_xyxy, margin))
        weights.append(max(f.score, 1e-3) * float(np.clip(f.source_side / 40.0, 0.25, 1.0)))
    if not crops:
        return MaskState("unknown", 0.0, 0, "; ".join(sorted(set(reasons))))
    return aggregate(classifier.predict(crops), weights)


def _to_input(crop_bgr: npt.NDArray[np.uint8], size: int, flip: bool) -> npt.NDArray[np.float32]:
    """(3, size, size) float32 RGB 0-255, mirrored left-right when `flip`."""
    if crop_bgr.size == 0:
        return np.zeros((3, size, size), np.float32)
    resized = cv2.resize(crop_bgr, (size, size), interpolation=cv2.INTER_LINEAR)
    if flip:
        resized = resized[:, ::-1]
    return resized[:, :, ::-1].transpose(2, 0, 1).astype(np.float32)
