"""Load the vision models ingest needs, once per process (or per Ray worker)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from epitrace.config import IngestSettings
    from epitrace.vision.registry import (
        BodyEmbedderBackend,
        FaceDetectorBackend,
        FaceEmbedderBackend,
        MaskClassifierBackend,
        PersonDetectorBackend,
    )

logger = logging.getLogger(__name__)


@dataclass
class VisionModels:
    """The model stack; face models are None when faces are off at ingest."""

    persons: PersonDetectorBackend
    body: BodyEmbedderBackend
    faces: FaceDetectorBackend | None = None
    face_embedder: FaceEmbedderBackend | None = None
    masks: MaskClassifierBackend | None = None

    @classmethod
    def from_settings(cls, settings: IngestSettings, models_dir: Path) -> VisionModels:
        """The backends `settings` names (epitrace.vision.registry), loaded from `models_dir`.

        Raises:
            ValueError: A backend name is unknown (the message lists the known ones).
            ModelNotInstalledError: A model file is missing (the message says how to install it).
        """
        from epitrace.vision.registry import (
            BODY_EMBEDDERS,
            FACE_DETECTORS,
            FACE_EMBEDDERS,
            MASK_CLASSIFIERS,
            PERSON_DETECTORS,
        )

        persons = PERSON_DETECTORS.create(settings.person_detector, settings, models_dir)
        body = BODY_EMBEDDERS.create(settings.body_embedder, settings, models_dir)
        logger.info("person detector: %s", settings.person_detector)
        if not settings.faces:
            return cls(persons, body)
        return cls(persons, body,
                   FACE_DETECTORS.create(settings.face_detector, settings, models_dir),
                   FACE_EMBEDDERS.create(settings.face_embedder, settings, models_dir),
                   MASK_CLASSIFIERS.create(settings.mask_classifier, settings, models_dir))

    @classmethod
    def load(cls, models_dir: Path, threads: int, person_score: float | None, input_size: int | None,
             faces: bool) -> VisionModels:
        """The old five-argument form of `from_settings` (the default backends otherwise)."""
        from epitrace.config import IngestSettings

        settings = IngestSettings(threads=threads, person_score=person_score, detector_input=input_size,
                                  faces=faces)
        return cls.from_settings(settings, models_dir)
