"""Every CLI path checks who is logged in: an investigator cannot reach another's case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from cli_login import PASSWORD, cheap_argon2
from epitrace.cli.main import app
from epitrace.config import get_settings
from epitrace.privacy.audit import entries
from epitrace.store import open_store

pytest.importorskip("argon2")
runner = CliRunner()
CASE_PARAMS = ("case_id", "case")
ADMIN_ONLY = {("users", "assign"), ("case", "approve")}  # take a case id, but are an administrator's
# (or a supervisor's) job: refused for investigators by role, before any case is looked at


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # commands with default output folders write here
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("EPITRACE_TOKEN", raising=False)
    get_settings.cache_clear()
    with cheap_argon2():
        yield tmp_path / "home"
    get_settings.cache_clear()


def _run(*args: str, password: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=None if password is None else password + "\n")


def _login(name: str) -> None:
    result = _run("login", name, "--password-stdin", password=PASSWORD)
    assert result.exit_code == 0, result.output


def _new_case() -> str:
    opened = _run("case", "new", "--legal-basis", "IDCPA art. 76-2", "--onset", "2026-03-01T00:00:00+09:00",
                  "--isolation", "2026-03-02T00:00:00+09:00", "--cameras", "all")
    assert opened.exit_code == 0, opened.output
    return opened.output.split("case ")[1].split()[0]


def _case_commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every command of the CLI with a case id parameter, found by walking the app."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(cmd: Any, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "commands"):  # a group (Typer ships its own click)
            for name, sub in cmd.commands.items():
                walk(sub, (*path, name))
        elif any(p.name in CASE_PARAMS for p in cmd.params) and path not in ADMIN_ONLY and path[0] != "audit":
            found.append((path, cmd))

    walk(typer.main.get_command(app), ())
    return found


def _args(path: tuple[str, ...], cmd: Any, case_id: str, tmp: Path) -> list[str]:
    """The command line with every required value filled with something plausible."""
    photo = tmp / "photo.jpg"
    photo.write_bytes(b"\xff\xd8 not really a photo")
    args = list(path)
    for p in cmd.params:
        if p.param_type_name == "argument":
            if p.name in CASE_PARAMS:
                args.append(case_id)
            elif p.required:
                args.append("1")
        elif p.param_type_name == "option" and (p.required or p.name in CASE_PARAMS):
            value = case_id if p.name in CASE_PARAMS else "1"
            args += [p.opts[0], value]
    if path == ("case", "enrol"):
        args += ["--sighting", "1"]
    return args


def test_first_account_is_an_admin_and_later_ones_need_an_admin() -> None:
    refused = _run("users", "add", "ana", "--role", "investigator", "--password-stdin", password=PASSWORD)
    assert refused.exit_code == 2 and "first account must be an administrator" in refused.output
    assert _run("users", "add", "root", "--role", "admin", "--password-stdin", password=PASSWORD).exit_code == 0
    anon = _run("users", "add", "eve", "--role", "admin", "--password-stdin", password=PASSWORD)
    assert anon.exit_code == 2 and "not logged in" in anon.output
    assert _run("login", "root", "--password-stdin", password="wrong password!").exit_code == 2
    _login("root")
    assert "root (admin)" in _run("whoami").output
    assert _run("users", "add", "ana", "--role", "investigator", "--password-stdin", password=PASSWORD).exit_code == 0
    assert _run("logout").exit_code == 0
    after = _run("users", "list")
    assert after.exit_code == 2 and "not logged in" in after.output


def test_an_investigator_cannot_reach_another_investigators_case_by_any_command(tmp_path: Path) -> None:
    _run("users", "add", "root", "--role", "admin", "--password-stdin", password=PASSWORD)
    _login("root")
    for name, role in (("ana", "investigator"), ("ben", "investigator"), ("aud", "auditor")):
        assert _run("users", "add", name, "--role", role, "--password-stdin", password=PASSWORD).exit_code == 0
    _login("ana")
    ana_case = _new_case()  # the one who opens a case is assigned to it
    _login("ben")
    ben_case = _new_case()
    assert ana_case not in _run("case", "list").output and ben_case in _run("case", "list").output

    commands = _case_commands()
    names = {" ".join(path) for path, _ in commands}
    assert {"case enrol", "case trace", "case confirm", "case reject", "case route", "case contacts",
            "case report", "trace", "export clip"} <= names
    for path, cmd in commands:
        result = _run(*_args(path, cmd, ana_case, tmp_path))
        assert result.exit_code == 2 and "may not open case" in result.output, (path, result.output)
    refused = _run("case", "approve", ana_case)
    assert refused.exit_code == 2 and "needs supervisor or admin" in refused.output
    denied = [e for e in entries(open_store()) if e.action == "deny" and e.user == "ben"]
    assert len(denied) == len(commands) and {e.case_id for e in denied} == {ana_case}

    _login("ana")  # the owner passes the access check (and then fails or succeeds on the rest)
    for path, cmd in commands:
        assert "may not open case" not in _run(*_args(path, cmd, ana_case, tmp_path)).output, path

    _login("aud")  # auditors read the audit log, never case data or sightings
    assert _run("audit", "verify").exit_code == 0
    assert ana_case in _run("audit", "show", "--json").output
    for args in (("case", "list"), ("case", "contacts", ana_case), ("sightings", "--case", ana_case)):
        result = _run(*args)
        assert result.exit_code == 2 and "may not" in result.output, args
    _login("ana")
    assert _run("audit", "show").exit_code == 2  # investigators do not read the audit log
    assert _run("purge", "--dry-run").exit_code == 2  # nor purge
