"""Train and cross-validate the mask head on labelled face boxes (Kaggle face-mask photos).

One recipe serves the training script, `epitrace eval masks` and the tests: features of six views
of each face crop (three margins, each mirrored; `MaskFeatureExtractor.view_features`),
standardised, then a class-balanced logistic regression fitted on all the views. Folds are
grouped by photo, so faces of one photo (often the same crowd, light and camera) never sit on
both sides of a split. mask_weared_incorrect faces
are left out of training: they have no right binary answer.

A fixed fifth of the photos (`is_heldout_photo`) is never used to train the shipped head, so
its accuracy can be checked on photos it has not seen.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from epitrace.evaluation.masks import INCORRECT, MASK, NO_MASK, face_side, photo_faces
from epitrace.vision.masks import (
    DEFAULT_MARGIN,
    USE_VIEWS,
    VIEW_MARGINS,
    MaskFeatureExtractor,
    MaskHead,
)

logger = logging.getLogger(__name__)
C_GRID = (0.0005, 0.001, 0.002)
HELDOUT_MODULO = 5


def is_heldout_photo(image_name: str) -> bool:
    """True for the fixed ~20% of photos the shipped head never trains on (crc32 of the name)."""
    return zlib.crc32(image_name.encode()) % HELDOUT_MODULO == 0


@dataclass(frozen=True)
class FaceSet:
    """Labelled faces and the (views, faces, d) features of each face's views."""

    labels: npt.NDArray[np.str_]
    photos: npt.NDArray[np.str_]
    sides: npt.NDArray[np.int64]
    views: npt.NDArray[np.float32]

    def subset(self, keep: npt.NDArray[np.bool_]) -> FaceSet:
        """The faces where `keep` is true."""
        return FaceSet(self.labels[keep], self.photos[keep], self.sides[keep], self.views[:, keep])


def read_face_set(
    rows: list[tuple[str, str, tuple[int, int, int, int]]],
    images_dir: Path,
    extractor: MaskFeatureExtractor,
    margin: float = DEFAULT_MARGIN,
    view_margins: tuple[float, ...] = VIEW_MARGINS,
) -> FaceSet:
    """Features of the (image, label, box) rows' faces, cut with `margin` from `images_dir`."""
    labels: list[str] = []
    photos: list[str] = []
    sides: list[int] = []
    views: list[npt.NDArray[np.float32]] = []
    for name, faces, crops in photo_faces(rows, images_dir, margin):
        views.append(extractor.view_features(crops, margin, view_margins))
        labels += [label for label, _ in faces]
        photos += [name] * len(faces)
        sides += [face_side(box) for _, box in faces]
    if not labels:
        raise ValueError("no labelled faces to read")
    return FaceSet(np.array(labels), np.array(photos), np.array(sides, np.int64), np.concatenate(views, axis=1))


def fit_head(faces: FaceSet, C: float, input_size: int, margin: float,
             view_margins: tuple[float, ...] = VIEW_MARGINS,
             use_views: tuple[float, ...] | None = USE_VIEWS) -> MaskHead:
    """The head fitted on every view of `faces` with and without masks; in use it runs `use_views`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    binary = faces.subset(faces.labels != INCORRECT)
    if len(set(binary.labels.tolist())) < 2:
        raise ValueError("training needs faces with and without masks")
    x = binary.views.reshape(-1, binary.views.shape[-1])
    y = np.tile(binary.labels == MASK, binary.views.shape[0]).astype(np.int64)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=5000).fit(scaler.transform(x), y)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    return MaskHead(mean=scaler.mean_.astype(np.float32), scale=scale.astype(np.float32),
                    coef=model.coef_.ravel().astype(np.float32), intercept=float(model.intercept_[0]),
                    input_size=input_size, margin=margin, view_margins=view_margins, C=C, use_views=use_views)


def head_probabilities(head: MaskHead, faces: FaceSet) -> npt.NDArray[np.float32]:
    """(n,) P(mask), averaged over each face's views the head uses (as `MaskClassifier` does)."""
    picks = head.use_indices()
    return head.probability(faces.views if picks is None else faces.views[picks])


def cross_validated_probabilities(
    faces: FaceSet, C: float, folds: int = 5, seed: int = 0, input_size: int = 224,
    margin: float = DEFAULT_MARGIN, use_views: tuple[float, ...] | None = USE_VIEWS,
) -> npt.NDArray[np.float32]:
    """(n,) P(mask) of every face from a head trained on the other folds' photos (views as `use_views`)."""
    from sklearn.model_selection import StratifiedGroupKFold

    probs = np.full(len(faces.labels), np.nan, np.float32)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(faces.labels, faces.labels, faces.photos):
        keep = np.zeros(len(faces.labels), bool)
        keep[train] = True
        head = fit_head(faces.subset(keep), C, input_size, margin, use_views=use_views)
        held = np.zeros(len(faces.labels), bool)
        held[test] = True
        probs[test] = head_probabilities(head, faces.subset(held))
    return probs


def balanced_accuracy(labels: npt.NDArray[np.str_], probs: npt.NDArray[np.float32],
                      threshold: float = 0.5) -> float:
    """Mean of the with_mask and without_mask recalls."""
    pred = probs >= threshold
    return 0.5 * (float(np.mean(pred[labels == MASK])) + float(np.mean(~pred[labels == NO_MASK])))


def choose_c(faces: FaceSet, grid: tuple[float, ...] = C_GRID, folds: int = 5, input_size: int = 224,
             margin: float = DEFAULT_MARGIN) -> tuple[float, dict[float, float], npt.NDArray[np.float32]]:
    """The C of `grid` with the best balanced accuracy cross-validated by photo.

    Returns the best C, every C's score and the best C's cross-validated P(mask).
    """
    scores, probs = {}, {}
    for c in grid:
        probs[c] = cross_validated_probabilities(faces, c, folds, input_size=input_size, margin=margin)
        scores[c] = balanced_accuracy(faces.labels, probs[c])
        logger.info("C=%g: balanced accuracy %.4f", c, scores[c])
    best = max(scores, key=lambda c: scores[c])
    return best, scores, probs[best]


def save_face_set(faces: FaceSet, path: Path) -> None:
    """Cache features (numbers only, never the photos) to retrain without re-running the network."""
    np.savez(path, labels=faces.labels, photos=faces.photos, sides=faces.sides, views=faces.views)


def load_face_set(path: Path) -> FaceSet:
    """A FaceSet cached by `save_face_set`."""
    with np.load(path, allow_pickle=False) as z:
        return FaceSet(z["labels"], z["photos"], z["sides"], z["views"])
