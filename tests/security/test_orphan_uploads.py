"""Retention reaches uploaded footage that never became a video row.

As found: purge removed an uploaded file only when a purged video row named it or had its sha256.
An upload whose job never created a row (cancelled while queued, a server restart losing the
in-memory queue, a job that failed before its first commit) was raw, unredacted footage kept for
ever under the upload folder, outside every retention period. Now such a file goes once it is
older than the default retention period; files a video still names or matches stay.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from epitrace.config import Settings
from epitrace.privacy.retention import purge
from epitrace.store import Camera, Video, open_store

NOW = datetime.now(UTC)


def _file(path: Path, content: bytes, age_days: float) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    when = (NOW - timedelta(days=age_days)).timestamp()
    os.utime(path, (when, when))
    return path


def test_an_upload_no_video_names_is_purged_after_the_period(tmp_path: Path) -> None:
    store = open_store(Settings(home=tmp_path / "home"))
    store.upsert_camera(Camera(id="cam1", name="Lobby", place="", latitude=None, longitude=None, calibration=None))
    uploads = tmp_path / "uploads"
    orphan = _file(uploads / "a1" / "cancelled.avi", b"raw footage, never ingested", 45)
    fresh = _file(uploads / "b2" / "queued.avi", b"raw footage, still queued", 1)
    named = _file(uploads / "c3" / "ingested.avi", b"footage a video row names", 45)
    copy = _file(uploads / "d4" / "copy.avi", b"footage a video row names", 45)  # same bytes as `named`
    from epitrace.media import file_sha256

    store.create_video(Video(camera_id="cam1", path=str(named), sha256=file_sha256(named),
                             start_ts=(NOW - timedelta(days=2)).timestamp(), fps=7.0, analysed_fps=7.0,
                             status="done", frames_total=100))
    dry = purge(store, now=NOW, default_days=30, upload_dirs=[uploads], dry_run=True)
    assert dry.upload_files == 1 and orphan.exists()
    report = purge(store, now=NOW, default_days=30, upload_dirs=[uploads])
    assert not orphan.exists() and not orphan.parent.exists()
    assert fresh.exists() and named.exists() and copy.exists()
    assert report.upload_files == 1
