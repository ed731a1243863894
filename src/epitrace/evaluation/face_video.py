"""Faces found in real CCTV video (PETS 2009 S2.L1), labelled by the ground-truth track ids.

Photo pairs say little about what a 10-20 px face from an elevated camera scores against another
person's. Here every ground-truth person box of the chosen frames gets ingest's head crop and
face sample (`vision.face_quality.observe_face`); faces of the same ground-truth id at least
`min_gap` frames apart are same-person pairs, faces of different ids are different-person pairs.
Only frames 1-400 have ground truth (and only they may be used to calibrate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from epitrace.media import iter_frames, to_bgr
from epitrace.tracking.tracklets import head_region
from epitrace.vision.face_embed import FaceEmbedder
from epitrace.vision.face_quality import FaceQuality, observe_face
from epitrace.vision.faces import FaceDetector

logger = logging.getLogger(__name__)

LAST_GT_FRAME = 400  # 1-based: the ground truth (and the calibration licence) ends here


@dataclass(frozen=True)
class VideoFace:
    """One face sample of a ground-truth person: frame (0-based), id, vector and quality."""

    frame: int
    person: int
    vector: npt.NDArray[np.float32]
    quality: FaceQuality


def read_gt(path: Path, last_frame: int = LAST_GT_FRAME) -> dict[int, list[tuple[int, npt.NDArray[np.float32]]]]:
    """0-based frame -> [(person id, x1 y1 x2 y2)] from a MOTChallenge file (1-based frames)."""
    out: dict[int, list[tuple[int, npt.NDArray[np.float32]]]] = {}
    for line in path.read_text().splitlines():
        parts = line.split(",")
        if len(parts) < 6:
            continue
        frame, pid = int(parts[0]), int(parts[1])
        if frame > last_frame:
            continue
        x, y, w, h = (float(v) for v in parts[2:6])
        out.setdefault(frame - 1, []).append((pid, np.array([x, y, x + w, y + h], np.float32)))
    return out


def video_faces(video: Path, gt_path: Path, detector: FaceDetector, embedder: FaceEmbedder,
                step: int = 5, last_frame: int = LAST_GT_FRAME) -> list[VideoFace]:
    """Face samples of every ground-truth person in every `step`-th frame up to `last_frame` (1-based).

    Raises:
        ValueError: `last_frame` is past the ground truth (frames after 400 are held out).
    """
    if last_frame > LAST_GT_FRAME:
        raise ValueError(f"frames after {LAST_GT_FRAME} are held out; last_frame={last_frame}")
    gt = read_gt(gt_path, last_frame)
    faces: list[VideoFace] = []
    for index, frame in iter_frames(video):
        if index >= last_frame:
            break
        if index % step or index not in gt:
            continue
        bgr = to_bgr(frame)
        for pid, box in gt[index]:
            x1, y1, x2, y2 = head_region(box, bgr.shape)
            obs = observe_face(np.ascontiguousarray(bgr[y1:y2, x1:x2]), detector, index)
            if obs is not None:
                faces.append(VideoFace(index, pid, embedder.embed(obs.image, obs.box), obs.quality))
    logger.info("%s: %d face samples in frames 1-%d (every %d)", video.name, len(faces), last_frame, step)
    return faces


def video_pairs(faces: list[VideoFace], min_gap: int = 20) -> tuple[npt.NDArray[np.float64],
                                                                      npt.NDArray[np.bool_],
                                                                      npt.NDArray[np.float64]]:
    """(cosines, same person, lower quality of the two) of all face pairs.

    Same-person pairs closer than `min_gap` frames are left out: near-identical neighbouring
    frames would flatter the acceptance rate.
    """
    cos, same, quality = [], [], []
    for i, a in enumerate(faces):
        for b in faces[i + 1:]:
            if a.person == b.person and abs(a.frame - b.frame) < min_gap:
                continue
            cos.append(float(a.vector @ b.vector))
            same.append(a.person == b.person)
            quality.append(min(a.quality.value, b.quality.value))
    return np.asarray(cos), np.asarray(same, bool), np.asarray(quality)
