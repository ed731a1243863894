"""The camera registry (places, positions, calibrations) is read by the same people on both front ends.

As found (AUDIT, 2026-12-06): `GET /api/cameras` required case staff or an operator, but the role
check lived in the API route only: `epitrace cameras list` and `cameras check` opened the store
and printed every camera to anyone who could run the CLI, logged in or not, on a system with
accounts. The rule now lives in `app.cameras` (CAMERA_READERS, require_camera_reader) and both
front ends go through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_login import cheap_argon2
from epitrace.app.ingest_cameras import add_camera
from epitrace.cli.main import app
from epitrace.config import Settings, get_settings
from epitrace.ingest import CameraConfig
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import add_user, get_user
from epitrace.store import open_store

pytest.importorskip("argon2")
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    settings = Settings(home=tmp_path / "home")
    monkeypatch.setenv("EPITRACE_HOME", str(settings.home))
    monkeypatch.delenv("EPITRACE_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    with cheap_argon2():
        yield settings
    get_settings.cache_clear()


def _camera(settings: Settings) -> None:
    add_camera(settings, open_store(settings), CameraConfig(id="ward-7-door", place="Ward 7, back door",
                                                            latitude=37.5, longitude=126.8), actor="root")


def test_before_any_account_the_os_user_reads_cameras(home: Settings) -> None:
    _camera(home)
    out = runner.invoke(app, ["cameras", "list"])
    assert out.exit_code == 0 and "ward-7-door" in out.output, out.output


@pytest.mark.parametrize("command", [["cameras", "list"], ["cameras", "check", "ward-7-door"]])
def test_without_a_login_nothing_is_shown_once_accounts_exist(home: Settings, command: list[str]) -> None:
    _camera(home)
    add_user(open_store(home), name="root", password="correct horse battery", role="admin")
    out = runner.invoke(app, command)
    assert out.exit_code != 0, out.output
    assert "ward-7-door" not in out.output and "Ward 7" not in out.output
    assert "epitrace login" in out.output


@pytest.mark.parametrize(("role", "allowed"), [("auditor", False), ("supervisor", False), ("investigator", True),
                                               ("operator", True)])
def test_the_cli_applies_the_apis_roles(home: Settings, monkeypatch: pytest.MonkeyPatch, role: str,
                                        allowed: bool) -> None:
    _camera(home)
    store = open_store(home)
    add_user(store, name="root", password="correct horse battery", role="admin")
    add_user(store, name="someone", password="correct horse battery", role=role)
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(store, user=get_user(store, name="someone")))
    out = runner.invoke(app, ["cameras", "list"])
    assert (out.exit_code == 0 and "ward-7-door" in out.output) is allowed, out.output


def test_a_home_whose_accounts_are_all_disabled_still_needs_a_login(home: Settings) -> None:
    """Disabling every account (an incident) must not reopen the set-up exception."""
    from epitrace.privacy.users import disable_user

    _camera(home)
    store = open_store(home)
    add_user(store, name="root", password="correct horse battery", role="admin")
    disable_user(store, name="root")
    for command in (["cameras", "list"], ["cameras", "add", "gate-9"]):
        out = runner.invoke(app, command)
        assert out.exit_code != 0 and "epitrace login" in out.output, out.output
    assert [c.id for c in store.list_cameras()] == ["ward-7-door"]
