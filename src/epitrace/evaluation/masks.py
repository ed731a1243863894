"""Mask classification accuracy on ground-truth face boxes (Kaggle face-mask data set).

`labels.csv` has one row per face: image, label (with_mask / without_mask /
mask_weared_incorrect), xmin, ymin, xmax, ymax. Faces are cut from the images with
`epitrace.vision.masks.crop_face` and classified as "mask" when P(mask) >= threshold.
The head is trained on this set, so its figure here is cross-validated by photo
(`cross_validate_masks`); `evaluate_masks` scores a classifier as it is, for other sets.

Balanced accuracy is the mean recall of with_mask and without_mask. mask_weared_incorrect has
no right binary answer (the mask is there but does not protect), so it is reported apart as the
share predicted "mask".
"""

from __future__ import annotations

import csv
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.vision.masks import DEFAULT_MARGIN, MaskClassifier, MaskFeatureExtractor, MaskHead, crop_face

logger = logging.getLogger(__name__)

MASK, NO_MASK, INCORRECT = "with_mask", "without_mask", "mask_weared_incorrect"


@dataclass(frozen=True)
class MaskResult:
    """Per-class rates on one data set, margin and threshold."""

    faces: dict[str, int]
    recall_mask: float
    recall_no_mask: float
    balanced_accuracy: float
    incorrect_predicted_mask: float
    margin: float
    threshold: float
    min_side: int
    by_size: dict[str, float] = field(default_factory=dict)


def read_labels(
    labels_csv: Path, min_side: int = 0
) -> list[tuple[str, str, tuple[int, int, int, int]]]:
    """(image, label, box) rows of faces whose shorter box side is at least `min_side` px."""
    rows = []
    with labels_csv.open(newline="") as handle:
        for r in csv.DictReader(handle):
            box = (int(r["xmin"]), int(r["ymin"]), int(r["xmax"]), int(r["ymax"]))
            if min(box[2] - box[0], box[3] - box[1]) >= min_side:
                rows.append((r["image"], r["label"], box))
    return rows


Box = tuple[int, int, int, int]


def face_side(box: Box) -> int:
    """The shorter side of a face box, pixels (what the size bands are cut by)."""
    return min(box[2] - box[0], box[3] - box[1])


def photo_faces(rows: list[tuple[str, str, Box]], images_dir: Path, margin: float
                ) -> Iterator[tuple[str, list[tuple[str, Box]], list[npt.NDArray[np.uint8]]]]:
    """Each labelled photo once, by name: its name, its (label, box) faces and their crops at `margin`.

    Evaluation and training read the photos the same way, one decode per photo.
    """
    by_image: dict[str, list[tuple[str, Box]]] = defaultdict(list)
    for photo, label, box in rows:
        by_image[photo].append((label, box))
    for name, faces in sorted(by_image.items()):
        image = cv2.imread(str(images_dir / name), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError(f"cannot read {images_dir / name}")
        yield name, faces, [crop_face(np.asarray(image, np.uint8), box, margin) for _, box in faces]


def evaluate_masks(
    data_dir: Path,
    classifier: MaskClassifier,
    margin: float = DEFAULT_MARGIN,
    threshold: float = 0.5,
    min_side: int = 0,
    images_dir: Path | None = None,
    labels_csv: Path | None = None,
) -> MaskResult:
    """Per-class and balanced accuracy of `classifier` as it is on `data_dir` (labels.csv + images/).

    On the Kaggle set this includes the photos the shipped head was trained on: use
    `cross_validate_masks` for an unbiased figure there, this for other labelled sets.

    Args:
        data_dir: folder with `labels.csv` and `images/`.
        classifier: the mask classifier.
        margin: crop margin, share of the box size on each side.
        threshold: P(mask) at or above which a face counts as masked.
        min_side: faces with a shorter box side below this (pixels) are left out.
        images_dir: the images, when not `data_dir / "images"`.
        labels_csv: the labels, when not `data_dir / "labels.csv"`.

    Example:
        >>> result = evaluate_masks(data / "other_set", classifier)  # doctest: +SKIP
        >>> result.balanced_accuracy  # doctest: +SKIP
    """
    images_dir = images_dir or data_dir / "images"
    rows = read_labels(labels_csv or data_dir / "labels.csv", min_side)
    labels: list[str] = []
    probs: list[float] = []
    sides: list[int] = []
    for _, faces, crops in photo_faces(rows, images_dir, margin):
        probs.extend(classifier.predict(crops).tolist())
        labels.extend(label for label, _ in faces)
        sides.extend(face_side(box) for _, box in faces)
    result = score_masks(np.array(labels), np.array(probs), np.array(sides), margin, threshold, min_side)
    logger.info("masks: balanced accuracy %.3f (margin %.2f)", result.balanced_accuracy, margin)
    return result


def cross_validate_masks(
    data_dir: Path,
    extractor: MaskFeatureExtractor,
    recipe: MaskHead,
    folds: int = 5,
    min_side: int = 0,
    images_dir: Path | None = None,
    labels_csv: Path | None = None,
) -> MaskResult:
    """Accuracy of the mask-head recipe (`recipe`'s C, margins), cross-validated by photo.

    Every face is classified by a head trained on the other folds' photos only, so the figure
    says how a head trained the same way (as the shipped one is) does on photos it has not seen.
    """
    from epitrace.evaluation.mask_training import cross_validated_probabilities, read_face_set

    rows = read_labels(labels_csv or data_dir / "labels.csv", min_side)
    faces = read_face_set(rows, images_dir or data_dir / "images", extractor, recipe.margin, recipe.view_margins)
    probs = cross_validated_probabilities(faces, recipe.C, folds, input_size=extractor.input_size,
                                          margin=recipe.margin, use_views=recipe.use_views)
    result = score_masks(faces.labels, probs, faces.sides, recipe.margin, 0.5, min_side)
    logger.info("masks: balanced accuracy %.3f, %d-fold by photo", result.balanced_accuracy, folds)
    return result


def score_masks(
    labels: np.ndarray, probs: np.ndarray, sides: np.ndarray, margin: float, threshold: float, min_side: int
) -> MaskResult:
    """Per-class, balanced and per-face-size accuracy of P(mask) `probs` against `labels`."""
    y, p, s = np.asarray(labels), np.asarray(probs) >= threshold, np.asarray(sides)

    def recall(mask: np.ndarray, want: bool) -> float:
        return float(np.mean(p[mask] == want)) if mask.any() else float("nan")

    rec_mask, rec_no = recall(y == MASK, True), recall(y == NO_MASK, False)
    by_size = {}
    for lo, hi in ((0, 20), (20, 40), (40, 10_000)):
        sel = (s >= lo) & (s < hi)
        by_size[f"{lo}-{hi}px"] = 0.5 * (
            recall(sel & (y == MASK), True) + recall(sel & (y == NO_MASK), False)
        )
    return MaskResult(
        faces={k: int(np.sum(y == k)) for k in (MASK, NO_MASK, INCORRECT)},
        recall_mask=rec_mask,
        recall_no_mask=rec_no,
        balanced_accuracy=0.5 * (rec_mask + rec_no),
        incorrect_predicted_mask=recall(y == INCORRECT, True),
        margin=margin,
        threshold=threshold,
        min_side=min_side,
        by_size=by_size,
    )
