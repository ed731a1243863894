"""Reading the audit log is itself in the audit log, from either front end.

As found (AUDIT, 2026-12-06): `GET /api/audit` and `epitrace audit show` returned who searched,
viewed and unmasked whom, and why, without a trace of who read it: an auditor or admin could look
up a colleague's or a case's entries unseen. Now each read adds `audit_read` (reader, filters,
entries shown) in the same unit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.world import World, api_client, build_world, login
from cli_login import cheap_argon2
from epitrace.config import get_settings
from epitrace.privacy.audit import entries
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import get_user

pytest.importorskip("argon2")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with cheap_argon2():
        yield build_world(tmp_path / "home")


def _reads(world: World) -> list[tuple[str, dict[str, Any]]]:
    return [(e.user, json.loads(e.detail or "{}")) for e in entries(world.store) if e.action == "audit_read"]


def test_an_api_read_of_the_log_is_recorded(world: World, tmp_path: Path) -> None:
    with api_client(world, tmp_path / "uploads") as client:
        r = client.get("/api/audit", params={"case_id": world.case_a, "limit": 5}, headers=login(client, "aud"))
        assert r.status_code == 200, r.text
        shown = r.json()["count"]
        assert client.get("/api/audit", headers=login(client, "ana")).status_code == 403  # not a reader
    assert _reads(world) == [("aud", {"case": world.case_a, "user": None, "limit": 5, "entries": shown})]


def test_a_cli_read_of_the_log_is_recorded(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from epitrace.cli.main import app

    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="root")))
    get_settings.cache_clear()
    out = CliRunner().invoke(app, ["audit", "show", "--user", "ana", "--limit", "3"])
    assert out.exit_code == 0, out.output
    [(who, detail)] = _reads(world)
    assert who == "root" and detail["user"] == "ana" and detail["limit"] == 3


def test_listing_cases_is_a_recorded_view(world: World, tmp_path: Path) -> None:
    """A supervisor's or auditor's case list shows every case's title and legal basis: a view like any other."""
    with api_client(world, tmp_path / "uploads") as client:
        r = client.get("/api/cases", headers=login(client, "aud"))
        assert r.status_code == 200, r.text
    views = [json.loads(e.detail or "{}") for e in entries(world.store) if e.action == "view" and e.user == "aud"]
    assert views == [{"what": "case list", "cases": r.json()["count"]}]
