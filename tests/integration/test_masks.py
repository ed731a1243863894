"""Mask classification on the Kaggle face-mask photos (ground-truth face boxes), and track states.

The shipped head never trained on the held-out fifth of the photos (`is_heldout_photo`), so the
accuracy checks here run on those photos only.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from conftest_vision import (  # noqa: F401 (pytest fixtures)
    data_dir_fixture,
    mask_classifier_fixture,
    require_model,
    vision_models_fixture,
)
from typer.testing import CliRunner

from epitrace.evaluation.mask_training import is_heldout_photo
from epitrace.evaluation.masks import evaluate_masks, read_labels
from epitrace.vision.masks import (
    HEAD_PATH,
    HEAD_SHA256,
    USE_VIEWS,
    FaceSample,
    MaskClassifier,
    MaskHead,
    MaskHeadIntegrityError,
    aggregate,
    crop_face,
)

KAGGLE = "masks/kaggle"
# The shipped head on the held-out photos (578 faces; scripts/train_mask_head.py): balanced 0.962,
# under 20 px 0.957 (the six-view head before: 0.943, 0.925). Floors leave ~0.03 for other
# onnxruntime/OpenCV builds; the small-face floor is the target.
HELDOUT_BALANCED_FLOOR = 0.93
HELDOUT_UNDER_20PX_FLOOR = 0.92
# The recipe 3-fold cross-validated by photo on faces of 60 px and more (329 faces): 0.989
# (with mask 1.000, without 0.979: one miss in 47). One more miss costs 0.011.
CV_LARGE_FACES_FLOOR = 0.95

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


def test_shipped_head_matches_its_pin() -> None:
    head = MaskHead.load()
    assert head.coef.shape == head.mean.shape == head.scale.shape
    assert head.C > 0


def test_head_uses_two_unmirrored_views() -> None:
    head = MaskHead.load()
    assert head.use_views == USE_VIEWS == (0.1, 0.2) and head.view_margins == (0.1, 0.2, 0.3)
    assert head.use_indices() == [0, 2]  # margin-major, each view followed by its mirror
    wrong = MaskHead(head.mean, head.scale, head.coef, head.intercept, use_views=(0.15,))
    with pytest.raises(ValueError, match="not among the training views"):
        wrong.use_indices()


def test_tampered_head_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "mask_head.npz"
    shutil.copyfile(HEAD_PATH, tampered)
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    with pytest.raises(MaskHeadIntegrityError, match=f"expected {HEAD_SHA256}"):
        MaskHead.load(tampered)
    with pytest.raises(FileNotFoundError, match="mask head"):
        MaskHead.load(tmp_path / "missing.npz")


def test_aggregate_weighs_logits() -> None:
    # One clear masked face outweighs two doubtful unmasked ones of the same weight.
    state = aggregate([0.99, 0.4, 0.45], [1.0, 1.0, 1.0])
    assert state.state == "mask" and 0.5 < state.confidence < 0.99 and state.samples == 3
    assert aggregate([0.1], [1.0]).state == "no_mask"
    assert aggregate([0.1], [1.0]).confidence == pytest.approx(0.9)
    assert aggregate([], []).state == "unknown"


# --- real models ------------------------------------------------------------------------------


def _heldout_rows(data_dir: Path, min_side: int = 0) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    return [r for r in read_labels(data_dir / KAGGLE / "labels.csv", min_side) if is_heldout_photo(r[0])]


def _write_labels(rows: list[tuple[str, str, tuple[int, int, int, int]]], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["image", "label", "xmin", "ymin", "xmax", "ymax"])
        writer.writerows([image, label, *box] for image, label, box in rows)
    return path


def _read(path: Path) -> npt.NDArray[np.uint8]:
    image = cv2.imread(str(path))
    assert image is not None, path
    return np.asarray(image, np.uint8)


def _faces(data_dir: Path, rows: list[tuple[str, str, tuple[int, int, int, int]]]) -> list[FaceSample]:
    out = []
    for image_name, _, box in rows:
        image = _read(data_dir / KAGGLE / "images" / image_name)
        side = min(box[2] - box[0], box[3] - box[1])
        out.append(FaceSample(image, np.array(box, np.float32), 0.9, float(side)))
    return out


@pytest.mark.models
def test_predict_shapes_and_obvious_cases(data_dir: Path, mask_classifier: MaskClassifier) -> None:
    assert mask_classifier.predict([]).shape == (0,)
    rows = _heldout_rows(data_dir, min_side=40)[:40]
    crops = [crop_face(_read(data_dir / KAGGLE / "images" / r[0]), r[2]) for r in rows]
    probs = mask_classifier.predict(crops + [np.zeros((0, 0, 3), np.uint8)])
    assert probs.shape == (len(crops) + 1,) and ((probs >= 0) & (probs <= 1)).all()
    y = np.array([label for _, label, _ in rows])
    # Large, clear faces the head never saw: masked ones score far higher than unmasked ones.
    assert probs[:-1][y == "with_mask"].mean() > probs[:-1][y == "without_mask"].mean() + 0.5


@pytest.mark.slow
@pytest.mark.models
def test_balanced_accuracy_on_heldout_photos(data_dir: Path, mask_classifier: MaskClassifier,
                                             tmp_path: Path) -> None:
    labels = _write_labels(_heldout_rows(data_dir), tmp_path / "heldout.csv")
    result = evaluate_masks(data_dir / KAGGLE, mask_classifier, margin=mask_classifier.margin,
                            labels_csv=labels)
    assert result.faces["with_mask"] > 300 and result.faces["without_mask"] > 50
    assert result.balanced_accuracy >= HELDOUT_BALANCED_FLOOR
    assert result.by_size["0-20px"] >= HELDOUT_UNDER_20PX_FLOOR


@pytest.mark.models
def test_predict_averages_the_used_views(data_dir: Path, mask_classifier: MaskClassifier) -> None:
    # The views picked out of the training views (as cross-validation scores them) are the ones
    # `predict` runs, so the cross-validated figure is the figure of the head in use.
    rows = _heldout_rows(data_dir, min_side=12)[:6]
    crops = [crop_face(_read(data_dir / KAGGLE / "images" / r[0]), r[2], mask_classifier.margin) for r in rows]
    head = mask_classifier.head
    training_views = mask_classifier.extractor.view_features(crops, head.margin, head.view_margins)
    assert training_views.shape[0] == 6
    expected = head.probability(training_views[head.use_indices()])
    assert np.allclose(mask_classifier.predict(crops), expected, atol=1e-5)


@pytest.mark.models
def test_track_state_over_several_faces(data_dir: Path, mask_classifier: MaskClassifier) -> None:
    rows = _heldout_rows(data_dir, min_side=30)
    masked = _faces(data_dir, [r for r in rows if r[1] == "with_mask"][:4])
    bare = _faces(data_dir, [r for r in rows if r[1] == "without_mask"][:4])
    with_mask, without = mask_classifier.track_state(masked), mask_classifier.track_state(bare)
    assert (with_mask.state, with_mask.samples) == ("mask", 4) and with_mask.confidence > 0.7
    assert (without.state, without.samples) == ("no_mask", 4) and without.confidence > 0.7


@pytest.mark.models
def test_no_usable_face_is_unknown(data_dir: Path, mask_classifier: MaskClassifier) -> None:
    assert mask_classifier.track_state([]).state == "unknown"
    face = _faces(data_dir, [r for r in _heldout_rows(data_dir, min_side=60) if r[1] == "with_mask"][:1])[0]
    tiny = FaceSample(face.image, face.box_xyxy, 0.9, source_side=5.0)
    x1, y1, x2, y2 = (int(v) for v in face.box_xyxy)
    blurred_image = face.image.copy()
    blurred_image[y1:y2, x1:x2] = cv2.GaussianBlur(face.image[y1:y2, x1:x2], (0, 0), (x2 - x1) / 6)
    blurred = FaceSample(blurred_image, face.box_xyxy, 0.9, face.source_side)
    state = mask_classifier.track_state([tiny, blurred])
    assert (state.state, state.confidence, state.samples) == ("unknown", 0.0, 0)
    assert "under" in state.reason and "blurred" in state.reason
    # The same face, sharp and at its real size, is judged.
    assert mask_classifier.track_state([tiny, blurred, face]).state == "mask"


@pytest.mark.models
def test_eval_masks_cli_on_a_set_it_did_not_train_on(data_dir: Path, tmp_path: Path,
                                                      mask_classifier: MaskClassifier) -> None:
    from epitrace.cli.main import app

    labels = _write_labels(_heldout_rows(data_dir, min_side=40), tmp_path / "big.csv")
    out = CliRunner().invoke(app, ["eval", "masks", "--images", str(data_dir / KAGGLE / "images"),
                                   "--labels", str(labels), "--shipped", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert payload["protocol"] == "shipped head" and payload["faces"]["without_mask"] > 5
    assert payload["balanced_accuracy"] >= HELDOUT_BALANCED_FLOOR


@pytest.mark.slow
@pytest.mark.models
def test_recipe_cross_validated_by_photo(data_dir: Path, vision_models: dict[str, Path]) -> None:
    # The default `eval masks` protocol on the large faces only (to keep it short): every face is
    # judged by a head trained on the other folds' photos.
    from epitrace.evaluation.masks import cross_validate_masks
    from epitrace.vision.masks import MaskFeatureExtractor

    recipe = MaskHead.load()
    extractor = MaskFeatureExtractor(require_model(vision_models, "body_mobilenetv2"), threads=2)
    result = cross_validate_masks(data_dir / KAGGLE, extractor, recipe, folds=3, min_side=60)
    assert result.faces["without_mask"] >= 30
    assert result.balanced_accuracy >= CV_LARGE_FACES_FLOOR
