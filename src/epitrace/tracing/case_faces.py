"""Face scores computed inside a case, for tracks whose faces were not embedded at ingest.

With `ingest.face_embeddings = "case"`, ingest keeps a sealed face chip per track and no
embedding. A search for a subject who consented to face matching embeds the chips of the
tracks in that case's window and camera scope, in memory, and compares them; nothing is stored
and no track outside the scope is ever embedded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.store import Store, Unit, sightings_repo
from epitrace.vision.face_chips import chip_face_box
from epitrace.vision.face_embed import FaceEmbedder, photo_face_embedder
from epitrace.vision.face_quality import template
from epitrace.vision.faces import FaceDetector

logger = logging.getLogger(__name__)

FaceEmbedFn = Callable[[npt.NDArray[np.uint8], npt.NDArray[np.float32]], npt.NDArray[np.float32]]
"""(image, face box) -> unit face vector; e.g. `FaceEmbedder.embed`."""


def chips_in_scope(store: Store, allowed_ids: npt.NDArray[np.int64], *,
                   session: Unit | None = None) -> dict[int, list[str]]:
    """Track id -> face chip paths (best first), for in-scope tracks that have chips and no face vector."""
    with store.unit(session) as s:
        return sightings_repo.face_chips_without_vector(s, track_ids=[int(i) for i in allowed_ids])


def case_face_scores(store: Store, queries: list[npt.NDArray[np.float32] | None],
                     allowed_ids: npt.NDArray[np.int64], embed: FaceEmbedFn | None,
                     rejected: list[set[int]], *, session: Unit | None = None) -> list[dict[int, float]]:
    """Per subject, best cosine of each in-scope track's face to its face query vectors.

    A track's chips (its best faces, as ingest kept them) are embedded and averaged into one
    template, as ingest does when it embeds (`vision.face_quality.template`, equal weights here).
    """
    out: list[dict[int, float]] = [{} for _ in queries]
    if all(q is None for q in queries):
        return out
    chips = chips_in_scope(store, allowed_ids, session=session)
    if not chips:
        return out
    if embed is None:
        logger.warning("%d tracks in scope have face chips but no face embedder was given: "
                       "their faces are not compared", len(chips))
        return out
    ids, vectors = [], []
    for track_id, paths in chips.items():
        faces = []
        for path in paths:
            decoded = cv2.imdecode(np.frombuffer(store.read_evidence(path), np.uint8), cv2.IMREAD_COLOR)
            if decoded is not None:
                image = np.asarray(decoded, np.uint8)  # already uint8: typed, not copied
                faces.append(embed(image, chip_face_box(image)))
        if faces:
            ids.append(track_id)
            vectors.append(template(faces, [1.0] * len(faces)))
    if not ids:
        return out
    matrix = np.stack(vectors).astype(np.float32)
    for n, q in enumerate(queries):
        if q is None:
            continue
        best = (np.atleast_2d(q) @ matrix.T).max(axis=0)
        out[n] = {t: float(v) for t, v in zip(ids, best, strict=True) if t not in rejected[n]}
    return out


_face_lock = threading.Lock()  # dlib's network keeps per-call state: one embedding at a time


@lru_cache(maxsize=2)
def _face_embedder(models_dir: Path) -> FaceEmbedder:
    from epitrace.models import model_path

    return FaceEmbedder(model_path("face_dlib_resnet", models_dir), model_path("face_landmarks5", models_dir))


@lru_cache(maxsize=2)
def _face_detector(models_dir: Path) -> FaceDetector:
    from epitrace.models import model_path

    return FaceDetector(model_path("face_centerface", models_dir))


def lazy_face_embed(models_dir: Path) -> FaceEmbedFn:
    """A `FaceEmbedFn` that loads dlib's face model on its first call only.

    Most searches need none: chips exist only where ingest ran with `face_embeddings = "case"`.
    Once loaded, the model is kept for later searches over the same models folder.
    """

    def embed(image: npt.NDArray[np.uint8], box: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        with _face_lock:
            return _face_embedder(models_dir).embed(image, box)

    return embed


def photo_embedder(models_dir: Path, face_index: int | None) -> Callable[[npt.NDArray[np.uint8]],
                                                                        npt.NDArray[np.float32]]:
    """Photo -> 128-d face vector for enrolment.

    `face_index` picks one face (0 = leftmost) of several. The models (~100 MB) are loaded once
    per models folder.
    """
    with _face_lock:
        inner = photo_face_embedder(_face_embedder(models_dir), _face_detector(models_dir), face_index)

    def embed(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        with _face_lock:
            return inner(image)

    return embed
