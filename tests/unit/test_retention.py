"""Retention purge: nothing of expired footage is left anywhere; recent data is untouched."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from cli_login import login_as  # noqa: E402
from epitrace.config import Settings
from epitrace.privacy.audit import entries, verify
from epitrace.privacy.retention import PurgeStat, purge
from epitrace.store import (
    Camera,
    Store,
    Thumbnail,
    ThumbnailRecord,
    Track,
    TrackPoint,
    TrackRecord,
    TrackVector,
    Video,
    open_store,
)
from epitrace.store.orm import Case, SightingDecision, Subject, SubjectQuery
from epitrace.store.vectors import l2_normalise
from pg_fixture import export_settings

NOW = datetime(2026, 6, 1, tzinfo=UTC)
DAY = 86400.0
MARKER = (np.arange(64, dtype=np.float32) * np.float32(1.2345e-3) + np.float32(77.77)).astype(np.float32)
"""A body vector whose bytes appear nowhere else: the old track's fingerprint."""


def _ago(days: float) -> float:
    return NOW.timestamp() - days * DAY


def _record(local_id: int, start_ts: float, seed: int, body: np.ndarray | None = None) -> TrackRecord:
    rng = np.random.default_rng(seed)
    frames = np.arange(5, dtype=np.int64) + 10 * local_id
    return TrackRecord(
        local_id=local_id, frames=frames, ts=start_ts + np.arange(5) / 7.0,
        boxes=np.tile(np.array([[10, 20, 40, 120]], np.float32), (5, 1)),
        confidence=np.full(5, 0.9, np.float32), ground=np.zeros((5, 2), np.float32),
        body_vector=rng.normal(size=64).astype(np.float32) if body is None else body,
        face_vector=rng.normal(size=128).astype(np.float32),
        mask_state="mask", mask_confidence=0.8,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="body", jpeg=b"\xff\xd8jpeg%d" % seed)],
    )


def _video(store: Store, camera_id: str, start_ts: float, sha: str) -> int:
    return store.create_video(Video(camera_id=camera_id, path=f"{sha}.avi", sha256=sha * 64,
                                    start_ts=start_ts, fps=7.0, analysed_fps=7.0, status="done",
                                    frames_total=100))


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    s.upsert_camera(Camera(id="cam1", name="Cam 1"))  # default retention (30 days)
    s.upsert_camera(Camera(id="cam2", name="Cam 2", retention_days=90))
    return s


@pytest.fixture()
def filled(store: Store) -> dict[str, list[int]]:
    """Old and recent tracks on both cameras; returns track ids by group."""
    old_vid = _video(store, "cam1", _ago(45), "a")  # only expired tracks: the video goes too
    mixed_vid = _video(store, "cam1", _ago(40), "b")
    cam2_vid = _video(store, "cam2", _ago(100), "c")
    ids = {
        "old": store.save_tracks(old_vid, [_record(0, _ago(45), 1, MARKER), _record(1, _ago(44), 2)], 0, 0)
        + store.save_tracks(mixed_vid, [_record(0, _ago(40), 3)], 0, 0)
        + store.save_tracks(cam2_vid, [_record(0, _ago(100), 4)], 0, 0),
        "recent": store.save_tracks(mixed_vid, [_record(1, _ago(1), 5)], 0, 0)
        + store.save_tracks(cam2_vid, [_record(1, _ago(40), 6)], 0, 0),  # within cam2's 90 days
    }
    ids["old_videos"] = [old_vid]
    return ids


def _marker_on_disk(settings: Settings) -> bool | None:
    """Whether the marker's bytes are in the SQLite file or its WAL; None on PostgreSQL, whose files
    belong to the server (it reclaims purged rows by (auto)vacuum, with no secure_delete)."""
    if settings.database_url is not None:
        return None
    db = Path(settings.db_url.removeprefix("sqlite:///"))
    return MARKER.tobytes() in b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def _rows(store: Store, model: type, ids: list[int]) -> int:
    column = model.id if model is Track else model.track_id
    with store.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(column.in_(ids))) or 0)


def _thumb_paths(store: Store, ids: list[int]) -> list[Path]:
    with store.db.session() as s:
        return [store.evidence_dir / p for p in s.scalars(
            select(Thumbnail.path).where(Thumbnail.track_id.in_(ids)))]


def test_purge_leaves_nothing_of_old_footage(settings: Settings, store: Store,
                                             filled: dict[str, list[int]]) -> None:
    old, recent = filled["old"], filled["recent"]
    old_files, recent_files = _thumb_paths(store, old), _thumb_paths(store, recent)
    assert all(p.exists() for p in old_files) and len(old_files) == 4
    assert _marker_on_disk(settings) in (True, None)  # the probe can see the marker at all

    report = purge(store, now=NOW, orphan_grace_s=0)

    assert report.tracks == 4 and report.tracks_by_camera == {"cam1": 3, "cam2": 1}
    assert report.videos == 1 and report.thumbnail_files == 4
    assert report.vacuumed == (settings.database_url is None)  # VACUUM is SQLite's step
    for model in (Track, TrackPoint, TrackVector, Thumbnail):
        assert _rows(store, model, old) == 0, model.__tablename__
        assert _rows(store, model, recent) > 0, model.__tablename__
    assert not any(p.exists() for p in old_files)
    assert all(p.exists() for p in recent_files)
    for kind in ("body", "face"):  # in memory, and from disk through a fresh store
        assert sorted(store.index(kind).ids().tolist()) == sorted(recent)
        assert sorted(open_store(settings).index(kind).ids().tolist()) == sorted(recent)
    faiss_bytes = (settings.vectors_dir / "body.faiss").read_bytes()
    assert l2_normalise(MARKER[None])[0].tobytes() not in faiss_bytes
    assert _marker_on_disk(settings) in (False, None)
    with store.db.session() as s:
        assert s.get(Video, filled["old_videos"][0]) is None
        assert s.scalar(select(func.count(Video.id))) == 2


def test_per_camera_retention_override(store: Store, filled: dict[str, list[int]]) -> None:
    store.upsert_camera(Camera(id="cam2", name="Cam 2", retention_days=10))
    report = purge(store, now=NOW, orphan_grace_s=0)
    assert report.tracks_by_camera == {"cam1": 3, "cam2": 2}  # cam2's 40-day track goes now
    assert store.count_tracks() == 1


def test_dry_run_deletes_nothing(settings: Settings, store: Store,
                                 filled: dict[str, list[int]]) -> None:
    before = _marker_on_disk(settings)
    report = purge(store, now=NOW, dry_run=True, orphan_grace_s=0)
    assert report.dry_run and report.tracks == 4 and report.videos == 1
    assert report.thumbnail_files == 4
    assert store.count_tracks() == 6
    assert len(list(store.evidence_dir.rglob("*.jpg.sealed"))) == 6
    assert len(store.index("body")) == 6
    assert before in (True, None) and not any(e.action == "purge" for e in entries(store))


def _case(store: Store, case_id: str, status: str, closed_days_ago: float | None,
          track_id: int) -> None:
    with store.db.session() as s:
        s.add(Case(id=case_id, legal_basis="public health act s.1", window_start_ts=_ago(50),
                   window_end_ts=_ago(0), status=status,
                   closed_at=None if closed_days_ago is None else NOW - timedelta(days=closed_days_ago)))
        s.flush()
        subject = Subject(case_id=case_id, label="index patient", face_consent=True)
        s.add(subject)
        s.flush()
        s.add(SubjectQuery(subject_id=subject.id, kind="body", source="track", track_id=track_id,
                           vector=MARKER.tobytes()))
        s.add(SightingDecision(subject_id=subject.id, track_id=track_id, decision="confirmed",
                               score=0.9, decided_by="ana"))


def test_closed_case_purge_leaves_only_counts(store: Store, filled: dict[str, list[int]]) -> None:
    recent, old = filled["recent"][0], filled["old"][1]
    _case(store, "C1", "closed", 40, recent)  # closed long ago: goes, though its track stays
    _case(store, "C2", "closed", 5, recent)  # closed recently: kept
    _case(store, "C3", "open", None, old)  # open: its old track is on legal hold (F7), with its neighbour
    report = purge(store, now=NOW, orphan_grace_s=0)
    assert report.cases == 1
    with store.db.session() as s:
        assert sorted(s.scalars(select(Case.id))) == ["C2", "C3"]
        assert s.scalar(select(func.count(Subject.id))) == 2
        c3 = s.scalar(select(Subject.id).where(Subject.case_id == "C3"))
        assert s.scalar(select(func.count(SubjectQuery.id)).where(SubjectQuery.subject_id == c3)) == 1
        assert s.scalar(select(func.count()).select_from(SightingDecision)
                        .where(SightingDecision.subject_id == c3)) == 1
        stats = {(p.kind, p.camera_id): p.count for p in s.scalars(select(PurgeStat))}
    # held: old[1] (C3's) and old[0] (same camera, a day apart); the video they are in stays
    assert stats == {("tracks", "cam1"): 1, ("tracks", "cam2"): 1, ("cases", None): 1}
    assert store.count_tracks() == 4
    assert _rows(store, Track, filled["old"][:2]) == 2


def test_audit_entry_and_chain(store: Store, filled: dict[str, list[int]]) -> None:
    purge(store, now=NOW, user="dpo", orphan_grace_s=0)
    last = entries(store)[-1]
    assert last.action == "purge" and last.user == "dpo"
    assert last.detail_dict()["tracks"] == 4 and last.detail_dict()["videos"] == 1
    assert verify(store).ok


def test_orphan_thumbnails_and_old_clips_are_removed(store: Store,
                                                     filled: dict[str, list[int]]) -> None:
    orphan = store.evidence_dir / "thumbs" / "999" / "1_body_0.jpg"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"cache")
    clips = store.evidence_dir / "clips"
    old_clip, new_clip, cam2_clip = clips / "cam1" / "old.mp4", clips / "cam1" / "new.mp4", clips / "cam2" / "c.mp4"
    for path, days in ((old_clip, 31), (new_clip, 2), (cam2_clip, 60)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"clip")
        os.utime(path, (_ago(days), _ago(days)))
    report = purge(store, now=NOW, orphan_grace_s=0)
    assert report.orphan_files == 1 and report.clip_files == 1
    assert not orphan.exists() and not old_clip.exists()
    assert new_clip.exists() and cam2_clip.exists()  # cam2 keeps 90 days
    assert len(list(store.evidence_dir.rglob("*.jpg.sealed"))) == 2  # the recent tracks' thumbnails


def test_crash_mid_purge_is_completed_by_rerun(settings: Settings, store: Store,
                                               filled: dict[str, list[int]],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import epitrace.privacy.retention as retention

    calls = {"n": 0}

    def crash_after_commit(paths: object) -> int:
        calls["n"] += 1
        raise RuntimeError("power cut")  # the first batch is committed; its files not yet removed

    monkeypatch.setattr(retention, "unlink", crash_after_commit)
    with pytest.raises(RuntimeError):
        purge(store, now=NOW, batch_size=1, orphan_grace_s=0)
    assert store.count_tracks() == 5  # exactly one batch went
    monkeypatch.undo()

    again = open_store(settings)  # a restarted process
    report = purge(again, now=NOW, batch_size=1, orphan_grace_s=0)
    assert report.tracks == 3 and report.orphan_files == 1  # the crashed batch's file
    assert again.count_tracks() == 2
    assert _rows(again, Track, filled["old"]) == 0
    assert len(list(again.evidence_dir.rglob("*.jpg.sealed"))) == 2
    for kind in ("body", "face"):
        assert sorted(open_store(settings).index(kind).ids().tolist()) == sorted(filled["recent"])
    assert _marker_on_disk(settings) in (False, None)


def test_invalid_periods_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        purge(store, now=NOW, default_days=0)


def test_cli_dry_run_then_purge(settings: Settings, store: Store,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import typer
    from typer.testing import CliRunner

    from epitrace.cli.purge_cmd import purge as purge_cmd
    from epitrace.config import get_settings

    now = time.time()
    vid = _video(store, "cam1", now - 50 * DAY, "d")
    store.save_tracks(vid, [_record(0, now - 40 * DAY, 1), _record(1, now - DAY, 2)], 0, 0)
    app = typer.Typer()
    app.command()(purge_cmd)
    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        login_as(store, monkeypatch, "dpo", "admin")
        dry = CliRunner().invoke(app, ["--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would remove" in dry.output and "nothing was deleted" in dry.output
        assert store.count_tracks() == 2
        done = CliRunner().invoke(app, ["--days", "30"])
        assert done.exit_code == 0, done.output
        assert "purge done" in done.output
        assert store.count_tracks() == 1
    finally:
        get_settings.cache_clear()


def test_without_vacuum_secure_delete_still_leaves_no_marker(settings: Settings, store: Store,
                                                             filled: dict[str, list[int]]) -> None:
    if settings.database_url is not None:
        pytest.skip("probes SQLite's secure_delete in its file; PostgreSQL has no such setting")
    report = purge(store, now=NOW, vacuum=False, orphan_grace_s=0)
    assert report.tracks == 4 and not report.vacuumed
    assert _marker_on_disk(settings) is False


def test_scheduled_purge_runs_at_start_and_stops(settings: Settings, store: Store,
                                                 filled: dict[str, list[int]]) -> None:
    import time

    from epitrace.privacy.retention_schedule import start_retention_thread

    stop = start_retention_thread(settings, store, interval_s=0.2, clock=lambda: NOW)
    try:
        deadline = time.monotonic() + 30
        while _rows(store, Track, filled["old"]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _rows(store, Track, filled["old"]) == 0
        assert _rows(store, Track, filled["recent"]) == len(filled["recent"])
        time.sleep(0.5)  # later ticks run too, and find nothing more to do
    finally:
        stop()
    purges = [e for e in entries(store) if e.action == "purge"]
    assert len(purges) >= 2 and all(e.user == "system:retention" for e in purges)
    assert purges[0].detail_dict()["tracks"] == len(filled["old"])
    assert verify(store).ok


def test_uploaded_source_of_a_purged_video_is_deleted(settings: Settings, store: Store) -> None:
    uploads = settings.home / "uploads"
    old_file, new_file = uploads / "a1" / "old.avi", uploads / "b2" / "new.avi"
    outside = settings.home.parent / "camera-nas" / "old.avi"  # footage the system does not hold
    for path in (old_file, new_file, outside):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"video")
    for path, age, sha in ((old_file, 45, "e"), (new_file, 1, "f"), (outside, 45, "g")):
        store.create_video(Video(camera_id="cam1", path=str(path), sha256=sha * 64, start_ts=_ago(age),
                                 fps=7.0, analysed_fps=7.0, status="done", frames_total=100))
    report = purge(store, now=NOW, orphan_grace_s=0)
    assert report.videos == 2 and report.upload_files == 1
    assert not old_file.exists() and not old_file.parent.exists()
    assert new_file.exists() and outside.exists()


def test_stream_outage_records_expire_with_the_footage(store: Store) -> None:
    from epitrace.store.orm import StreamGap

    with store.db.session() as s:
        s.add_all([StreamGap(camera_id="cam1", url="rtsp://cam1/live", start_ts=_ago(45), end_ts=_ago(45) + 9,
                             reason="read timeout", attempts=3),
                   StreamGap(camera_id="cam2", url="rtsp://cam2/live", start_ts=_ago(45), end_ts=None,
                             reason="read timeout", attempts=1)])  # cam2 keeps 90 days
    assert purge(store, now=NOW).stream_gaps == 1
    with store.db.session() as s:
        assert [g.camera_id for g in s.scalars(select(StreamGap))] == ["cam2"]


def test_purge_needs_no_encryption_key(settings: Settings, store: Store, filled: dict[str, list[int]],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleting never decrypts: a purge run without the key (e.g. a key lost or withdrawn)
    still removes every expired row; the sealed face index is rebuilt from SQL when next used."""
    monkeypatch.delenv("EPITRACE_ENCRYPTION_KEY", raising=False)
    keyless = open_store(settings.model_copy(update={"encryption_key_file": settings.home / "no.key"}))
    purge(keyless, now=NOW)
    assert _rows(keyless, Track, filled["old"]) == 0 and _rows(keyless, Track, filled["recent"]) == 2
    assert set(store.index("face").ids().tolist()) == set(filled["recent"])
