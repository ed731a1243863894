"""The face-photo embedder for enrolment, loaded once per server (models are ~100 MB)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_lock = threading.Lock()


@lru_cache(maxsize=2)
def _models(models_dir: Path) -> tuple[Any, Any]:
    from epitrace.models import model_path
    from epitrace.vision.face_embed import FaceEmbedder
    from epitrace.vision.faces import FaceDetector

    detector = FaceDetector(model_path("face_centerface", models_dir))
    embedder = FaceEmbedder(model_path("face_dlib_resnet", models_dir), model_path("face_landmarks5", models_dir))
    return detector, embedder


def photo_embedder(models_dir: Path, face_index: int | None) -> Callable[[npt.NDArray[np.uint8]], Any]:
    """A function photo -> 128-d face vector; `face_index` picks one face (0 = leftmost) of several."""
    from epitrace.vision.face_embed import photo_face_embedder

    with _lock:
        detector, embedder = _models(models_dir)
    return photo_face_embedder(embedder, detector, face_index)
