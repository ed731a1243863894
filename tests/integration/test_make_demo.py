"""`make demo`, the README's first command, works: its footage is not refused and the demo job runs.

The finding (2026-12-06): `make demo` fetched the footage into `$(EPITRACE_HOME)/demo/`, and
ingest refuses any path inside EpiTrace's home (issue 12 F4), so the quick start stopped at
"an ingest path may not lie inside EpiTrace's home". No test ran the demo the way make does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import installed_models_dir
from epitrace.app.ingest_rules import refuse_store_path
from epitrace.config import Settings
from tests_paths import PETS_VIDEO

REPO = Path(__file__).resolve().parents[2]


def _make_value(name: str, home: Path) -> str:
    if shutil.which("make") is None:
        pytest.fail("make is needed (apt-get install -y make)")
    env = {**os.environ, "EPITRACE_HOME": str(home)}
    out = subprocess.run(["make", "-s", "--no-print-directory", f"print-{name}"], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_demo_footage_is_not_inside_the_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    video = _make_value("DEMO_VIDEO", home)
    assert video and Path(video).is_absolute()
    refuse_store_path(video, Settings(home=home))  # raises StorePathRefused if ingest would refuse it


def test_the_old_place_is_refused(tmp_path: Path) -> None:
    """The check above can fail: the footage's old place, inside the home, is refused."""
    from epitrace.app.ingest_rules import StorePathRefused

    home = tmp_path / "home"
    with pytest.raises(StorePathRefused):
        refuse_store_path(home / "demo" / "vtest.avi", Settings(home=home))


@pytest.mark.slow
@pytest.mark.models
def test_epitrace_demo_runs_on_a_fresh_home(tmp_path: Path) -> None:
    """The demo job as `make demo` runs it (keys, then `epitrace demo --video`), on a new home."""
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    env = {**os.environ, "EPITRACE_HOME": str(tmp_path / "home"),
           "EPITRACE_MODELS_PATH": str(installed_models_dir())}
    for key in ("EPITRACE_DATABASE_URL", "EPITRACE_TOKEN"):
        env.pop(key, None)

    def epitrace(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "epitrace", *args], env=env, capture_output=True,
                              text=True, timeout=900)

    keys = epitrace("keys", "init", "--if-missing")
    assert keys.returncode == 0, keys.stdout + keys.stderr
    demo = epitrace("demo", "--video", str(PETS_VIDEO))
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "demo case" in demo.stdout and "faces found" in demo.stdout, demo.stdout
