"""Browser-test fixtures: artefact folder, the PETS piece, the live server, Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .server import CHROMIUM, CHROMIUM_ARGS, LiveServer, cut_video, start_server

REPO = Path(__file__).resolve().parents[2]
PETS_FRAMES = 200  # ~29 s of PETS S2L1 at 7 frames/s: a busy square, ingested in ~20 s


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots and downloads for people to look at (CI keeps the folder)."""
    path = Path(os.environ.get("EPITRACE_ARTIFACTS", REPO / "artifacts")) / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def pets_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_data / "pets2009_s2l1" / "video" / "vtest.avi"
    if not source.exists():
        pytest.skip(f"no PETS footage at {source}")
    return cut_video(source, tmp_path_factory.mktemp("pets") / "pets_s2l1_first200.avi", PETS_FRAMES)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, models_dir: Path, artifacts: Path) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("serve") / "home", models_dir, artifacts / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make system-deps)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
