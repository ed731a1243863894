"""Load the vision models ingest needs, once per process (or per Ray worker)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from epitrace.models import model_path

if TYPE_CHECKING:
    from epitrace.vision.body_embed import BodyEmbedder
    from epitrace.vision.face_embed import FaceEmbedder
    from epitrace.vision.faces import FaceDetector
    from epitrace.vision.masks import MaskClassifier
    from epitrace.vision.persons import PersonDetector

logger = logging.getLogger(__name__)


@dataclass
class VisionModels:
    """The model stack; face models are None when faces are off at ingest."""

    persons: PersonDetector
    body: BodyEmbedder
    faces: FaceDetector | None = None
    face_embedder: FaceEmbedder | None = None
    masks: MaskClassifier | None = None

    @classmethod
    def load(cls, models_dir: Path, threads: int, person_score: float, input_size: int,
             faces: bool) -> VisionModels:
        """Load every model from `models_dir`; raises ModelNotInstalledError with a fix."""
        from epitrace.vision.body_embed import BodyEmbedder
        from epitrace.vision.persons import PersonDetector

        persons = PersonDetector(model_path("person_centernet", models_dir), threads=threads,
                                 input_size=input_size, score_threshold=person_score)
        body = BodyEmbedder(model_path("body_mobilenetv2", models_dir), threads=threads)
        if not faces:
            return cls(persons, body)
        from epitrace.vision.face_embed import FaceEmbedder
        from epitrace.vision.faces import FaceDetector
        from epitrace.vision.masks import MaskClassifier

        return cls(
            persons,
            body,
            FaceDetector(model_path("face_centerface", models_dir), threads=threads),
            FaceEmbedder(model_path("face_dlib_resnet", models_dir),
                         model_path("face_landmarks5", models_dir)),
            MaskClassifier(model_path("mask_mobilenetv2", models_dir), threads=threads),
        )
