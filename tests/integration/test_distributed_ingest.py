"""Ray ingest on a real local Ray (2 CPUs, 2 workers) against the in-process runner.

"Same sightings" here means identical stored rows: every track's local id, frame range,
mask state and face flag, every point's frame and box (to 0.01 px) and ground position (to
1 mm), and body vectors (cosine > 0.9999). Chunks are the pipeline's own cut segments (50
frames here), so both runners cut tracks at the same frames by construction.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from epitrace.config import Settings
from epitrace.ingest import CameraConfig, ChunkEvent, ingest_with_ray, register_camera
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.store import open_store
from tests_paths import PETS, PETS_VIDEO

pytestmark = [pytest.mark.slow, pytest.mark.models]
START = datetime(2009, 3, 1, 9, 0, tzinfo=UTC)
FRAMES = 200  # frames 0-199 of vtest.avi
CUT_S = 50 / 7  # 50-frame cut segments (chunks) at 7 fps: 4 chunks


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 0-199 of vtest.avi as H.264 with a key frame every 30 frames and B-frames, so chunk
    workers really seek (to frames 30, 90, 150) while the in-process runner decodes through."""
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed (apt-get install -y ffmpeg)")
    out = tmp_path_factory.mktemp("clip") / "pets200.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(PETS_VIDEO), "-frames:v", str(FRAMES),
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-g", "30", "-bf", "2",
                    str(out)], check=True)
    return out


def _settings(root: Path, models: Path) -> Settings:
    s = Settings(home=root, models_path=models)
    return s.model_copy(update={"ingest": s.ingest.model_copy(update={"cut_s": CUT_S})})


def _camera(settings: Settings) -> None:
    xml = PETS / "calibration" / "View_001.xml"
    register_camera(open_store(settings), CameraConfig(
        id="pets", fps=7, calibration={"type": "tsai_xml", "path": str(xml)}))


def _rows(home: Path) -> tuple[list[tuple], list[tuple], dict[int, np.ndarray]]:
    with sqlite3.connect(home / "epitrace.db") as con:
        tracks = con.execute("SELECT local_id, start_frame, end_frame, n_points, mask_state, has_face "
                             "FROM tracks ORDER BY local_id, start_frame").fetchall()
        points = con.execute(
            "SELECT t.local_id, p.frame, round(p.x1, 2), round(p.y1, 2), round(p.x2, 2), round(p.y2, 2), "
            "round(p.ground_x, 3), round(p.ground_y, 3) FROM track_points p JOIN tracks t ON t.id = p.track_id "
            "ORDER BY t.local_id, p.frame").fetchall()
        vectors = {(lid, sf): np.frombuffer(v, np.float32) for lid, sf, v in con.execute(
            "SELECT t.local_id, t.start_frame, v.vector FROM track_vectors v JOIN tracks t ON t.id = v.track_id "
            "WHERE v.kind = 'body'")}
    return tracks, points, vectors


def _assert_same(a: Path, b: Path) -> None:
    tracks_a, points_a, vec_a = _rows(a)
    tracks_b, points_b, vec_b = _rows(b)
    assert tracks_a == tracks_b
    assert points_a == points_b
    assert vec_a.keys() == vec_b.keys()
    assert all(float(vec_a[k] @ vec_b[k]) > 0.9999 for k in vec_a)


@pytest.fixture(scope="module")
def reference(clip: Path, models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The in-process ingest of the clip (the baseline both Ray runs must reproduce)."""
    settings = _settings(tmp_path_factory.mktemp("inproc"), models_dir)
    _camera(settings)
    store, pipeline = open_pipeline(settings)
    t0 = time.perf_counter()
    result = ingest_file(store, pipeline, clip, "pets", START)
    print(f"in-process: {result.tracks_added} tracks in {time.perf_counter() - t0:.1f} s")  # noqa: T201
    assert result.frames_analysed == FRAMES and result.tracks_added >= 8
    return settings.home


@pytest.fixture(scope="module")
def local_ray() -> object:
    """A local Ray of 2 CPUs for the module (ingest_with_ray joins it instead of starting one)."""
    ray = pytest.importorskip("ray")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_ray_ingest_stores_the_same_sightings(clip: Path, reference: Path, local_ray: object,
                                              models_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "ray", models_dir)
    _camera(settings)
    events: list[ChunkEvent] = []
    t0 = time.perf_counter()
    [result] = ingest_with_ray(settings, [clip], "pets", START, workers=2, on_event=events.append)
    print(f"ray, 2 workers: {result.tracks_added} tracks in {time.perf_counter() - t0:.1f} s")  # noqa: T201
    assert result.frames_analysed == FRAMES
    assert sorted(e.chunk.start for e in events if e.kind == "done") == [0, 50, 100, 150]
    assert len({e.pid for e in events if e.kind == "done"}) == 2  # both workers took chunks
    _assert_same(reference, settings.home)
    again = ingest_with_ray(settings, [clip], "pets", START, workers=2)
    assert again[0].skipped  # idempotent: keyed by camera + sha256


def test_killed_worker_chunk_is_redone_once(clip: Path, reference: Path, local_ray: object,
                                            models_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "ray-kill", models_dir)
    _camera(settings)
    events: list[ChunkEvent] = []
    killed: list[ChunkEvent] = []

    def kill_mid_chunk(event: ChunkEvent) -> None:
        events.append(event)
        if event.kind == "started" and event.chunk.start == 100 and not killed:
            killed.append(event)
            # at once, not after a delay: a chunk takes under a second on a quiet host, so a timer raced
            # the chunk's end. Only finished chunks are stored (by the driver), so a worker killed as it
            # takes the chunk loses exactly what one killed halfway does.
            os.kill(event.pid, signal.SIGKILL)

    [result] = ingest_with_ray(settings, [clip], "pets", START, workers=2, on_event=kill_mid_chunk)
    kinds = [(e.kind, e.chunk.start) for e in events]
    assert killed and ("retry", 100) in kinds, kinds
    assert kinds.index(("retry", 100)) < kinds.index(("done", 100))  # killed before it finished
    assert kinds.count(("done", 100)) == 1
    assert result.frames_analysed == FRAMES  # each chunk counted once
    _assert_same(reference, settings.home)  # nothing lost, nothing duplicated


def test_ray_resumes_a_video_the_in_process_runner_left_half_done(
        clip: Path, reference: Path, local_ray: object, models_dir: Path, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "resume", models_dir)
    _camera(settings)
    store, pipeline = open_pipeline(settings)
    first = ingest_file(store, pipeline, clip, "pets", START, stop_after_frames=120)  # stopped mid-chunk
    assert store.video_state(first.video_id).resume_frame == 120
    events: list[ChunkEvent] = []
    [result] = ingest_with_ray(settings, [clip], "pets", START, workers=2, on_event=events.append)
    assert result.resumed_from == 100  # the start of the cut segment holding frame 120
    assert sorted(e.chunk.start for e in events if e.kind == "done") == [100, 150]
    _assert_same(reference, settings.home)  # the half-done chunk was redone, nothing doubled


def test_unreachable_ray_address_says_what_to_do(tmp_path: Path, models_dir: Path) -> None:
    from epitrace.ingest.distributed import RayUnavailableError, connect

    pytest.importorskip("ray")
    with pytest.raises(RayUnavailableError, match="ray start --head"):
        connect("127.0.0.1:1")


def test_server_ingest_jobs_run_on_ray(clip: Path, reference: Path, local_ray: object,
                                       models_dir: Path, tmp_path: Path) -> None:
    """`epitrace serve --ray local`: an ingest job of the web app runs on the Ray workers."""
    from epitrace.api.jobs import Job, JobManager

    settings = _settings(tmp_path / "served", models_dir)
    _camera(settings)
    manager = JobManager(settings, open_store(settings), ray_address="local")
    job = manager.submit(Job(camera_id="pets", source=str(clip), start=START, created_by="ana"))
    deadline = time.monotonic() + 600
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
    manager.shutdown()
    assert job.status == "done", job.error
    assert job.result is not None and job.result["ray"] == "local" and job.progress == 1.0
    _assert_same(reference, settings.home)
