"""Mask classification on the Kaggle face-mask photos (ground-truth face boxes)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_vision import (  # noqa: F401 (pytest fixtures)
    data_dir_fixture,
    mask_classifier_fixture,
    require_model,
    vision_models_fixture,
)

from epitrace.evaluation.masks import evaluate_masks, read_labels
from epitrace.vision.masks import crop_face

KAGGLE = "masks/kaggle"

# --- fast checks: no models -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("box", "margin", "expected_shape"),
    [
        ((10, 20, 30, 60), 0.0, (40, 20)),  # exact box
        ((10, 20, 30, 60), 0.25, (60, 30)),  # grown by a quarter on each side
        ((-5, -5, 10, 10), 0.0, (10, 10)),  # clipped at the top-left corner
        ((95, 95, 120, 130), 0.0, (5, 5)),  # clipped at the bottom-right corner
    ],
)
def test_crop_face(
    box: tuple[int, int, int, int], margin: float, expected_shape: tuple[int, int]
) -> None:
    image = np.zeros((100, 100, 3), np.uint8)
    assert crop_face(image, box, margin).shape[:2] == expected_shape


def test_read_labels_counts(data_dir: Path) -> None:
    rows = read_labels(data_dir / KAGGLE / "labels.csv")
    labels = [label for _, label, _ in rows]
    assert len(rows) == 2870
    assert labels.count("without_mask") == 540
    assert len(read_labels(data_dir / KAGGLE / "labels.csv", min_side=40)) == 609


# --- real models ------------------------------------------------------------------------------


@pytest.mark.models
def test_predict_shapes_and_obvious_cases(data_dir: Path, mask_classifier) -> None:
    assert mask_classifier.predict([]).shape == (0,)
    rows = read_labels(data_dir / KAGGLE / "labels.csv", min_side=60)
    crops, labels = [], []
    for image_name, label, box in rows[:40]:
        image = cv2.imread(str(data_dir / KAGGLE / "images" / image_name))
        crops.append(crop_face(image, box))
        labels.append(label)
    probs = mask_classifier.predict(crops + [np.zeros((0, 0, 3), np.uint8)])
    assert probs.shape == (len(crops) + 1,) and ((probs >= 0) & (probs <= 1)).all()
    y = np.array(labels)
    # Large, clear faces: the masked ones score higher on average than the unmasked ones.
    assert probs[:-1][y == "with_mask"].mean() > probs[:-1][y == "without_mask"].mean() + 0.3


@pytest.mark.slow
@pytest.mark.models
def test_balanced_accuracy_on_kaggle_faces(data_dir: Path, mask_classifier) -> None:
    # Measured on faces >= 20 px (1628 faces), margin 0.2, threshold 0.5:
    # with_mask 0.687, without_mask 0.917, balanced 0.802; >= 40 px balanced 0.902.
    result = evaluate_masks(data_dir / KAGGLE, mask_classifier, min_side=20)
    assert result.recall_mask >= 0.62
    assert result.recall_no_mask >= 0.85
    assert result.balanced_accuracy >= 0.75
    assert result.by_size["40-10000px"] >= 0.85
