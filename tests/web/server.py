"""A real `epitrace serve` on loopback for browser tests: its own home, users and the PETS camera."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import av
import httpx

from cli_login import PASSWORD
from epitrace.config import Settings

CHROMIUM = "/usr/bin/chromium"
CAMERA_ZONE = "Asia/Seoul"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def cut_video(source: Path, out: Path, frames: int) -> Path:
    """The first `frames` frames of `source`, re-encoded (MPEG-4 in AVI) at its frame rate."""
    with av.open(str(source)) as src, av.open(str(out), "w") as dst:
        stream_in = src.streams.video[0]
        stream = dst.add_stream("mpeg4", rate=stream_in.average_rate)
        stream.width, stream.height, stream.pix_fmt = stream_in.width, stream_in.height, "yuv420p"
        stream.bit_rate = 4_000_000
        for n, frame in enumerate(src.decode(stream_in)):
            if n >= frames:
                break
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame.to_ndarray(format="bgr24"), format="bgr24")):
                dst.mux(packet)
        for packet in stream.encode():
            dst.mux(packet)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    home: Path
    settings: Settings
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def prepare_home(home: Path, models_dir: Path) -> Settings:
    """Users (investigator, auditor, supervisor, admin) and the demo cameras, as an administrator would."""
    from epitrace.cli.demo_cmd import demo_cameras_yaml
    from epitrace.ingest import load_cameras_yaml, register_camera
    from epitrace.privacy.users import add_user
    from epitrace.store import open_store

    settings = Settings(home=home, models_path=models_dir)
    store = open_store(settings)
    for cfg in load_cameras_yaml(demo_cameras_yaml()):
        # Seoul's clock (UTC+9), so that a local time can be told from UTC on every page.
        register_camera(store, cfg.model_copy(update={"timezone": CAMERA_ZONE}))
    add_user(store, name="ana", password=PASSWORD, role="investigator", by="test")
    add_user(store, name="aud", password=PASSWORD, role="auditor", by="test")
    add_user(store, name="sue", password=PASSWORD, role="supervisor", by="test")
    add_user(store, name="adm", password=PASSWORD, role="admin", by="test")
    store.db.dispose()
    return settings


def start_server(home: Path, models_dir: Path, log: Path, timeout_s: float = 90.0) -> LiveServer:
    """`python -m epitrace serve` on a free loopback port, once /api/health answers."""
    settings = prepare_home(home, models_dir)
    port = free_port()
    env = {**os.environ, "EPITRACE_HOME": str(home), "EPITRACE_MODELS_PATH": str(models_dir)}
    env.pop("EPITRACE_DATABASE_URL", None)
    out = log.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "epitrace", "serve", "--port", str(port)], env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"epitrace serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                return LiveServer(url, home, settings, process, log)
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"epitrace serve did not answer within {timeout_s} s:\n{log.read_text()[-3000:]}")
