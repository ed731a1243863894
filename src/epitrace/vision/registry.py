"""Which model does each vision job: small name -> factory registries, one per slot.

Why registries: ingest asks for "the person detector" and must not care whether that is
the int8 NanoDet (the default) or CenterNet; a new backend is one decorated factory here and one name
in `IngestSettings`. Each factory takes `(settings.ingest, models_dir)` and loads its models; an
unknown name fails with the known ones listed. Same shape as `epitrace.store.index_backends`.

Example:
    >>> detector = PERSON_DETECTORS.create("centernet", IngestSettings(), models_dir)  # doctest: +SKIP
    >>> PERSON_DETECTORS.names()
    ['centernet', 'nanodet-int8']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from epitrace.models.runtime import model_path
from epitrace.vision.types import Detections

if TYPE_CHECKING:
    from epitrace.config import IngestSettings

Image = npt.NDArray[np.uint8]


class PersonDetectorBackend(Protocol):
    """Finds people in a BGR frame; boxes in the frame's pixels."""

    def detect(self, frame_bgr: Image) -> Detections:
        """People in one frame."""
        ...


class FaceDetectorBackend(Protocol):
    """Finds faces (with 5 landmarks in `data["landmarks"]`) in a BGR image."""

    def detect(self, image_bgr: Image, threshold: float = 0.5) -> Detections:
        """Faces in one image, scoring at least `threshold`."""
        ...


class BodyEmbedderBackend(Protocol):
    """Unit appearance vectors of person crops."""

    @property
    def dim(self) -> int:
        """Length of the vectors."""
        ...

    def embed_crops(self, crops: list[Image], camera: str | None = None) -> npt.NDArray[np.float32]:
        """One unit vector per person crop; `camera` names the camera that saw them (colour reference)."""
        ...


class FaceEmbedderBackend(Protocol):
    """The unit vector of one detected face (see `epitrace.vision.face_embed.FaceEmbedder`)."""

    def embed(self, image_bgr: Image, box_xyxy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """The unit vector of the face in `box_xyxy`."""
        ...


class MaskClassifierBackend(Protocol):
    """P(mask) of BGR face crops."""

    def predict(self, face_crops_bgr: list[Image]) -> npt.NDArray[np.float32]:
        """P(mask) per face crop."""
        ...


T = TypeVar("T")
Factory = Callable[["IngestSettings", Path], Any]


@dataclass
class Registry(Generic[T]):
    """Named factories for one slot; `setting` names the `IngestSettings` field that picks one."""

    slot: str
    setting: str
    _factories: dict[str, Factory] = field(default_factory=dict)

    def register(self, name: str) -> Callable[[Factory], Factory]:
        """Register a factory `(ingest_settings, models_dir) -> backend` under `name`."""
        def wrap(factory: Factory) -> Factory:
            self._factories[name] = factory
            return factory
        return wrap

    def names(self) -> list[str]:
        """Registered backend names."""
        return sorted(self._factories)

    def create(self, name: str, settings: IngestSettings, models_dir: Path) -> T:
        """The `name` backend loaded from `models_dir`.

        Raises:
            ValueError: Unknown name (the message lists the known ones).
            ModelNotInstalledError: Its model file is missing (the message says how to install it).
        """
        try:
            factory = self._factories[name]
        except KeyError:
            raise ValueError(f"unknown {self.slot} {name!r}: set ingest.{self.setting} "
                             f"(EPITRACE_INGEST__{self.setting.upper()}) to one of {', '.join(self.names())}"
                             ) from None
        backend: T = factory(settings, models_dir)
        return backend


PERSON_DETECTORS: Registry[PersonDetectorBackend] = Registry("person detector", "person_detector")
FACE_DETECTORS: Registry[FaceDetectorBackend] = Registry("face detector", "face_detector")
FACE_EMBEDDERS: Registry[FaceEmbedderBackend] = Registry("face embedder", "face_embedder")
BODY_EMBEDDERS: Registry[BodyEmbedderBackend] = Registry("body embedder", "body_embedder")
MASK_CLASSIFIERS: Registry[MaskClassifierBackend] = Registry("mask classifier", "mask_classifier")


@dataclass(frozen=True)
class DetectorDefaults:
    """What a person detector runs with when `person_score` / `detector_input` are not set."""

    score: float
    input_size: int
    low_gate_iou: float = 0.0  # tracker's LowBoxGate (epitrace.tracking.low_gate); 0: every box passes


PERSON_DEFAULTS = {
    "centernet": DetectorDefaults(score=0.3, input_size=640),  # 640: IDF1 0.84 vs 0.79 at 512 on PETS
    # Fixed 288x384. Boxes 0.4-0.5 go to the tracker only through its low-box gate: they keep people it
    # half sees (PETS person 15 behind a sign scores 0.2-0.45) without feeding lost tracks false boxes.
    # PETS S2L1 frames 1-400 (docs/scaling.md section 1a): score 0.4 + gate + crossing repair, MOTA / IDF1
    # 0.859 / 0.870, contacts P / R 1.000 / 0.952 (0.859 / 0.808 without the repair); 0.5 without gate 0.851 / 0.819.
    "nanodet-int8": DetectorDefaults(score=0.4, input_size=384, low_gate_iou=0.5),
}


@PERSON_DETECTORS.register("nanodet-int8")
def _nanodet(cfg: IngestSettings, models_dir: Path) -> PersonDetectorBackend:
    from epitrace.vision.nanodet import NanoDetPersonDetector

    defaults = PERSON_DEFAULTS["nanodet-int8"]
    if cfg.detector_input not in (None, defaults.input_size):
        raise ValueError(f"nanodet-int8 is built for a fixed 288x{defaults.input_size} input; "
                         f"detector_input={cfg.detector_input} applies to centernet only (leave it unset)")
    score = defaults.score if cfg.person_score is None else cfg.person_score
    return NanoDetPersonDetector(model_path("person_nanodet_int8", models_dir), threads=cfg.threads,
                                 score_threshold=score)


@PERSON_DETECTORS.register("centernet")
def _centernet(cfg: IngestSettings, models_dir: Path) -> PersonDetectorBackend:
    from epitrace.vision.persons import PersonDetector

    defaults = PERSON_DEFAULTS["centernet"]
    return PersonDetector(model_path("person_centernet", models_dir), threads=cfg.threads,
                          input_size=cfg.detector_input or defaults.input_size,
                          score_threshold=defaults.score if cfg.person_score is None else cfg.person_score)


@FACE_DETECTORS.register("centerface")
def _centerface(cfg: IngestSettings, models_dir: Path) -> FaceDetectorBackend:
    from epitrace.vision.faces import FaceDetector

    return FaceDetector(model_path("face_centerface", models_dir), threads=cfg.threads)


@FACE_EMBEDDERS.register("dlib-resnet")
def _dlib(cfg: IngestSettings, models_dir: Path) -> FaceEmbedderBackend:
    from epitrace.vision.face_embed import FaceEmbedder

    return FaceEmbedder(model_path("face_dlib_resnet", models_dir), model_path("face_landmarks5", models_dir))


@BODY_EMBEDDERS.register("mobilenetv2-colour")
def _body(cfg: IngestSettings, models_dir: Path) -> BodyEmbedderBackend:
    from epitrace.vision.body_embed import BodyEmbedder

    return BodyEmbedder(model_path("body_mobilenetv2", models_dir), threads=cfg.threads)


@MASK_CLASSIFIERS.register("vision.masks")
def _mask(cfg: IngestSettings, models_dir: Path) -> MaskClassifierBackend:
    """Whatever `epitrace.vision.masks` exports as `MaskClassifier` (its owner may swap the model).

    Its `from_models_dir(models_dir, threads)` when it has one, else the packaged MobileNetV2 file.
    """
    from epitrace.vision.masks import MaskClassifier

    loader = getattr(MaskClassifier, "from_models_dir", None)
    if loader is not None:
        classifier: MaskClassifierBackend = loader(models_dir, threads=cfg.threads)
        return classifier
    return MaskClassifier(model_path("mask_mobilenetv2", models_dir), threads=cfg.threads)
