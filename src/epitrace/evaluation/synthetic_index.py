"""A synthetic sightings index at city scale, shaped like what ingest really writes.

Rates come from the real pipeline on PETS S2L1 (frames 0-399, 57 s): 17 tracks (about 1,070
per camera-hour in that busy square), mean track length 20 s, 53% with a face vector; body
vectors are 576-d (camera-normalised colour, body vector v2), face vectors 128-d. Vectors are random
unit vectors, so the index is realistic in size and search cost, not in how alike strangers
look: it measures speed. Each subject gets planted sightings (its look plus noise) at times a
person could reach those cameras, so the search still has something true to find.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from epitrace.store import Camera, Store, Video, sightings_repo
from epitrace.store.codec import track_context
from epitrace.store.vectors import l2_normalise

logger = logging.getLogger(__name__)
T0 = datetime(2026, 3, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class SyntheticSpec:
    """Size of the synthetic city (defaults: 1,000 camera-hours over 100 cameras)."""

    cameras: int = 100
    hours_per_camera: float = 10.0
    tracks_per_hour: float = 1070.0
    track_seconds: float = 20.0
    face_share: float = 0.53
    body_dim: int = 576
    face_dim: int = 128
    subjects: int = 10
    planted_per_subject: int = 12
    seed: int = 7


@dataclass(frozen=True)
class Planted:
    """Ground truth of the synthetic index: each subject's planted track ids (first = picked)."""

    tracks: dict[int, list[int]]


def _noisy(rng: np.random.Generator, base: np.ndarray, cosine: float) -> np.ndarray:
    """A unit vector at about `cosine` to unit `base` (isotropic noise)."""
    sigma = math.sqrt((1 / cosine**2 - 1) / len(base))
    return l2_normalise((base + rng.normal(scale=sigma, size=base.shape)).astype(np.float32)[None])[0]


def build_synthetic_index(store: Store, spec: SyntheticSpec,
                          progress: Callable[[int, int], None] | None = None) -> Planted:
    """Fill `store` (empty) with cameras, tracks, SQL vectors and FAISS indices."""
    rng = np.random.default_rng(spec.seed)
    per_camera = int(spec.tracks_per_hour * spec.hours_per_camera)
    span = spec.hours_per_camera * 3600
    cams = [f"cam{c:05d}" for c in range(spec.cameras)]
    side = math.ceil(math.sqrt(spec.cameras))
    for c, cam in enumerate(cams):  # a grid with ~300 m between cameras
        store.upsert_camera(Camera(id=cam, name=cam, latitude=37.50 + (c // side) * 0.0027,
                                   longitude=126.78 + (c % side) * 0.0034))
    looks = l2_normalise(rng.normal(size=(spec.subjects, spec.body_dim)).astype(np.float32))
    faces = l2_normalise(rng.normal(size=(spec.subjects, spec.face_dim)).astype(np.float32))
    planted: dict[int, list[int]] = {s: [] for s in range(spec.subjects)}
    body_index = store.index("body", spec.body_dim)
    face_index = store.index("face", spec.face_dim)
    for c, cam in enumerate(cams):
        video_id = store.create_video(Video(camera_id=cam, path=f"synthetic/{cam}.mp4", sha256=f"{c:064d}",
                                            start_ts=T0, fps=7.0, analysed_fps=7.0, status="done"))
        starts = np.sort(rng.uniform(0, span, per_camera)) + T0
        body = l2_normalise(rng.normal(size=(per_camera, spec.body_dim)).astype(np.float32))
        has_face = rng.random(per_camera) < spec.face_share
        face = l2_normalise(rng.normal(size=(per_camera, spec.face_dim)).astype(np.float32))
        owners = np.full(per_camera, -1)
        stride = max(spec.cameras // spec.planted_per_subject, 1)
        for s in range(spec.subjects):  # each subject passes one camera in `stride`
            if c % stride == s % stride:
                row = int(rng.integers(per_camera))
                owners[row], body[row], has_face[row] = s, _noisy(rng, looks[s], 0.95), True
                face[row] = _noisy(rng, faces[s], 0.98)
        with store.unit() as session:
            ids = np.array(sightings_repo.insert_tracks(session, rows=[
                {"video_id": video_id, "camera_id": cam, "local_id": i, "start_frame": 0, "end_frame": 140,
                 "start_ts": float(t), "end_ts": float(t) + spec.track_seconds, "n_points": 140,
                 "mean_confidence": 0.7, "mask_state": "unknown", "mask_confidence": 0.0,
                 "has_face": bool(f), "face_score": 0.0} for i, (t, f) in enumerate(zip(starts, has_face, strict=True))
            ]), np.int64)
            for kind, vectors, keep in (("body", body, np.ones(len(ids), bool)), ("face", face, has_face)):
                sightings_repo.insert_vectors(session, rows=[  # face vectors sealed by the codec
                    {"track_id": int(i), "kind": kind, "dim": vectors.shape[1],
                     "vector": store.codec.encode(v, kind=kind, context=track_context(kind, int(i)))}
                    for i, v in zip(ids[keep], vectors[keep], strict=True)])
        body_index.add(ids, body)
        face_index.add(ids[has_face], face[has_face])
        for planted_row in np.flatnonzero(owners >= 0):
            planted[int(owners[planted_row])].append(int(ids[planted_row]))
        if progress is not None:
            progress(c + 1, spec.cameras)
    body_index.save()
    face_index.save()
    return Planted(planted)
