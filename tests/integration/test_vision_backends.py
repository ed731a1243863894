"""Every registered person detector, loaded through settings as ingest loads it, finds PETS people."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from epitrace.config import IngestSettings
from epitrace.ingest.vision_models import VisionModels
from epitrace.vision.registry import PERSON_DETECTORS
from tests_paths import PETS_GT, PETS_VIDEO

pytestmark = [pytest.mark.slow, pytest.mark.models]


@pytest.fixture(scope="module")
def frame_100() -> np.ndarray:
    if not PETS_VIDEO.exists():
        pytest.skip(f"{PETS_VIDEO} not found")
    capture = cv2.VideoCapture(str(PETS_VIDEO))
    for _ in range(100):
        ok, frame = capture.read()
        assert ok
    capture.release()
    return np.asarray(frame, np.uint8)


@pytest.mark.parametrize("detector", PERSON_DETECTORS.names())
def test_detector_from_settings_finds_the_people_of_frame_100(detector: str, frame_100: np.ndarray,
                                                              models_dir: Path) -> None:
    settings = IngestSettings(person_detector=detector, faces=False)  # type: ignore[arg-type]
    stack = VisionModels.from_settings(settings, models_dir)
    dets = stack.persons.detect(frame_100)
    gt = np.loadtxt(PETS_GT, delimiter=",")
    people = int((gt[:, 0] == 100).sum())
    assert people >= 5
    assert people - 2 <= len(dets) <= people + 2, (detector, len(dets), people)
    assert stack.faces is None and stack.body.dim > 0
