"""Train the shipped mask head on the Kaggle face-mask photos and print its sha256 to pin.

Recipe (epitrace.evaluation.mask_training): features of the installed ImageNet MobileNetV2 on six
views of each ground-truth face box (margins 10/20/30%, each mirrored), standardised,
class-balanced logistic regression; in use (and in every score here) P(mask) is averaged over
the two tightest unmirrored views (`vision.masks.USE_VIEWS`, stored in the head). C is chosen by
5-fold cross-validation grouped by photo on the training photos; the fixed held-out fifth of the
photos (`is_heldout_photo`) is never trained on and is scored last.
The photos stay in ../shared/data: only the head's numbers are written.

Usage: .venv/bin/python scripts/train_mask_head.py [--data ../shared/data/masks/kaggle]
       [--out src/epitrace/models/data/mask_head.npz]
Then set HEAD_SHA256 in src/epitrace/vision/masks.py to the printed hash.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from epitrace.config import get_settings
from epitrace.evaluation.mask_training import (
    C_GRID,
    choose_c,
    fit_head,
    head_probabilities,
    is_heldout_photo,
    load_face_set,
    read_face_set,
    save_face_set,
)
from epitrace.evaluation.masks import read_labels, score_masks
from epitrace.models import model_path
from epitrace.vision.masks import DEFAULT_MARGIN, HEAD_PATH, INPUT_SIZE, VIEW_MARGINS, MaskFeatureExtractor

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Train, score and write the head; print the figures and the sha256 as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "masks" / "kaggle")
    parser.add_argument("--out", type=Path, default=HEAD_PATH)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", type=Path, help="Feature cache (.npz): read if it exists, else written.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    if args.cache and args.cache.exists():
        faces = load_face_set(args.cache)
    else:
        extractor = MaskFeatureExtractor(model_path("body_mobilenetv2", get_settings().models_dir),
                                         threads=args.threads, input_size=INPUT_SIZE)
        faces = read_face_set(read_labels(args.data / "labels.csv"), args.data / "images", extractor,
                              DEFAULT_MARGIN, VIEW_MARGINS)
        if args.cache:
            save_face_set(faces, args.cache)
    held = np.array([is_heldout_photo(p) for p in faces.photos])
    train, heldout = faces.subset(~held), faces.subset(held)

    best_c, scores, cv_probs = choose_c(train, C_GRID, args.folds, INPUT_SIZE, DEFAULT_MARGIN)
    cv = score_masks(train.labels, cv_probs, train.sides, DEFAULT_MARGIN, 0.5, 0)
    head = fit_head(train, best_c, INPUT_SIZE, DEFAULT_MARGIN, VIEW_MARGINS)
    ho = score_masks(heldout.labels, head_probabilities(head, heldout), heldout.sides, DEFAULT_MARGIN, 0.5, 0)
    sha = head.save(args.out, trained_photos=np.int32(len(set(train.photos.tolist()))),
                    heldout_photos=np.int32(len(set(heldout.photos.tolist()))),
                    cv_balanced_accuracy=np.float64(cv.balanced_accuracy),
                    heldout_balanced_accuracy=np.float64(ho.balanced_accuracy))
    report = {
        "C_scores": {str(c): round(s, 4) for c, s in scores.items()}, "C": best_c,
        "cv_by_photo_training_photos": {"balanced": cv.balanced_accuracy, "with_mask": cv.recall_mask,
                                        "without_mask": cv.recall_no_mask, "by_size": cv.by_size,
                                        "faces": cv.faces},
        "heldout_photos": {"balanced": ho.balanced_accuracy, "with_mask": ho.recall_mask,
                           "without_mask": ho.recall_no_mask, "by_size": ho.by_size, "faces": ho.faces},
        "out": str(args.out), "sha256": sha,
    }
    sys.stdout.write(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
