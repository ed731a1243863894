"""Measure the structure of real body and face vectors that `evaluation.ann_data` imitates.

Body: the body embedder on PETS S2L1 ground-truth boxes (every 3rd frame of 1-400, boxes of at
least 8x16 px). Face: the face embedder on the labelled photos of faces/deepface_pairs.
Usage: .venv/bin/python scripts/embedding_structure.py [../shared/data]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from epitrace.config import get_settings
from epitrace.evaluation.ann_data import structure_of
from epitrace.models import model_path
from epitrace.vision.body_embed import BodyEmbedder
from epitrace.vision.face_embed import FaceEmbedder, MultipleFacesError, NoFaceError
from epitrace.vision.faces import FaceDetector


def body_vectors(data: Path) -> tuple[np.ndarray, np.ndarray]:
    pets = data / "pets2009_s2l1"
    gt = np.loadtxt(pets / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt", delimiter=",")
    capture = cv2.VideoCapture(str(pets / "video" / "vtest.avi"))
    crops, persons = [], []
    for frame_no in range(1, 401):
        ok, frame = capture.read()
        if not ok:
            break
        if frame_no % 3:
            continue
        for row in gt[gt[:, 0] == frame_no]:
            x, y, w, h = row[2:6]
            x1, y1, x2, y2 = int(max(x, 0)), int(max(y, 0)), int(min(x + w, 768)), int(min(y + h, 576))
            if x2 - x1 >= 8 and y2 - y1 >= 16:
                crops.append(frame[y1:y2, x1:x2])
                persons.append(int(row[1]))
    embedder = BodyEmbedder(model_path("body_mobilenetv2", get_settings().models_dir))
    vectors = np.concatenate([embedder.embed_crops(crops[i:i + 64]) for i in range(0, len(crops), 64)])
    return vectors, np.array(persons)


def face_vectors(data: Path) -> tuple[np.ndarray, np.ndarray]:
    folder = data / "faces" / "deepface_pairs"
    models = get_settings().models_dir
    detector = FaceDetector(model_path("face_centerface", models))
    embedder = FaceEmbedder(model_path("face_dlib_resnet", models), model_path("face_landmarks5", models))
    vectors, persons = [], []
    for row in csv.DictReader((folder / "identities_from_pairs.csv").open()):
        try:
            vectors.append(embedder.embed_photo(cv2.imread(str(folder / row["file"])), detector, background_ratio=0.9))
        except (NoFaceError, MultipleFacesError):
            continue
        persons.append(row["identity_cluster"])
    return np.array(vectors), np.array(persons)


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data"
    for kind, (vectors, persons) in (("body", body_vectors(data)), ("face", face_vectors(data))):
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        print(kind, json.dumps({k: round(v, 3) for k, v in structure_of(vectors, persons).items()}))  # noqa: T201


if __name__ == "__main__":
    main()
