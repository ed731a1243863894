"""Issue 12 F7: purge keeps what a case holds, and leaves no copy of purged footage behind.

Before the change a purge with a retention shorter than the footage's age deleted an open case's
confirmed sightings, their contacts, thumbnails and video (the case showed an empty route), and
left byte-identical copies of purged footage in `uploads/`.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from epitrace.config import Settings
from epitrace.privacy.retention import purge
from epitrace.store import Camera, Store, Thumbnail, ThumbnailRecord, Track, TrackRecord, TrackVector, Video, open_store
from epitrace.store.orm import Case, SightingDecision, Subject, SubjectQuery
from epitrace.store.vectors import l2_normalise

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = 86400.0
BASIS = "LEGALHOLD public health act s.42"
LABEL = "index patient Zed-4711"


def _ago(days: float) -> float:
    return NOW.timestamp() - days * DAY


def _marker(seed: int) -> np.ndarray:
    """A body vector whose bytes appear nowhere else."""
    return (np.arange(64, dtype=np.float32) * np.float32(1e-3 * seed) + np.float32(50 + seed)).astype(np.float32)


def _record(local_id: int, start_ts: float, seed: int) -> TrackRecord:
    frames = np.arange(5, dtype=np.int64) + 10 * local_id
    return TrackRecord(
        local_id=local_id, frames=frames, ts=start_ts + np.arange(5) / 7.0,
        boxes=np.tile(np.array([[10, 20, 40, 120]], np.float32), (5, 1)),
        confidence=np.full(5, 0.9, np.float32), ground=np.zeros((5, 2), np.float32),
        body_vector=_marker(seed), face_vector=np.random.default_rng(seed).normal(size=128).astype(np.float32),
        mask_state="mask", mask_confidence=0.8,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="body", jpeg=b"\xff\xd8jpeg%d" % seed)],
    )


def _upload(root: Path, folder: str, data: bytes) -> Path:
    path = root / folder / "footage.avi"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _video(store: Store, path: Path, start_ts: float) -> int:
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return store.create_video(Video(camera_id="cam1", path=str(path), sha256=sha, start_ts=start_ts, fps=7.0,
                                    analysed_fps=7.0, status="done", frames_total=100))


def _home_bytes(home: Path) -> bytes:
    """Every byte of every file under the home (the grep of the issue's closing test)."""
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def _thumbs(store: Store, ids: list[int]) -> list[Path]:
    with store.db.session() as s:
        return [store.evidence_dir / p for p in s.scalars(select(Thumbnail.path).where(Thumbnail.track_id.in_(ids)))]


def _count(store: Store, model: type, ids: list[int]) -> int:
    column = model.id if model is Track else model.track_id
    with store.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(column.in_(ids))) or 0)


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """SQLite only for the byte grep; PostgreSQL's files belong to its server."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    s.upsert_camera(Camera(id="cam1", name="Cam 1"))  # default retention: 30 days
    return s


def _open_case(store: Store, subject_track: int) -> None:
    with store.db.session() as s:
        s.add(Case(id="C9", legal_basis=BASIS, window_start_ts=_ago(45), window_end_ts=_ago(35), status="open"))
        s.flush()
        subject = Subject(case_id="C9", label=LABEL, face_consent=True)
        s.add(subject)
        s.flush()
        s.add(SubjectQuery(subject_id=subject.id, kind="body", source="track", track_id=subject_track,
                           vector=_marker(1).tobytes()))
        s.add(SightingDecision(subject_id=subject.id, track_id=subject_track, decision="confirmed",
                               score=0.9, decided_by="ana"))


def test_open_case_evidence_survives_purge_and_goes_after_close(settings: Settings, store: Store) -> None:
    """F7: an open case's confirmed sighting, its contacts' sightings, their vectors, thumbnails
    and footage survive a purge with a retention shorter than their age; once the case is closed
    and closed_case_days pass, nothing of it is left in any file under the home."""
    uploads = settings.home / "uploads"
    data = b"VIDEO-BYTES-LEGAL-HOLD" * 64
    source, copy = _upload(uploads, "a1", data), _upload(uploads, "b2", data)  # one footage uploaded twice
    vid = _video(store, source, _ago(40))
    subject, contact, later = (store.save_tracks(vid, [_record(0, _ago(40), 1)], 0, 0)
                               + store.save_tracks(vid, [_record(1, _ago(40) + 3, 2)], 0, 0)
                               + store.save_tracks(vid, [_record(2, _ago(38), 3)], 0, 0))  # 2 days later
    _open_case(store, subject)
    held = [subject, contact]
    thumbs = _thumbs(store, held)

    report = purge(store, now=NOW, default_days=30, orphan_grace_s=0)

    assert report.tracks == 1 and report.videos == 0  # only the unrelated later track went
    for model in (Track, TrackVector, Thumbnail):
        assert _count(store, model, held) == len(held) * (2 if model is TrackVector else 1), model
    assert _count(store, Track, [later]) == 0
    assert all(p.exists() for p in thumbs)
    for kind in ("body", "face"):
        assert sorted(store.index(kind).ids().tolist()) == held
    assert source.exists() and copy.exists()  # the footage the clips are cut from
    with store.db.session() as s:
        assert s.get(Video, vid) is not None
        assert s.scalar(select(func.count()).select_from(SightingDecision)) == 1

    with store.db.session() as s:  # closed yesterday: still held for closed_case_days
        case = s.get_one(Case, "C9")
        case.status, case.closed_at, case.closed_by, case.outcome = "closed", NOW - timedelta(days=1), "sup", "done"
    assert purge(store, now=NOW, default_days=30, closed_case_days=30, orphan_grace_s=0).tracks == 0
    assert _count(store, Track, held) == 2

    sqlite = settings.database_url is None
    if sqlite:  # the grep below can see each marker while it is stored
        before = _home_bytes(settings.home)
        assert all(m in before for m in (_marker(1).tobytes(), data[:22], BASIS.encode(), LABEL.encode()))
    later_now = NOW + timedelta(days=30)
    report = purge(store, now=later_now, default_days=30, closed_case_days=28, orphan_grace_s=0)
    assert report.cases == 1 and report.tracks == 2 and report.videos == 1 and report.upload_files == 2
    assert not source.exists() and not copy.exists() and not any(uploads.rglob("*.avi"))
    assert not any(p.exists() for p in thumbs)
    if not sqlite:
        return  # PostgreSQL's files are its server's (reclaimed by its own vacuum)
    everything = _home_bytes(settings.home)
    for seed in (1, 2):
        assert _marker(seed).tobytes() not in everything
        assert l2_normalise(_marker(seed)[None])[0].tobytes() not in everything
    for text in (data[:22], BASIS.encode(), LABEL.encode()):
        assert text not in everything, text


def test_pending_case_holds_too_and_margin_bounds_the_hold(store: Store) -> None:
    """F7: a pending case holds its evidence; tracks of the same camera more than the margin away
    from it, and tracks of other cameras, are not held."""
    store.upsert_camera(Camera(id="cam2", name="Cam 2"))
    vid = store.create_video(Video(camera_id="cam1", path="v.avi", sha256="d" * 64, start_ts=_ago(41), fps=7.0,
                                   analysed_fps=7.0, status="done", frames_total=100))
    other = store.create_video(Video(camera_id="cam2", path="w.avi", sha256="e" * 64, start_ts=_ago(41), fps=7.0,
                                     analysed_fps=7.0, status="done", frames_total=100))
    subject, near, far = (store.save_tracks(vid, [_record(0, _ago(40), 1)], 0, 0)
                          + store.save_tracks(vid, [_record(1, _ago(40) + 3600, 2)], 0, 0)
                          + store.save_tracks(vid, [_record(2, _ago(40) + 7200, 3)], 0, 0))
    elsewhere = store.save_tracks(other, [_record(0, _ago(40), 4)], 0, 0)[0]
    _open_case(store, subject)
    with store.db.session() as s:
        s.get_one(Case, "C9").status = "pending"
    report = purge(store, now=NOW, orphan_grace_s=0, hold_margin_s=5400)
    assert report.tracks == 2
    assert _count(store, Track, [subject, near]) == 2 and _count(store, Track, [far, elsewhere]) == 0


def test_dry_run_counts_the_hold(store: Store) -> None:
    """F7: a dry run says what a purge would do under the hold (nothing held is counted)."""
    vid = store.create_video(Video(camera_id="cam1", path="v.avi", sha256="f" * 64, start_ts=_ago(41), fps=7.0,
                                   analysed_fps=7.0, status="done", frames_total=100))
    subject = store.save_tracks(vid, [_record(0, _ago(40), 1)], 0, 0)[0]
    store.save_tracks(vid, [_record(1, _ago(37), 2)], 0, 0)
    _open_case(store, subject)
    dry = purge(store, now=NOW, dry_run=True)
    assert dry.tracks == 1 and dry.videos == 0
    assert purge(store, now=NOW, orphan_grace_s=0).counts()["tracks"] == 1


def test_every_copy_of_purged_footage_leaves_the_upload_folders(settings: Settings, store: Store,
                                                               tmp_path: Path) -> None:
    """F7: two byte-identical uploads of purged footage (the API dedups ingest by sha256, so only
    one is the video's path) and a copy in a server's own upload_dir are all removed; other
    uploads stay."""
    uploads, server_uploads = settings.home / "uploads", tmp_path / "server-uploads"
    data = b"PURGED-FOOTAGE" * 100
    first, second = _upload(uploads, "a1", data), _upload(uploads, "b2", data)
    third = _upload(server_uploads, "c3", data)
    keep = _upload(uploads, "d4", b"OTHER-FOOTAGE" * 100)
    _video(store, first, _ago(45))
    _video(store, keep, _ago(1))
    report = purge(store, now=NOW, orphan_grace_s=0, upload_dirs=[uploads, server_uploads])
    assert report.videos == 1 and report.upload_files == 3
    assert not first.exists() and not second.exists() and not third.exists()
    assert not first.parent.exists() and not second.parent.exists() and uploads.is_dir()
    assert keep.exists()
