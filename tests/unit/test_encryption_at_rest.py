"""Face vectors and evidence images are sealed at rest; without the key nothing is written."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from epitrace.config import Settings
from epitrace.store import Camera, Store, ThumbnailRecord, Track, TrackRecord, Video, open_store
from epitrace.store.cases import add_query, query_vectors, track_vector
from epitrace.store.orm import Case, Subject, TrackVector
from epitrace.store.sealing import KeyMissingError, SealError, create_key_file, load_key
from epitrace.store.vectors import l2_normalise

FACE = (np.arange(128, dtype=np.float32) * np.float32(3.1e-3) + np.float32(-0.19)).astype(np.float32)
"""A face vector whose bytes appear nowhere else."""


def _jpeg() -> bytes:
    img = np.zeros((64, 32, 3), np.uint8)
    cv2.putText(img, "ID", (2, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    return cv2.imencode(".jpg", img)[1].tobytes()


JPEG = _jpeg()


def _record(local_id: int) -> TrackRecord:
    frames = np.arange(5, dtype=np.int64) + 10 * local_id
    return TrackRecord(
        local_id=local_id, frames=frames, ts=1000.0 + frames / 7.0,
        boxes=np.tile(np.array([[10, 20, 40, 120]], np.float32), (5, 1)),
        confidence=np.full(5, 0.9, np.float32), ground=None,
        body_vector=np.random.default_rng(local_id).normal(size=64).astype(np.float32),
        face_vector=FACE, mask_state="unknown", mask_confidence=0.0,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="body", jpeg=JPEG)])


def _fill(store: Store) -> int:
    store.upsert_camera(Camera(id="cam1", name="Cam 1"))
    video = store.create_video(Video(camera_id="cam1", path="x.avi", sha256="a" * 64, start_ts=0.0,
                                     fps=7.0, analysed_fps=7.0))
    return store.save_tracks(video, [_record(0)], 0, 0)[0]


def _all_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file() and p.suffix != ".key")


def test_face_vectors_and_thumbnails_never_reach_disk_in_clear(settings: Settings) -> None:
    store = open_store(settings)
    track_id = _fill(store)
    store.index("face")  # build the face index and save every index there is
    with store.db.session() as s:
        subject = Subject(case_id="C1", label="s", face_consent=True)
        s.add(Case(id="C1", legal_basis="test", window_start_ts=0.0, window_end_ts=1.0))
        s.flush()
        s.add(subject)
        s.flush()
        subject_id = subject.id
    add_query(store, subject_id=subject_id, kind="face", source="photo", vector=FACE)
    store.index("body").save()
    store.db.dispose()  # flush the WAL into the database file

    on_disk = _all_bytes(settings.home)
    assert _record(0).body_vector.tobytes() in on_disk  # the scan does see what is kept in clear
    for probe in (FACE.tobytes(), l2_normalise(FACE[None])[0].tobytes(), FACE[:16].tobytes(), JPEG[200:264]):
        assert probe not in on_disk
    assert not (settings.vectors_dir / "face.faiss").exists()
    assert list(settings.evidence_dir.rglob("*.jpg.sealed"))

    again = open_store(settings)  # read back through the key
    np.testing.assert_array_equal(track_vector(again, track_id=track_id, kind="face"), FACE)
    np.testing.assert_array_equal(query_vectors(again, subject_id=subject_id, kind="face")[0], FACE)
    scores, ids = again.index("face").search(FACE[None], 1)
    assert ids[0, 0] == track_id and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    with again.db.session() as s:
        rel = s.scalar(select(Track).where(Track.id == track_id)).thumbnails[0].path
    assert again.read_evidence(rel) == JPEG


def test_missing_key_is_a_clear_error_and_nothing_is_written(settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPITRACE_ENCRYPTION_KEY", raising=False)
    bare = Settings(home=settings.home, models_path=settings.models_path)
    store = open_store(bare)
    with pytest.raises(KeyMissingError, match="epitrace keys init"):
        _fill(store)
    with store.db.session() as s:
        assert s.scalar(select(func.count(Track.id))) == 0
        assert s.scalar(select(func.count()).select_from(TrackVector)) == 0
    assert not bare.evidence_dir.exists() or not any(bare.evidence_dir.rglob("*"))


def test_wrong_key_tampering_and_moved_values_do_not_open(settings: Settings) -> None:
    store = open_store(settings)
    track_id = _fill(store)
    other = Settings(home=settings.home, models_path=settings.models_path,
                     encryption_key=base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(SealError, match="wrong key"):
        track_vector(open_store(other), track_id=track_id, kind="face")
    with store.db.session() as s:
        blob = bytearray(s.get(TrackVector, (track_id, "face")).vector)
    with pytest.raises(SealError):
        store.open_vector(bytes(blob), f"face:{track_id + 1}")  # moved to another row
    blob[-1] ^= 1
    with pytest.raises(SealError):
        store.open_vector(bytes(blob), f"face:{track_id}")  # altered


def test_key_file_is_created_private_and_checked(tmp_path: Path) -> None:
    path = create_key_file(tmp_path / "secrets" / "k.key")
    assert path.stat().st_mode & 0o777 == 0o600 and len(load_key(None, path)) == 32
    with pytest.raises(FileExistsError):
        create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(KeyMissingError, match="chmod 600"):
        load_key(None, path)
    with pytest.raises(KeyMissingError, match="32"):
        load_key(base64.b64encode(b"short").decode(), path)


def test_keys_cli_init_and_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from epitrace.cli.main import app
    from epitrace.config import settings as settings_module

    monkeypatch.delenv("EPITRACE_ENCRYPTION_KEY", raising=False)
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    settings_module.get_settings.cache_clear()
    try:
        runner = CliRunner()
        missing = runner.invoke(app, ["keys", "check"])
        assert missing.exit_code == 2 and "keys init" in missing.output
        made = runner.invoke(app, ["keys", "init"])
        assert made.exit_code == 0, made.output
        assert (tmp_path / "home" / "secrets" / "encryption.key").exists()
        assert runner.invoke(app, ["keys", "check"]).exit_code == 0
        assert runner.invoke(app, ["keys", "init"]).exit_code == 2  # never overwrites
        assert runner.invoke(app, ["keys", "init", "--if-missing"]).exit_code == 0
    finally:
        settings_module.get_settings.cache_clear()


def test_the_vector_codec_seals_faces_to_their_row_and_keeps_bodies_clear() -> None:
    from epitrace.store.codec import VectorCodec, query_context, track_context
    from epitrace.store.sealing import Sealer

    sealer = Sealer(os.urandom(32))
    codec = VectorCodec(lambda: sealer)
    face = codec.encode(FACE, kind="face", context=track_context("face", 7))
    assert FACE.tobytes() not in face
    assert np.array_equal(codec.decode(face, kind="face", context=track_context("face", 7)), FACE)
    with pytest.raises(SealError):  # moved to another row, or to a subject's queries
        codec.decode(face, kind="face", context=query_context("face", 7))
    body = np.array([3.0, 4.0], np.float32)
    stored = codec.encode(body, kind="body", context=track_context("body", 7))
    assert stored == body.tobytes()  # clear: what makes search fast, no face in it
    assert np.allclose(codec.decode(stored, kind="body", context="", normalise=True), [0.6, 0.8])
    assert np.array_equal(codec.decode(FACE.tobytes(), kind="face", context="x"), FACE)  # older clear rows
