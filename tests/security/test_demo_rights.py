"""`epitrace demo` in a home with real accounts: no accounts, cameras or approved cases for the asking.

As found: the demo needs no login. Run against a production home by anyone who can run the CLI
there (e.g. an operator, or an OS user with no EpiTrace account at all), it replaced the camera
`pets-view001` (unaudited), ingested as "system", created an investigator `demo` and a supervisor
`demo-supervisor` and printed both passwords, then opened a case as one and approved it as the
other. With those two accounts any case can be opened and approved without an administrator or
a real supervisor: account management and the two-person rule were both bypassed.

Now the demo runs without a login only in a throw-away home (no account yet, or only the demo's
own); in a home with other accounts it needs an administrator's login, and refuses before it
writes anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.world import World, build_world, write_video
from cli_login import cheap_argon2
from epitrace.app import Services
from epitrace.cli.main import app as cli_app
from epitrace.config import get_settings
from epitrace.privacy.audit import entries
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import AccessDenied, AuthError, get_user, list_users

pytest.importorskip("argon2")


@pytest.fixture()
def world(tmp_path: Path) -> Iterator[World]:
    with cheap_argon2():
        yield build_world(tmp_path / "home")


def _demo(world: World, monkeypatch: pytest.MonkeyPatch, token: str | None) -> Any:
    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(world.settings.models_path))
    if token is None:
        monkeypatch.delenv("EPITRACE_TOKEN", raising=False)
    else:
        monkeypatch.setenv("EPITRACE_TOKEN", token)
    get_settings.cache_clear()
    try:
        video = world.settings.home.parent / "footage.avi"  # outside the home, as `make demo` keeps it
        if not video.exists():
            write_video(video)
        return CliRunner().invoke(cli_app, ["demo", "--video", str(video)])
    finally:
        get_settings.cache_clear()


def _nothing_written(world: World, users_before: set[str], audit_before: int) -> None:
    assert {u.name for u in list_users(world.store)} == users_before  # no demo accounts
    assert "pets-view001" not in {c.id for c in world.store.list_cameras()}
    actions = [e.action for e in entries(world.store)][audit_before:]
    assert not {"user_add", "case_new", "case_approve", "camera_put", "ingest_start"} & set(actions)


@pytest.mark.parametrize("who", [None, "ana", "ben"])
def test_the_demo_hands_out_no_accounts_in_a_real_home(world: World, monkeypatch: pytest.MonkeyPatch,
                                                       who: str | None) -> None:
    users = {u.name for u in list_users(world.store)}
    audit = len(entries(world.store))
    token = None if who is None else create_session(world.store, user=get_user(world.store, name=who))
    result = _demo(world, monkeypatch, token)
    assert result.exit_code == 2, result.output
    assert "administrator" in result.output or "needs admin" in result.output
    assert "password" not in result.output.lower()
    _nothing_written(world, users, audit)


def test_the_core_refuses_before_writing(world: World, tmp_path: Path) -> None:
    """`app.demo.trace_demo` itself (any front end) on a camera with sightings: no accounts, no case."""
    from api.world import T0
    from epitrace.app.demo import trace_demo

    users = {u.name for u in list_users(world.store)}
    audit = len(entries(world.store))
    services = Services(world.settings, world.store)
    with pytest.raises(AuthError):
        trace_demo(services, user=None, camera_id="a", title="x", start=T0, report_dir=tmp_path)
    with pytest.raises(AccessDenied):
        trace_demo(services, user=get_user(world.store, name="ana"), camera_id="a", title="x", start=T0,
                   report_dir=tmp_path)
    _nothing_written(world, users, audit)


def test_the_core_rule(world: World) -> None:
    """Whatever the front end: the demo's actor is checked in `app.demo`."""
    from epitrace.app.demo import demo_actor

    services = Services(world.settings, world.store)
    with pytest.raises(AuthError, match="administrator"):
        demo_actor(services, None)
    with pytest.raises(AccessDenied):
        demo_actor(services, get_user(world.store, name="ana"))
    assert demo_actor(services, get_user(world.store, name="root")) == "root"


def test_a_throw_away_home_needs_no_login(tmp_path: Path) -> None:
    from epitrace.app.demo import DEMO_SUPERVISOR, demo_accounts, demo_actor
    from epitrace.config import Settings
    from epitrace.store import open_store

    with cheap_argon2():
        settings = Settings(home=tmp_path / "fresh")
        store = open_store(settings)
        services = Services(settings, store)
        assert demo_actor(services, None) == "demo"
        demo_accounts(services, by="demo")
        assert DEMO_SUPERVISOR in {u.name for u in list_users(store)}
        assert demo_actor(services, None) == "demo"  # a rerun of the demo in its own home
