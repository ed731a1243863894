"""A thumbnail shows no face but its own person's, even one no stored track covers.

As found: a thumbnail (API, CLI-built reports) mosaicked its own person's head band and the heads
of the other *stored* tracks in the crop. A person the tracker missed (a child held in front, a
face low in the crop, someone merged into the box) kept a clear face: in every thumbnail, and
beside the subject's own face once unmasked. Picker frames and clips have a detector safety net
for this (F11); thumbnails had none. Now every face the face detector finds in a crop that is not
its own person's is mosaicked.

The sighting's stored thumbnail here carries its own face at the top and a second, untracked face
low in the crop (a real face photo from ../shared/data, pasted).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from api.world import FPS, T0, World, api_client, build_world, login
from cli_login import cheap_argon2
from epitrace.store import ThumbnailRecord, TrackRecord
from tests_paths import SHARED_DATA

pytest.importorskip("argon2")
FACES = SHARED_DATA / "faces" / "deepface_pairs"
OWN = (slice(8, 56), slice(26, 74))  # rows, cols of the crop's own face (top of the person)
STRAY = (slice(150, 198), slice(30, 78))  # the untracked face, low in the crop
REASON = {"reason": "to call this contact for a test today"}


def _face(name: str, size: int) -> np.ndarray:
    from conftest import installed_models_dir
    from epitrace.models import model_path
    from epitrace.vision.faces import FaceDetector

    img = cv2.imread(str(FACES / name))
    x1, y1, x2, y2 = (int(v) for v in np.asarray(FaceDetector(model_path("face_centerface",
                                                                          installed_models_dir())).detect(img).xyxy)[0])
    return np.asarray(cv2.resize(img[y1:y2, x1:x2], (size, size)), np.uint8)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, int, np.ndarray]]:
    if not FACES.is_dir():
        pytest.skip("shared face photos not found")
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("facenet") / "home")
    crop = np.full((240, 100, 3), 90, np.uint8)
    crop[OWN] = _face("img1.jpg", 48)
    crop[STRAY] = _face("img2.jpg", 48)
    jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    frames = np.arange(10, dtype=np.int64)
    rec = TrackRecord(local_id=5, frames=frames, ts=T0.timestamp() + frames / FPS,
                      boxes=np.tile(np.array([[200, 60, 300, 300]], np.float32), (10, 1)),
                      confidence=np.full(10, 0.9, np.float32),
                      ground=np.stack([np.full(10, 0.6), np.zeros(10)], axis=1).astype(np.float32),
                      body_vector=np.ones(64, np.float32), mask_state="no_mask", mask_confidence=0.9,
                      thumbnails=[ThumbnailRecord(frame=0, kind="body", jpeg=jpeg)])
    w.store.save_tracks(w.video_id, [rec], 0, 0)
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with w.store.db.session() as s:
        track = int(s.scalar(select(Track.id).where(Track.camera_id == "a", Track.local_id == 5)))
    stored = cv2.imdecode(np.frombuffer(w.store.read_evidence(_path(w, track)), np.uint8), cv2.IMREAD_COLOR)
    yield w, track, np.asarray(stored, np.int32)


def _path(world: World, track_id: int) -> str:
    from epitrace.store.cases import first_thumbnails

    return str(first_thumbnails(world.store, track_ids=[track_id])[track_id])


@pytest.fixture(scope="module")
def client(world: tuple[World, int, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with api_client(world[0], tmp_path_factory.mktemp("uploads")) as c:
        yield c


def _served(client: Any, w: World, track: int) -> np.ndarray:
    r = client.get(f"/api/cases/{w.case_a}/sightings/{track}/thumbnail", headers=login(client, "ana"))
    assert r.status_code == 200, r.text
    return np.asarray(cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR), np.int32)


def _changed(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_a_masked_thumbnail_hides_an_untracked_face(client: Any, world: tuple[World, int, np.ndarray]) -> None:
    w, track, stored = world
    shown = _served(client, w, track)
    assert _changed(shown[OWN], stored[OWN]) > 8  # its own head: mosaicked, as before
    assert _changed(shown[STRAY], stored[STRAY]) > 8  # the untracked face: mosaicked too


def test_an_unmasked_thumbnail_shows_its_own_face_only(client: Any, world: tuple[World, int, np.ndarray]) -> None:
    w, track, stored = world
    r = client.post(f"/api/cases/{w.case_a}/contacts/{track}/unmask", json=REASON, headers=login(client, "ana"))
    assert r.status_code == 200, r.text
    shown = _served(client, w, track)
    assert _changed(shown[OWN], stored[OWN]) < 8  # the person it is about: clear
    assert _changed(shown[STRAY], stored[STRAY]) > 8  # anyone else: never


def test_the_report_applies_the_same_net(world: tuple[World, int, np.ndarray], tmp_path: Path) -> None:
    from epitrace import app as core
    from epitrace.app import Services
    from epitrace.config import get_policy
    from epitrace.privacy.users import get_user
    from epitrace.reports.data import gather

    w, track, stored = world
    session = core.open_case(Services(w.settings, w.store), get_user(w.store, name="ana"), w.case_a)
    from epitrace.app.footage import face_detector

    faces = face_detector(w.settings.models_dir)
    data = gather(w.store, case_id=w.case_a, policy=get_policy("cdc"), clear=frozenset({track}), faces=faces)
    assert session.id == w.case_a and track in data.contact_thumbnails
    shown = np.asarray(cv2.imdecode(np.frombuffer(data.contact_thumbnails[track], np.uint8), cv2.IMREAD_COLOR),
                       np.int32)
    assert _changed(shown[STRAY], stored[STRAY]) > 8


def test_a_neighbours_face_at_head_height_is_not_taken_for_its_own() -> None:
    """Own face not found (turned away): an untracked neighbour's face beside the head band stays hidden."""
    from types import SimpleNamespace

    from epitrace.privacy.crops import stray_faces

    class Finder:
        def detect(self, image: np.ndarray, threshold: float = 0.5) -> SimpleNamespace:
            return SimpleNamespace(xyxy=np.array([[2, 10, 22, 34]], np.float32))  # at the crop's left edge

    strays = stray_faces(np.zeros((240, 100, 3), np.uint8), Finder(), clear=True)
    assert len(strays) == 1
