"""The web app's ingest job on a live stream: runs beside file jobs until cancelled, stores what
it saw (a real HTTP stream served by ffmpeg on loopback from vtest.avi)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from test_stream_ingest import Server, _free_port, media, servers  # noqa: F401, F811 (fixtures)

from epitrace.api.jobs import Job, JobManager
from epitrace.config import Settings
from epitrace.ingest import CameraConfig, register_camera
from epitrace.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.models]


def test_stream_job_runs_until_cancelled_and_keeps_what_it_saw(  # noqa: F811 (fixtures)
        settings: Settings, media: Path, servers: list[Server]) -> None:  # noqa: F811
    live = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"analysed_fps": 3.0})})
    store = open_store(live)
    register_camera(store, CameraConfig(id="gate"))
    url = f"http://127.0.0.1:{_free_port()}/live.ts"
    servers.append(Server(["ffmpeg", "-v", "error", "-re", "-i", str(media / "pets.ts"), "-c", "copy",
                           "-f", "mpegts", "-listen", "1", url]))
    time.sleep(1.0)
    manager = JobManager(live, store)
    job = manager.submit(Job(camera_id="gate", source=url, url=url, start=datetime.now(UTC), created_by="root"))
    deadline = time.monotonic() + 120
    while job.frames_done < 15 and job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert job.status == "running" and job.frames_done >= 15, (job.status, job.error)
    manager.cancel(job.id)
    while job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    manager.shutdown()
    assert job.status == "done", job.error
    assert job.result is not None and job.result["stopped"] and job.result["segments"] >= 1
    assert job.result["tracks_added"] > 0 and store.count_tracks() == job.result["tracks_added"]
