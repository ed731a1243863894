"""The CLI shows a sighting's time in its camera's zone with the zone named, as `case contacts` does.

Found 2026-12-06 on the demo: `sightings`, `case trace`, `case describe` and `case route` printed
times in the computer's zone ("09:00:05 UTC" on a server) while `case contacts` printed the
camera's ("18:00:05 KST"), so one case showed two clocks; `route` even said "in each camera's local
time". `sightings` also printed "no_mask".
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
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """A UTC computer, Seoul cameras: the two clocks differ by 9 h."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    with cheap_argon2():
        w = build_world(tmp_path / "home")
    for cam in ("a", "b"):
        camera = w.store.get_camera(cam)
        camera.timezone = "Asia/Seoul"
        w.store.upsert_camera(camera)
    monkeypatch.setenv("EPITRACE_HOME", str(w.settings.home))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(w.settings.models_dir))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(w.store, user=get_user(w.store, name="ana")))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    with cheap_argon2():
        yield w
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_sightings_are_listed_in_the_camera_clock(world: World) -> None:
    result = CliRunner().invoke(cli_app, ["sightings", "--case", world.case_a])
    assert result.exit_code == 0, result.output
    assert "KST" in result.output and "UTC" not in result.output, result.output
    assert "18:00:" in result.output, result.output  # the world's T0 is 09:00 UTC: 18:00 in Seoul
    assert "no_mask" not in result.output


def test_a_time_without_a_zone_is_refused_by_the_option_typed(world: World) -> None:
    """The error said '--start' whatever the option: a tracer typing --from looked for a --start."""
    result = CliRunner().invoke(cli_app, ["sightings", "--case", world.case_a, "--from", "2026-12-05T09:00:00"])
    assert result.exit_code == 2, result.output
    assert "--from '2026-12-05T09:00:00' has no time zone" in result.output and "--start" not in result.output


@pytest.mark.parametrize("command", ["trace", "route"])
def test_case_tables_are_in_the_camera_clock(world: World, command: str) -> None:
    extra = ["--subject", str(world.subject_a)] if command == "route" else []
    result = CliRunner().invoke(cli_app, ["case", command, world.case_a, *extra])
    assert result.exit_code == 0, result.output
    assert "KST" in result.output and "UTC" not in result.output, result.output
    assert "18:00:" in result.output, result.output
