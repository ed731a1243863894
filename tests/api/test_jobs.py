"""The ingest job queue: one job at a time, progress, cancel at the next frame, errors reported."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from epitrace.api.jobs import Job, JobManager

from .world import World


def _wait(job: Job, *states: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while job.status not in states:
        assert time.monotonic() < deadline, f"job stuck in {job.status}"
        time.sleep(0.01)


def _job(**kw: Any) -> Job:
    return Job(camera_id="a", source="/nowhere.avi", start=datetime(2026, 3, 2, tzinfo=UTC), created_by="ana", **kw)


def test_progress_cancel_and_failure(world: World) -> None:
    release = threading.Event()

    def runner(job: Job, progress: Callable[[int, int], None]) -> dict[str, Any]:
        if job.max_frames == 1:
            raise ValueError("not a readable video")
        for frame in range(1000):
            progress(frame + 1, 1000)
            if frame == 9:
                release.wait(5)
        return {"tracks_added": 3}

    manager = JobManager(world.settings, world.store, runner=runner)
    first, queued, broken = _job(), _job(), _job(max_frames=1)
    for job in (first, queued, broken):
        manager.submit(job)
    _wait(first, "running")
    time.sleep(0.05)
    assert queued.status == "queued"  # one job at a time
    assert manager.cancel(queued.id).status == "cancelled"  # a queued job never starts
    assert first.frames_done == 10 and 0 < first.progress < 1
    manager.cancel(first.id)
    release.set()
    _wait(first, "cancelled")
    assert first.frames_done == 11  # stopped at the very next frame
    _wait(broken, "failed")
    assert broken.error == "not a readable video"
    ok = manager.submit(_job())
    _wait(ok, "done")
    assert ok.result == {"tracks_added": 3} and ok.progress == 1.0
    manager.shutdown()
