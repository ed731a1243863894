"""Ingest on real PETS footage: idempotence, resume after a kill, bad inputs, tracking quality."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from epitrace.config import Settings
from epitrace.evaluation.tracking_run import run_tracking_eval
from epitrace.ingest import CameraConfig, register_camera
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.media import VideoError
from tests_paths import PETS, PETS_GT, PETS_VIDEO

pytestmark = [pytest.mark.slow, pytest.mark.models]
START = datetime(2009, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 frames of vtest.avi re-encoded (a short but real clip)."""
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    out = tmp_path_factory.mktemp("clip") / "pets300.avi"
    cap = cv2.VideoCapture(str(PETS_VIDEO))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 7, (768, 576))
    for _ in range(300):
        ok, frame = cap.read()
        assert ok
        writer.write(frame)
    writer.release()
    return out


def _calibrated_camera(store) -> None:  # type: ignore[no-untyped-def]
    xml = PETS / "calibration" / "View_001.xml"
    register_camera(store, CameraConfig(id="pets", fps=7, calibration={"type": "tsai_xml", "path": str(xml)}))


def _tracks(db: Path) -> list[tuple[int, int, int]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT id, start_frame, end_frame FROM tracks ORDER BY id").fetchall()


def _no_duplicates(db: Path) -> None:
    """No two tracks cover the same frame with nearly the same box."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT a.track_id, b.track_id FROM track_points a JOIN track_points b "
                           "ON a.frame = b.frame AND a.track_id < b.track_id "
                           "WHERE abs(a.x1 - b.x1) < 2 AND abs(a.y1 - b.y1) < 2 "
                           "AND abs(a.x2 - b.x2) < 2 AND abs(a.y2 - b.y2) < 2").fetchall()
    assert not rows, f"duplicated boxes in tracks {sorted(set(rows))[:5]}"


def test_ingest_is_idempotent(settings: Settings, clip: Path) -> None:
    store, pipeline = open_pipeline(settings)
    _calibrated_camera(store)
    first = ingest_file(store, pipeline, clip, "pets", START)
    assert not first.skipped and first.tracks_added >= 5
    again = ingest_file(store, pipeline, clip, "pets", START)
    assert again.skipped and store.count_tracks() == first.tracks_added
    points = store.video_points(first.video_id)
    assert points and all(f < 300 for _, f, *_ in points)
    summary = store.summary("pets")
    assert summary["with_ground"] == summary["tracks"]  # calibrated: every track has metres
    assert summary["faces"] == 0 and summary["small_faces"] > 0  # PETS faces are 5-10 px: seen, never compared


def test_killed_ingest_resumes_without_duplicates(settings: Settings, clip: Path) -> None:
    """F12: kill -9 mid-ingest: the video is marked interrupted and `ingest --resume ID` ends it, no duplicates."""
    store, _ = open_pipeline(settings)
    _calibrated_camera(store)
    env = {**os.environ, "EPITRACE_HOME": str(settings.home), "EPITRACE_MODELS_PATH": str(settings.models_dir),
           "EPITRACE_INGEST__CHECKPOINT_FRAMES": "10", "EPITRACE_INGEST__CUT_S": "4"}
    cmd = [sys.executable, "-m", "epitrace.cli.main", "ingest", str(clip), "--camera", "pets",
           "--start", START.isoformat()]
    db = settings.home / "epitrace.db"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        with sqlite3.connect(db) as con:
            row = con.execute("SELECT resume_frame FROM videos").fetchone()
        if row and row[0] > 0 and _tracks(db):
            break
        time.sleep(0.2)
    assert proc.poll() is None, "ingest ended before it could be killed; make the clip longer"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _tracks(db)
    with sqlite3.connect(db) as con:
        status, resume = con.execute("SELECT status, resume_frame FROM videos").fetchone()
    assert status == "running" and 0 < resume < 300 and before
    # F12 (issue 12): the killed process's video is found on start, marked interrupted and resumed by id
    from epitrace.app.ingest_recovery import mark_interrupted, stalled_videos

    (video_id,) = mark_interrupted(settings, store)
    assert [v.status for v in stalled_videos(store)] == ["interrupted"]
    cmd = [sys.executable, "-m", "epitrace.cli.main", "ingest", "--resume", str(video_id)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"resumed at frame {resume}" in done.stdout.replace("\n", " ")
    after = _tracks(db)
    assert set(before) <= set(after), "tracks committed before the kill were lost"
    _no_duplicates(db)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT status FROM videos").fetchone()[0] == "done"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a video at all\n" * 100, "not a readable video"),  # text renamed .avi
        (b"", "not a readable video"),  # empty file
        (b"RIFF\x00\x00\x00\x00AVI LIST" + os.urandom(4000), "no video stream|not a readable"),  # corrupt
    ],
)
def test_bad_files_get_a_clear_error(settings: Settings, tmp_path: Path, content: bytes, message: str) -> None:
    store, pipeline = open_pipeline(settings)
    _calibrated_camera(store)
    bad = tmp_path / "bad.avi"
    bad.write_bytes(content)
    with pytest.raises(VideoError, match=message):
        ingest_file(store, pipeline, bad, "pets", START)
    assert store.count_tracks() == 0


def test_truncated_file_keeps_what_was_decoded(settings: Settings, clip: Path, tmp_path: Path) -> None:
    store, pipeline = open_pipeline(settings)
    _calibrated_camera(store)
    good = ingest_file(store, pipeline, clip, "pets", START)
    cut = tmp_path / "cut.avi"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(VideoError, match="truncated"):
        ingest_file(store, pipeline, cut, "pets", START)
    assert store.count_tracks() > good.tracks_added  # the decoded half was indexed, nothing lost


@pytest.mark.parametrize("detector", ["centernet", "nanodet-int8"])
def test_tracking_quality_on_pets(settings: Settings, detector: str) -> None:
    """Full pipeline on PETS S2L1 frames 1-400 (issue: IDF1 >= 0.80 and MOTA >= 0.80).

    Measured at commit time: centernet MOTA 0.828 / IDF1 0.838; nanodet-int8 (the default: score 0.4,
    the tracker's low-box gate and crossing repair) 0.859 / 0.870 (0.808 without the repair). IDF1
    turns on one or two identity swaps (one box for two crossing people).
    """
    ingest = settings.ingest.model_copy(update={"person_detector": detector})
    scores, result = run_tracking_eval(PETS_VIDEO, PETS_GT, settings.model_copy(update={"ingest": ingest}),
                                       (1, 400), 7.0)
    assert result.frames_analysed == 400
    assert scores.mota >= 0.80, scores
    assert scores.idf1 >= 0.80, scores
    assert np.isfinite(scores.hota) and scores.hota >= 0.55


def test_an_empty_run_does_not_block_a_correct_one(settings: Settings, clip: Path) -> None:
    """F13: fps=5e-324 stored 0 tracks, marked the video done and blocked a correct re-ingest.

    The fps is now refused, and a finished video without tracks (as that bug left it) is redone.
    """
    from epitrace.media import file_sha256
    from epitrace.store import Video

    store, pipeline = open_pipeline(settings)
    _calibrated_camera(store)
    register_camera(store, CameraConfig(id="raw"))  # no fps override: the request's fps counts
    with pytest.raises(VideoError, match="outside 0.1-240"):
        ingest_file(store, pipeline, clip, "raw", START, 5e-324)
    vid = store.create_video(Video(camera_id="pets", path=str(clip), sha256=file_sha256(clip),
                                   start_ts=START.timestamp(), fps=5e-324, analysed_fps=3, frames_total=300))
    store.finish_video(vid, 300, 0)  # what the bug left: done, no tracks
    again = ingest_file(store, pipeline, clip, "pets", START)
    assert not again.skipped and again.video_id == vid and again.tracks_added >= 5
    assert store.video_state(vid).status == "done"
