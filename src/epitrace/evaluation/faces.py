"""Face verification on labelled same/different photo pairs (e.g. deepface's master.csv).

`evaluate_face_bands` reports the rates of the search's face bands (match / review), clean and
under CCTV-like degradation, and on faces from video.

The pairs file has columns `file_x, file_y, Decision` (Yes/No, case and spaces ignored). Each
photo is embedded once from its largest detected face; pairs with a photo where no face was
found are counted in `skipped` and left out of the rates.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.evaluation.face_band_eval import (
    BandRow,
    photo_band_rows,
    photo_samples,
    track_band_rows,
    video_band_row,
)
from epitrace.evaluation.face_degrade import CONDITIONS, level
from epitrace.evaluation.face_video import video_faces
from epitrace.tracing.face_bands import BandConfig
from epitrace.vision.face_embed import DEFAULT_MATCH_DISTANCE, FaceEmbedder
from epitrace.vision.faces import FaceDetector

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationResult:
    """Rates at one L2-distance threshold ("same" when distance <= threshold)."""

    pairs: int
    same_pairs: int
    skipped: int
    threshold: float
    accuracy: float
    false_accept_rate: float
    false_reject_rate: float
    best_threshold: float
    best_accuracy: float


def read_pairs(pairs_csv: Path) -> list[tuple[str, str, bool]]:
    """(file_x, file_y, same) rows of a pairs file.

    A file of `file, identity_cluster` rows (deepface's identities_from_pairs.csv) gives every
    pair of its photos: far more different-person pairs, so a tighter false-accept figure.
    """
    identity = read_identities(pairs_csv)
    if identity is not None:
        who = sorted(identity.items())
        return [(a, b, ia == ib) for i, (a, ia) in enumerate(who) for b, ib in who[i + 1:]]
    with pairs_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    decision = next(k for k in rows[0] if k.strip().lower() == "decision")
    return [(r["file_x"], r["file_y"], r[decision].strip().lower() == "yes") for r in rows]


def read_identities(path: Path) -> dict[str, str] | None:
    """Photo -> identity of a `file, identity_cluster` file; None for a pairs file."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "identity_cluster" not in rows[0]:
        return None
    return {r["file"]: r["identity_cluster"] for r in rows}


def embed_largest_faces(
    paths: list[Path], detector: FaceDetector, embedder: FaceEmbedder, threshold: float = 0.5
) -> dict[Path, npt.NDArray[np.float32] | None]:
    """The embedding of the largest face of each photo, None where no face is found."""
    out: dict[Path, npt.NDArray[np.float32] | None] = {}
    for path in paths:
        read = cv2.imread(str(path), cv2.IMREAD_COLOR)
        image = None if read is None else np.asarray(read, np.uint8)
        faces = detector.detect(image, threshold) if image is not None else None
        if image is None or faces is None or len(faces) == 0:
            logger.warning("no face in %s", path)
            out[path] = None
            continue
        areas = (faces.xyxy[:, 2] - faces.xyxy[:, 0]) * (faces.xyxy[:, 3] - faces.xyxy[:, 1])
        out[path] = embedder.embed(image, faces.xyxy[int(np.argmax(areas))])
    return out


def rates_at(
    distances: npt.NDArray[np.float64], same: npt.NDArray[np.bool_], threshold: float
) -> tuple[float, float, float]:
    """(accuracy, false-accept rate, false-reject rate) when distance <= threshold means same."""
    accept = distances <= threshold
    accuracy = float(np.mean(accept == same))
    far = float(np.mean(accept[~same])) if (~same).any() else 0.0
    frr = float(np.mean(~accept[same])) if same.any() else 0.0
    return accuracy, far, frr


def best_threshold(
    distances: npt.NDArray[np.float64], same: npt.NDArray[np.bool_]
) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy, midway between neighbouring distances."""
    values = np.sort(np.unique(distances))
    candidates = np.concatenate([[values[0] - 1e-6], (values[1:] + values[:-1]) / 2, [values[-1]]])
    accuracies = np.array([rates_at(distances, same, t)[0] for t in candidates])
    i = int(np.argmax(accuracies))
    return float(candidates[i]), float(accuracies[i])


def pair_distances(
    pairs: list[tuple[str, str, bool]], vectors: dict[str, npt.NDArray[np.float32] | None]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], int]:
    """L2 distances and labels of the pairs whose both photos have a vector; plus the skip count."""
    dist, same, skipped = [], [], 0
    for a, b, label in pairs:
        va, vb = vectors.get(a), vectors.get(b)
        if va is None or vb is None:
            skipped += 1
            continue
        dist.append(float(np.linalg.norm(va - vb)))
        same.append(label)
    return np.asarray(dist), np.asarray(same, bool), skipped


def evaluate_face_pairs(
    pairs_csv: Path,
    detector: FaceDetector,
    embedder: FaceEmbedder,
    threshold: float = DEFAULT_MATCH_DISTANCE,
    images_dir: Path | None = None,
) -> VerificationResult:
    """Verification accuracy, FAR and FRR at `threshold`, and the best threshold on these pairs.

    Args:
        pairs_csv: the pairs file; photo names are relative to `images_dir`.
        detector: face detector.
        embedder: face embedder.
        threshold: L2 distance between unit vectors at or under which a pair is "same".
        images_dir: folder of the photos (default: the pairs file's folder).

    Example:
        >>> pairs = data / "faces/deepface_pairs/master.csv"
        >>> r = evaluate_face_pairs(pairs, detector, embedder)  # doctest: +SKIP
        >>> r.accuracy, r.false_accept_rate  # doctest: +SKIP
    """
    root = images_dir or pairs_csv.parent
    pairs = read_pairs(pairs_csv)
    names = sorted({name for a, b, _ in pairs for name in (a, b)})
    embedded = embed_largest_faces([root / n for n in names], detector, embedder)
    vectors = {n: embedded[root / n] for n in names}
    dist, same, skipped = pair_distances(pairs, vectors)
    accuracy, far, frr = rates_at(dist, same, threshold)
    best_t, best_acc = best_threshold(dist, same)
    logger.info(
        "face pairs: acc %.3f FAR %.3f at %.2f; best %.3f at %.3f",
        accuracy,
        far,
        threshold,
        best_acc,
        best_t,
    )
    return VerificationResult(
        pairs=len(dist),
        same_pairs=int(same.sum()),
        skipped=skipped,
        threshold=threshold,
        accuracy=accuracy,
        false_accept_rate=far,
        false_reject_rate=frr,
        best_threshold=best_t,
        best_accuracy=best_acc,
    )


def evaluate_face_bands(pairs_csv: Path, detector: FaceDetector, embedder: FaceEmbedder, config: BandConfig,
                        levels: tuple[str, ...] = CONDITIONS,
                        video: Path | None = None, gt: Path | None = None, step: int = 5) -> list[BandRow]:
    """FAR and TAR of the face bands (tracing.face_bands) per condition: clean, each degradation, video.

    Args:
        pairs_csv: labelled pairs; photos beside it.
        detector: face detector.
        embedder: face embedder.
        config: the band thresholds (`TracingConfig`).
        levels: "clean" and/or names of `evaluation.face_degrade.LEVELS`.
        video: optional PETS-like video whose faces (frames 1-400) add a "video" row; needs `gt`.
        gt: MOTChallenge ground truth of `video` (the face's person ids).
        step: analyse every `step`-th video frame.

    Raises:
        ValueError: an unknown level, or `video` without `gt`.
    """
    chosen = tuple(level(n) for n in levels if n != "clean")
    pairs = read_pairs(pairs_csv)
    names = sorted({n for a, b, _ in pairs for n in (a, b)})
    samples = photo_samples([pairs_csv.parent / n for n in names], detector, embedder, chosen)
    rows = photo_band_rows(pairs, samples, config, levels)
    identity = read_identities(pairs_csv)
    if identity is not None:
        rows += track_band_rows(identity, samples, config, tuple(lv.name for lv in chosen))
    if video is not None:
        if gt is None:
            raise ValueError("--video needs --gt (its ground-truth person ids)")
        rows.append(video_band_row(video_faces(video, gt, detector, embedder, step=step), config))
    return rows
