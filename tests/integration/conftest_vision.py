"""Session fixtures for the vision tests: real models, installed once per session if missing.

Import the fixtures explicitly in a test module (`from conftest_vision import
face_detector_fixture`); each is registered under its name without `_fixture`, so test
arguments do not shadow the imports.
Models are taken from `$EPITRACE_HOME/models` (default ~/.epitrace/models) when installed there;
otherwise they are installed with `install_model` into a session temporary directory (the
download cache stays in `$EPITRACE_HOME/cache` so later sessions do not download again).
Tests are skipped, not failed, when a model can be neither found nor installed.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from epitrace.models import default_manifest, install_model
from epitrace.vision.body_embed import BodyEmbedder
from epitrace.vision.face_embed import FaceEmbedder
from epitrace.vision.faces import FaceDetector
from epitrace.vision.masks import MaskClassifier

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
VISION_MODELS = (
    "face_centerface",
    "face_dlib_resnet",
    "face_landmarks5",
    "body_mobilenetv2",
    "mask_mobilenetv2",
)


def _home() -> Path:
    return Path(os.environ.get("EPITRACE_HOME", str(Path.home() / ".epitrace")))


@pytest.fixture(scope="session", name="data_dir")
def data_dir_fixture() -> Path:
    """The shared real-data folder; skips when it is not beside the checkout."""
    if not DATA.is_dir():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session", name="vision_models")
def vision_models_fixture(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Installed file of each vision model, by model name."""
    manifest = default_manifest()
    home_models = _home() / "models"
    session_models = tmp_path_factory.mktemp("models")
    paths: dict[str, Path] = {}
    for name in VISION_MODELS:
        spec = manifest[name]
        installed = home_models / spec.output
        if installed.exists():
            paths[name] = installed
            continue
        try:
            paths[name] = install_model(spec, session_models, _home() / "cache")
        except Exception as exc:  # no network, no npm, no torch: skip rather than fail
            logger.warning("cannot install %s: %s", name, exc)
            paths[name] = Path("/nonexistent") / spec.output
    return paths


def require_model(vision_models: dict[str, Path], name: str) -> Path:
    """The installed file of model `name`, skipping the test when it is missing."""
    path = vision_models[name]
    if not path.exists():
        pytest.skip(f"model {name} is not installed and could not be installed")
    return path


@pytest.fixture(scope="session", name="face_detector")
def face_detector_fixture(vision_models: dict[str, Path]) -> FaceDetector:
    """FaceDetector on the installed model, at 2 threads."""
    return FaceDetector(require_model(vision_models, "face_centerface"), threads=2)


@pytest.fixture(scope="session", name="face_embedder")
def face_embedder_fixture(vision_models: dict[str, Path]) -> FaceEmbedder:
    """FaceEmbedder on the installed dlib models (dlib picks its own threads)."""
    return FaceEmbedder(
        require_model(vision_models, "face_dlib_resnet"),
        require_model(vision_models, "face_landmarks5"),
    )


@pytest.fixture(scope="session", name="body_embedder")
def body_embedder_fixture(vision_models: dict[str, Path]) -> BodyEmbedder:
    """BodyEmbedder on the installed model, at 2 threads."""
    return BodyEmbedder(require_model(vision_models, "body_mobilenetv2"), threads=2)


@pytest.fixture(scope="session", name="mask_classifier")
def mask_classifier_fixture(vision_models: dict[str, Path]) -> MaskClassifier:
    """MaskClassifier on the installed MobileNetV2 backbone and the shipped head, at 2 threads."""
    return MaskClassifier(require_model(vision_models, "body_mobilenetv2"), threads=2)
