"""The CLI shows a sighting's time in its camera's zone, as the contacts table does.

The finding (2026-12-06): `case trace`, `case describe` and `case route` printed times in the
computer's zone ("09:00:05 UTC" on a server) while `case contacts` printed the camera's ("18:00:05
KST"), so one case showed two clocks; `route` even said "in each camera's local time".
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_login import cheap_argon2
from epitrace.cli.main import app as cli_app
from epitrace.config import get_settings
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import get_user

pytest.importorskip("argon2")
from api.world import World, build_world  # noqa: E402


@pytest.fixture
def utc_host() -> Iterator[None]:
    """This computer's zone is UTC, the cameras' Asia/Seoul: the two clocks differ by 9 h."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, utc_host: None) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path / "home")
    for cam in ("a", "b"):
        camera = w.store.get_camera(cam)
        camera.timezone = "Asia/Seoul"
        w.store.upsert_camera(camera)
    monkeypatch.setenv("EPITRACE_HOME", str(w.settings.home))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(w.settings.models_dir))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(w.store, user=get_user(w.store, name="ana")))
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    with cheap_argon2():
        yield w


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli_app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", ["trace", "route"])
def test_sighting_times_are_in_the_camera_zone(world: World, command: str) -> None:
    extra = ["--subject", str(world.subject_a)] if command == "route" else []
    out = _run("case", command, world.case_a, *extra)
    assert "KST" in out and "UTC" not in out, out
    assert "18:00:" in out, out  # T0 is 09:00 UTC: 18:00 in Seoul
