"""face_embeddings = "case": faces are embedded only inside a consenting case's window, from
sealed chips, in memory (real photos, real models)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_vision import (  # noqa: F401 (pytest fixtures)
    data_dir_fixture,
    face_detector_fixture,
    face_embedder_fixture,
    vision_models_fixture,
)
from sqlalchemy import func, select

from epitrace.config import Settings
from epitrace.store import Camera, ThumbnailRecord, TrackRecord, TrackVector, Video, open_store
from epitrace.store.cases import add_query
from epitrace.tracing import add_subject, new_case, search_subject
from epitrace.tracing.case_faces import case_face_scores
from epitrace.vision import Detections
from epitrace.vision.face_chips import chip_face_box, face_chip
from epitrace.vision.face_quality import face_quality, template

ONSET = datetime(2026, 3, 10, tzinfo=UTC)
IN_WINDOW = ONSET.timestamp() - 3600
OUT_OF_WINDOW = ONSET.timestamp() - 30 * 86400
STILLS = "faces/stills"
PROBES = [("examples/biden.jpg", "biden", IN_WINDOW), ("tests/test_images/biden.jpg", "biden", IN_WINDOW),
          ("examples/obama.jpg", "obama", IN_WINDOW), ("examples/knn_examples/test/alex_lacamoire1.jpg",
                                                      "alex", IN_WINDOW),
          ("examples/knn_examples/train/biden/biden2.jpg", "biden", OUT_OF_WINDOW)]


def _chip_track(local_id: int, image: np.ndarray, faces: Detections, start_ts: float) -> TrackRecord:
    box = faces.xyxy[0]
    quality = face_quality(image, box, faces.data["landmarks"][0], float(faces.confidence[0]))
    ok, jpeg = cv2.imencode(".jpg", face_chip(image, box), [cv2.IMWRITE_JPEG_QUALITY, 92])
    frames = np.arange(3, dtype=np.int64) + 10 * local_id
    return TrackRecord(
        local_id=local_id, frames=frames, ts=start_ts + frames / 7.0,
        boxes=np.tile(np.array([[10, 20, 40, 120]], np.float32), (3, 1)), confidence=np.full(3, 0.9, np.float32),
        ground=None, body_vector=np.random.default_rng(local_id).normal(size=64).astype(np.float32),
        face_vector=None, mask_state="unknown", mask_confidence=0.0, face_px=quality.size_px,
        face_quality=quality.value, face_frontal=quality.frontal,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="face", jpeg=jpeg.tobytes())])


@pytest.mark.models
def test_chip_embeds_like_the_original_face(data_dir: Path, face_detector, face_embedder) -> None:
    image = cv2.imread(str(data_dir / STILLS / "examples/obama.jpg"))
    box = face_detector.detect(image).xyxy[0]
    direct = face_embedder.embed(image, box)
    chip = face_chip(image, box)
    assert float(direct @ face_embedder.embed(chip, chip_face_box(chip))) > 0.97
    corner = face_chip(image, np.array([-20, -20, 60, 60], np.float32))  # padded, never clipped
    assert corner.shape[:2] == (120, 120)


@pytest.mark.models
def test_case_time_faces_stay_in_scope_and_in_memory(settings: Settings, data_dir: Path,
                                                     face_detector, face_embedder) -> None:
    store = open_store(settings)
    store.upsert_camera(Camera(id="cam1", name="Cam 1"))
    video = store.create_video(Video(camera_id="cam1", path="x.avi", sha256="a" * 64, start_ts=0.0,
                                     fps=7.0, analysed_fps=7.0))
    records, who = [], {}
    for n, (rel, person, ts) in enumerate(PROBES):
        image = cv2.imread(str(data_dir / STILLS / rel))
        records.append(_chip_track(n, image, face_detector.detect(image), ts))
        who[n] = (person, ts)
    ids = store.save_tracks(video, records, 0, 0)
    person_of = {track_id: who[n] for n, track_id in enumerate(ids)}

    case = new_case(store, legal_basis="test", onset=ONSET)
    enrol = cv2.imread(str(data_dir / STILLS / "examples/knn_examples/train/biden/biden.jpg"))
    query = face_embedder.embed(enrol, face_detector.detect(enrol).xyxy[0])
    embedded: list[int] = []

    def counting_embed(image: np.ndarray, box: np.ndarray) -> np.ndarray:
        embedded.append(1)
        return face_embedder.embed(image, box)

    consenting = add_subject(store, case_id=case.id, label="consents", face_consent=True)
    add_query(store, subject_id=consenting.id, kind="face", source="photo", vector=query)
    found = search_subject(store, case_id=case.id, subject_id=consenting.id, config=settings.tracing,
                           face_embed=counting_embed)
    matches = {c.track_id for c in found if c.match}
    in_window_biden = {t for t, (p, ts) in person_of.items() if p == "biden" and ts == IN_WINDOW}
    assert matches == in_window_biden
    assert len(embedded) == sum(ts == IN_WINDOW for _, ts in person_of.values())  # never outside the window
    with store.db.session() as s:  # computed in memory, never stored
        assert s.scalar(select(func.count()).select_from(TrackVector).where(TrackVector.kind == "face")) == 0

    embedded.clear()
    refusing = add_subject(store, case_id=case.id, label="refuses", face_consent=False)
    add_query(store, subject_id=refusing.id, kind="body", source="track", vector=records[0].body_vector)
    search_subject(store, case_id=case.id, subject_id=refusing.id, config=settings.tracing,
                   face_embed=counting_embed)
    assert embedded == []  # no consent: no face is embedded at all


@pytest.mark.models
def test_a_track_with_several_chips_is_scored_by_their_template(settings: Settings, data_dir: Path,
                                                                 face_detector, face_embedder) -> None:
    """Ingest keeps the best few face chips of a track; a case embeds each and averages them."""
    store = open_store(settings)
    store.upsert_camera(Camera(id="cam1", name="Cam 1"))
    video = store.create_video(Video(camera_id="cam1", path="x.avi", sha256="b" * 64, start_ts=0.0,
                                     fps=7.0, analysed_fps=7.0))
    two_photos = ("examples/biden.jpg", "examples/knn_examples/train/biden/biden2.jpg")
    images = [cv2.imread(str(data_dir / STILLS / rel)) for rel in two_photos]
    first, second = (_chip_track(0, image, face_detector.detect(image), IN_WINDOW) for image in images)
    both = TrackRecord(**{**first.__dict__, "thumbnails": first.thumbnails + second.thumbnails})
    (track_id,) = store.save_tracks(video, [both], 0, 0)
    enrol = cv2.imread(str(data_dir / STILLS / "examples/knn_examples/train/biden/biden.jpg"))
    query = face_embedder.embed(enrol, face_detector.detect(enrol).xyxy[0])
    chips = [cv2.imdecode(np.frombuffer(t.jpeg, np.uint8), cv2.IMREAD_COLOR) for t in both.thumbnails]
    vectors = [face_embedder.embed(c, chip_face_box(c)) for c in chips]
    scores = case_face_scores(store, [query], np.array([track_id]), face_embedder.embed, [set()])
    assert scores[0][track_id] == pytest.approx(float(query @ template(vectors, [1.0, 1.0])), abs=1e-4)
    assert all(abs(scores[0][track_id] - float(query @ v)) > 1e-3 for v in vectors)  # not one chip alone
