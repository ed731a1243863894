"""An unauthenticated login attempt writes its user name into the audit log: it must not forge lines.

As found: POST /api/auth/login takes any name of up to 64 characters, and a failed attempt's name
is the `user` of its `login_failed` entry as given: newlines, bidi overrides (U+202E turns
"toor" into what reads as "root"), zero-width characters, and Rich markup, which `epitrace audit
show` rendered (a "[link=...]" became a clickable link, "[conceal]" hid the rest of the cell).
Anyone on the network could dress entries for the auditor. Names are now stored with every
non-printable character escaped, and `audit show` prints markup literally.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli_login import PASSWORD, cheap_argon2
from epitrace.cli.main import app as cli_app
from epitrace.config import Settings, get_settings
from epitrace.privacy.audit import entries, verify
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import AuthError, add_user, authenticate, get_user
from epitrace.store import Store, open_store

pytest.importorskip("argon2")
HOSTILE = "[link=https://evil.example]ro\u202eot[/link]\n2026 root login ok\u200b"


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    with cheap_argon2():
        s = open_store(Settings(home=tmp_path / "home"))
        add_user(s, name="aud", password=PASSWORD, role="auditor")
        yield s


def test_a_hostile_login_name_is_stored_printable(store: Store) -> None:
    with cheap_argon2(), pytest.raises(AuthError):
        authenticate(store, name=HOSTILE, password="wrong password", address="198.51.100.9")
    failed = [e for e in entries(store) if e.action == "login_failed"][-1]
    assert failed.user.isprintable(), repr(failed.user)
    assert "\\u202e" in failed.user and "\\n" in failed.user  # still says what was sent
    assert verify(store).ok


def test_audit_show_prints_markup_literally(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with cheap_argon2(), pytest.raises(AuthError):
        authenticate(store, name="[conceal]mallory", password="wrong password", address="198.51.100.9")
    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(store, user=get_user(store, name="aud")))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli_app, ["audit", "show", "--limit", "5"], env={"COLUMNS": "250"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "[conceal]mallory" in result.output
