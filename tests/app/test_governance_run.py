"""The issue-12 throw-away run, through the CLI as each person would type it.

An investigator opens a case (pending: tracing is refused), a supervisor approves it, the
investigator enrols and traces; a purge with a retention shorter than the footage's age keeps
what the case holds (its route and contacts still show); once the case is closed and its own
retention has passed, nothing of it is left anywhere under the home.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.world import World, build_world
from cli_login import PASSWORD, cheap_argon2
from epitrace.cli.main import app as cli_app
from epitrace.config import get_settings
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import add_user, get_user

pytest.importorskip("argon2")
BASIS = "Throw-away governance run, Infectious Disease Control Act art. 76-2"
LABEL = "patient-throwaway-7c1"


def _as(world: World, monkeypatch: pytest.MonkeyPatch, name: str, *args: str) -> Any:
    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name=name)))
    get_settings.cache_clear()
    return CliRunner().invoke(cli_app, list(args))


def _backdate_closing(world: World, days: float) -> None:
    """Pretend every closed case was closed `days` ago (retention counts from closing)."""
    from sqlalchemy import update

    from epitrace.store.orm import Case

    with world.store.unit() as s:
        s.execute(update(Case).where(Case.status == "closed")
                  .values(closed_at=datetime.now(UTC) - timedelta(days=days)))


def _home_bytes(home: Path) -> bytes:
    return b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file())


def _home_except_audit(home: Path, db: Path) -> bytes:
    """Every file under the home but the database and the audit anchor, plus every row of every
    table but the audit log (which keeps who did what to which case, by design: a keyed chain
    loses no entry, and its entries hold no footage-derived data)."""
    import sqlite3

    files = [p for p in home.rglob("*") if p.is_file() and not p.name.startswith(db.name)
             and "audit" not in p.parts]
    rows: list[str] = []
    with sqlite3.connect(db) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            if table != "audit_log":
                rows += [repr(r) for r in conn.execute(f'SELECT * FROM "{table}"')]  # noqa: S608
    return b"".join(p.read_bytes() for p in files) + "\n".join(rows).encode()


def test_a_case_from_opening_to_nothing_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with cheap_argon2():
        world = build_world(tmp_path / "home")
        add_user(world.store, name="sue", password=PASSWORD, role="supervisor")
        opened = _as(world, monkeypatch, "ana", "case", "new", "--legal-basis", BASIS, "--cameras", "a",
                     "--onset", "2026-03-03T00:00:00+00:00", "--isolation", "2026-03-03T12:00:00+00:00")
        assert opened.exit_code == 0 and "pending" in opened.output, opened.output
        case = opened.output.split("case ")[1].split()[0]
        refused = _as(world, monkeypatch, "ana", "case", "trace", case)
        assert refused.exit_code == 2 and "approval" in refused.output

        assert _as(world, monkeypatch, "sue", "case", "approve", case).exit_code == 0
        enrol = _as(world, monkeypatch, "ana", "case", "enrol", case, "--subject", LABEL, "--no-consent",
                    "--sighting", str(world.track_a))
        assert enrol.exit_code == 0, enrol.output
        subject = enrol.output.split("subject ")[1].split()[0]
        traced = _as(world, monkeypatch, "ana", "case", "trace", case, "--json")
        assert traced.exit_code == 0 and str(world.track_a) in traced.output

        def contacts() -> list[dict[str, Any]]:
            out = _as(world, monkeypatch, "ana", "case", "contacts", case, "--policy", "custom", "--distance",
                      "2", "--minutes", "0", "--json")
            assert out.exit_code == 0, out.output
            return list(json.loads(out.stdout))

        before = contacts()
        assert before, "the world has a contact beside the subject"
        # The footage is months old: a 30-day purge removes everything no open case holds.
        purged = _as(world, monkeypatch, "root", "purge", "--days", "30")
        assert purged.exit_code == 0, purged.output
        route = _as(world, monkeypatch, "ana", "case", "route", case, "--subject", subject)
        assert route.exit_code == 0 and str(world.track_a) in route.output, route.output
        assert [c["contact_track_id"] for c in contacts()] == [c["contact_track_id"] for c in before]
        thumb = world.store.evidence_dir
        assert any(thumb.rglob("*")), "the held thumbnails are still there"

        # Close every case (the world's two as well: they hold the same camera), let retention pass.
        for case_id, who in ((case, "ana"), (world.case_a, "ana"), (world.case_b, "ben")):
            done = _as(world, monkeypatch, who, "case", "close", case_id, "--outcome", "traced; contacts called")
            assert done.exit_code == 0, done.output
        _backdate_closing(world, days=40)
        assert _as(world, monkeypatch, "root", "purge", "--days", "30", "--closed-case-days", "30").exit_code == 0
        world.store.db.dispose()
        assert LABEL.encode() not in _home_bytes(world.settings.home)  # not even in the audit log
        rest = _home_except_audit(world.settings.home, world.settings.home / "epitrace.db")
        assert rest and world.case_a.encode() not in rest
        for marker in (BASIS, case):
            assert marker.encode() not in rest, marker
        assert not [p for p in world.store.evidence_dir.rglob("*") if p.is_file()]
