"""Live streams from real servers on loopback, fed from vtest.avi: an HTTP MPEG-TS stream served by
ffmpeg (killed and restarted mid-stream) and an RTSP stream from a small Python RTSP server (frozen
with SIGSTOP, so only time-outs can notice). Each drop must end in a recorded gap, with tracks
stored before and after it, and the reader must reconnect with back-off.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from epitrace.config import Settings
from epitrace.ingest import CameraConfig, register_camera
from epitrace.ingest.service import open_pipeline
from epitrace.ingest.stream import StreamOptions, StreamResult, ingest_stream, list_gaps
from tests_paths import PETS_VIDEO

pytestmark = [pytest.mark.slow, pytest.mark.models]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Frames 0-299 of vtest.avi as H.264 (key frame every second) in MPEG-TS and MP4."""
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    if shutil.which("ffmpeg") is None:
        pytest.fail("ffmpeg is needed (apt-get install -y ffmpeg)")
    folder = tmp_path_factory.mktemp("media")
    for name in ("pets.ts", "pets.mp4"):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(PETS_VIDEO), "-frames:v", "300", "-c:v", "libx264",
                        "-preset", "veryfast", "-g", "10", "-bf", "0", str(folder / name)], check=True)
    return folder


@pytest.fixture()
def live_settings(settings: Settings) -> Settings:
    """3 analysed frames a second: enough for tracks, light on a 2-core machine."""
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"analysed_fps": 3.0})})


class Server:
    """A stream server subprocess that can be killed, frozen and restarted."""

    def __init__(self, cmd: list[str]) -> None:
        self.cmd = cmd
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)


@pytest.fixture()
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        with_signal = server.proc is not None and server.proc.poll() is None
        if with_signal:
            server.signal(signal.SIGCONT)
        server.kill()


def _after(delay: float, action, stamps: dict[str, float], name: str) -> None:  # type: ignore[no-untyped-def]
    def run() -> None:
        time.sleep(delay)
        stamps[name] = time.time()
        action()
    threading.Thread(target=run, daemon=True).start()


def _gaps(home: Path) -> list[tuple[float, float | None, str, int]]:
    with sqlite3.connect(home / "epitrace.db") as con:
        return con.execute("SELECT start_ts, end_ts, reason, attempts FROM stream_gaps ORDER BY id").fetchall()


def _tracks(home: Path, video_id: int) -> list[tuple[float, float]]:
    with sqlite3.connect(home / "epitrace.db") as con:
        return con.execute("SELECT start_ts, end_ts FROM tracks WHERE video_id = ?", (video_id,)).fetchall()


def _check_gap_splits_tracks(home: Path, result: StreamResult) -> tuple[float, float]:
    """One closed gap; tracks stored on both sides of it, none inside it."""
    [(start, end, reason, attempts)] = _gaps(home)
    assert end is not None and end > start and reason
    before, after = result.segments[0], result.segments[-1]
    assert before.tracks_added > 0 and after.tracks_added > 0, result.segments
    assert all(t_end <= start + 1e-6 for _, t_end in _tracks(home, before.video_id))
    assert all(t_start >= end - 1e-6 for t_start, _ in _tracks(home, after.video_id))
    return start, end


def test_http_stream_killed_and_restarted_leaves_a_recorded_gap(
        live_settings: Settings, media: Path, servers: list[Server], caplog: pytest.LogCaptureFixture) -> None:
    store, pipeline = open_pipeline(live_settings)
    register_camera(store, CameraConfig(id="gate"))
    url = f"http://127.0.0.1:{_free_port()}/live.ts"
    server = Server(["ffmpeg", "-v", "error", "-re", "-i", str(media / "pets.ts"), "-c", "copy",
                     "-f", "mpegts", "-listen", "1", url])
    servers.append(server)
    stamps: dict[str, float] = {}
    _after(10, server.kill, stamps, "killed")
    _after(14, server.start, stamps, "restarted")
    options = StreamOptions(open_timeout_s=3, read_timeout_s=3, backoff_max_s=2, max_seconds=26)
    caplog.set_level(logging.INFO, logger="epitrace.ingest")
    result = ingest_stream(store, pipeline, url, "gate", options=options)
    start, end = _check_gap_splits_tracks(live_settings.home, result)
    assert abs(start - stamps["killed"]) < 2.5  # the gap starts where the stream stopped ...
    assert stamps["restarted"] <= end < stamps["restarted"] + 6  # ... and ends once it is back
    messages = [r.getMessage() for r in caplog.records]
    dropped = next(i for i, m in enumerate(messages) if "dropped" in m)
    waits = [m.rsplit("next in ", 1)[1] for m in messages[dropped:] if "next in" in m]
    assert waits[:3] == ["0.5 s", "1.0 s", "2.0 s"], waits  # back-off after the drop, capped at 2 s here
    [gap] = list_gaps(store, "gate")
    assert gap.attempts >= 3 and gap.url == url


def test_rtsp_stream_frozen_server_times_out_and_reconnects(
        live_settings: Settings, media: Path, servers: list[Server]) -> None:
    pytest.importorskip("aio_rtsp_toolkit")
    store, pipeline = open_pipeline(live_settings)
    register_camera(store, CameraConfig(id="hall"))
    port = _free_port()
    code = f"import asyncio, aio_rtsp_toolkit.server as s; asyncio.run(s.serve({str(media)!r}, '127.0.0.1', {port}))"
    server = Server([sys.executable, "-c", code])
    servers.append(server)
    time.sleep(1.0)  # let it bind
    stamps: dict[str, float] = {}
    _after(10, lambda: server.signal(signal.SIGSTOP), stamps, "frozen")
    _after(15, lambda: server.signal(signal.SIGCONT), stamps, "thawed")
    options = StreamOptions(open_timeout_s=2, read_timeout_s=2, backoff_max_s=1, max_seconds=28)
    t0 = time.time()
    result = ingest_stream(store, pipeline, f"rtsp://127.0.0.1:{port}/pets.mp4", "hall", options=options)
    assert time.time() - t0 < 28 + 30  # nothing hung (the rest is finishing the queued frames)
    start, end = _check_gap_splits_tracks(live_settings.home, result)
    assert start < stamps["frozen"] + 1 and end > stamps["thawed"]


def test_stream_that_never_connects_says_what_to_do(settings: Settings) -> None:
    from epitrace.ingest.stream import StreamError

    store, pipeline = open_pipeline(settings)
    register_camera(store, CameraConfig(id="door"))
    options = StreamOptions(first_attempts=2, open_timeout_s=1, backoff_initial_s=0.1)
    t0 = time.time()
    with pytest.raises(StreamError, match="no video after 2 tries.*reachable") as err:
        ingest_stream(store, pipeline, f"rtsp://user:s3cret@127.0.0.1:{_free_port()}/x", "door", options=options)
    assert time.time() - t0 < 10
    assert "s3cret" not in str(err.value)  # credentials never echoed
    assert not _gaps(settings.home)
