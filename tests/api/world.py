"""A small real world for API tests: two cameras with real (synthetic) video files, stored
tracks with vectors, ground positions and thumbnails, four users and two cases.

Built through the same services ingest and tracing use (Store.save_tracks, new_case, enrol_track,
confirm), so the API sees exactly what a real ingest leaves behind, in a second instead of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from cli_login import PASSWORD
from epitrace.config import Settings
from epitrace.store import Camera, Store, ThumbnailRecord, TrackRecord, Video, open_store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FPS = 7.0
FRAMES = 70
LEGAL_BASIS = "Infectious Disease Control and Prevention Act art. 76-2"


def write_video(path: Path, frames: int = FRAMES, size: tuple[int, int] = (320, 240)) -> Path:
    """A short MPEG-4 clip with a moving grey figure (decodable by PyAV like real footage)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=Fraction(7, 1))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for n in range(frames):
            img = np.full((size[1], size[0], 3), 60, np.uint8)
            cv2.rectangle(img, (100 + n, 100), (130 + n, 180), (200, 200, 200), -1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _jpeg() -> bytes:
    img = np.full((80, 30, 3), 180, np.uint8)
    img[:20] = (np.indices((20, 30)).sum(axis=0) // 2 % 2 * 200).astype(np.uint8)[..., None]
    return cv2.imencode(".jpg", img)[1].tobytes()


def _rec(local_id: int, start: int, body: np.ndarray, x: float, n: int = 10) -> TrackRecord:
    frames = np.arange(n, dtype=np.int64) + start
    return TrackRecord(
        local_id=local_id, frames=frames, ts=T0.timestamp() + frames / FPS,
        boxes=np.tile(np.array([[100 + 20 * local_id % 150, 100, 130 + 20 * local_id % 150, 180]], np.float32), (n, 1)),
        confidence=np.full(n, 0.9, np.float32),
        ground=np.stack([np.full(n, x), np.zeros(n)], axis=1).astype(np.float32),
        body_vector=body, mask_state="no_mask", mask_confidence=0.9,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="body", jpeg=_jpeg())])


@dataclass
class World:
    settings: Settings
    store: Store
    case_a: str  # assigned to ana
    case_b: str  # assigned to ben
    subject_a: int
    subject_b: int
    track_a: int  # confirmed subject sighting of case A
    track_b: int
    video_id: int


def build_world(home: Path) -> World:
    from conftest import installed_models_dir
    from epitrace.privacy.users import add_user, assign
    from epitrace.store.case_states import set_approved
    from epitrace.tracing import add_subject, confirm, enrol_track, new_case

    settings = Settings(home=home, models_path=installed_models_dir())  # picker frames run the safety net
    store = open_store(settings)
    rng = np.random.default_rng(7)
    person = rng.normal(size=64).astype(np.float32)
    video_ids = {}
    for cam, lat in (("a", 37.5), ("b", 37.5005)):
        store.upsert_camera(Camera(id=cam, name=f"Camera {cam.upper()}", place="test", latitude=lat, longitude=126.8,
                                   calibration=None))
        clip = write_video(home / f"{cam}.avi")
        vid = store.create_video(Video(camera_id=cam, path=str(clip), sha256=cam * 64, start_ts=T0.timestamp(),
                                       fps=FPS, analysed_fps=FPS, frames_total=FRAMES))
        video_ids[cam] = vid
        recs = [_rec(1, 0, (person + rng.normal(scale=0.1, size=64)).astype(np.float32), 0.0),
                _rec(2, 2, rng.normal(size=64).astype(np.float32), 1.0),
                _rec(3, 30, (person + rng.normal(scale=0.1, size=64)).astype(np.float32), 0.0),
                _rec(4, 31, rng.normal(size=64).astype(np.float32), 0.8)]
        store.save_tracks(vid, recs, 0, 0)
        store.finish_video(vid, FRAMES, FRAMES)  # ingested to the end (a "running" one would be interrupted)
    for name, role in (("root", "admin"), ("ana", "investigator"), ("ben", "investigator"), ("aud", "auditor")):
        add_user(store, name=name, password=PASSWORD, role=role)
    ids: list[tuple[str, int, int]] = []
    for who, cam in (("ana", "a"), ("ben", "b")):
        case = new_case(store, legal_basis=LEGAL_BASIS, onset=T0 + timedelta(days=1), title=f"{who}'s case",
                        cameras=[cam], user=who)
        assign(store, user=who, case_id=case.id)
        set_approved(store, case_id=case.id, by="root")  # a supervisor's approval (tests/app test the rule)
        subject = add_subject(store, case_id=case.id, label="patient-1", face_consent=False)
        from sqlalchemy import select

        from epitrace.store.orm import Track

        with store.db.session() as s:
            track = int(s.scalar(select(Track.id).where(Track.camera_id == cam, Track.local_id == 1)))
        enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=track)
        confirm(store, case_id=case.id, subject_id=subject.id, track_id=track, user=who)
        ids.append((case.id, subject.id, track))
    (ca, sa, ta), (cb, sb, tb) = ids
    return World(settings, store, ca, cb, sa, sb, ta, tb, video_ids["a"])


def login(client: Any, name: str) -> dict[str, str]:
    """Bearer headers of a fresh session of `name` (a FastAPI TestClient)."""
    r = client.post("/api/auth/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()  # bearer only: cookie behaviour is tested on its own
    return {"Authorization": f"Bearer {r.json()['token']}"}


@contextmanager
def api_client(world: World, upload_dir: Path) -> Iterator[Any]:
    """A TestClient over an app on `world` (cheap password hashing, no retention thread)."""
    import warnings

    from cli_login import cheap_argon2
    from epitrace.api import ServerSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    server = ServerSettings(upload_dir=upload_dir)
    with cheap_argon2(), TestClient(create_app(world.settings, server, retention=False)) as client:
        yield client
