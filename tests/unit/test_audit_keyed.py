"""Issue 12 F8: a keyed audit chain with an append-only anchor catches every attack replayed here.

Before the change the chain was unkeyed sha256 and `verify` trusted the database alone: editing
an entry and re-hashing the rest, cutting the last rows or deleting every row all verified ok,
and a dropped table raised a traceback.
"""

from __future__ import annotations

import hashlib
import json
import stat

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from cli_login import login_as  # noqa: E402
from epitrace.config import Settings, get_settings
from epitrace.privacy.audit import GENESIS_HASH, entries, entry_hash, record, verify
from epitrace.store import Store, open_store
from pg_fixture import export_settings


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    return open_store(settings)


def _fill(store: Store, n: int = 6) -> None:
    for i in range(n):
        record(store, user=f"u{i % 2}", action="search", case_id="C1", detail={"i": i})


def _sql(store: Store, *statements: str) -> None:
    with store.db.engine.begin() as c:
        for st in statements:
            c.exec_driver_sql(st)


def _rehash_all(store: Store, *, keyed: bool, key: bytes | None) -> None:
    """What an attacker holding only the database does: rewrite an entry, then recompute every
    hash after it so the chain links again (with no key, or a guessed one)."""
    rows = [(e.id, e.ts, e.user, e.action, e.case_id, e.legal_basis, e.detail) for e in entries(store)]
    prev = GENESIS_HASH
    with store.db.engine.begin() as c:
        c.exec_driver_sql("UPDATE audit_log SET hash = 'x' || CAST(id AS TEXT)")  # free the unique hashes
        for i, ts, user, action, case_id, basis, detail in rows:
            user = "mallory" if i == 3 else user
            h = entry_hash(id=i, ts=ts, user=user, action=action, case_id=case_id, legal_basis=basis,
                           detail=detail, prev_hash=prev, key=key)
            c.execute(text("UPDATE audit_log SET \"user\" = :u, prev_hash = :p, hash = :h, keyed = :k "
                           "WHERE id = :i"), {"u": user, "p": prev, "h": h, "k": keyed, "i": i})
            prev = h


def test_key_and_anchor_files_are_private_and_apart(settings: Settings, store: Store) -> None:
    """F8: the HMAC key is its own 0600 file (not the data key) and every entry is anchored."""
    _fill(store, 3)
    files = store.audit_files
    assert files.key_file == settings.home / "secrets" / "audit.key" and files.key_file != settings.key_file
    for path in (files.key_file, files.anchor_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent
    rows = entries(store)
    assert all(e.keyed for e in rows)
    assert files.read_anchor() == {e.id: e.hash for e in rows}
    result = verify(store)
    assert result.ok and result.anchored_id == rows[-1].id and result.legacy == 0


@pytest.mark.parametrize("keyed, key", [(False, None), (True, b"k" * 32)], ids=["unkeyed", "guessed-key"])
def test_rewritten_and_rehashed_history_is_detected(store: Store, keyed: bool, key: bytes | None) -> None:
    """F8: editing entry 3 and recomputing every later hash (a stolen database, no key) fails."""
    _fill(store)
    _rehash_all(store, keyed=keyed, key=key)
    result = verify(store)
    assert not result.ok
    assert result.first_bad_id == 1  # the very first rewritten hash differs from the anchored one
    assert ("anchor" in result.reason) if not keyed else ("hash" in result.reason)


@pytest.mark.parametrize("keyed, key", [(False, None), (True, b"k" * 32)], ids=["unkeyed", "guessed-key"])
def test_rehashed_history_is_detected_even_without_the_anchor_file(store: Store, keyed: bool,
                                                                   key: bytes | None) -> None:
    """F8: with the anchor file deleted too, a guessed key fails the first hash, and an all-unkeyed
    rewrite (posing as a legacy log) is refused because a keyed store always has an anchor."""
    _fill(store)
    _rehash_all(store, keyed=keyed, key=key)
    store.audit_files.anchor_file.unlink()
    result = verify(store)
    assert not result.ok
    if keyed:
        assert result.first_bad_id == 1 and "hash" in result.reason
    else:
        assert "anchor file" in result.reason and "missing" in result.reason


def test_cut_last_rows_is_detected(store: Store) -> None:
    """F8: deleting the newest entries leaves a valid chain, but the anchor says it went further."""
    _fill(store)
    _sql(store, "DELETE FROM audit_log WHERE id > 4")
    result = verify(store)
    assert not result.ok and "truncated" in result.reason and "entry 6" in result.reason
    assert result.anchored_id == 6


def test_every_row_deleted_is_detected(store: Store) -> None:
    """F8: an emptied table is not an empty log when the anchor remembers entries."""
    _fill(store)
    _sql(store, "DELETE FROM audit_log")
    result = verify(store)
    assert not result.ok and "every row deleted" in result.reason


def test_deleted_middle_row_is_detected(store: Store) -> None:
    """F8: a row deleted from the middle breaks the next link."""
    _fill(store)
    _sql(store, "DELETE FROM audit_log WHERE id = 3")
    result = verify(store)
    assert not result.ok and result.first_bad_id == 4 and "link" in result.reason


def test_dropped_table_gives_a_message_not_a_traceback(settings: Settings, store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """F8: `audit verify` on a dropped audit table says so (CLI exit 1, API 200 with ok false)."""
    from epitrace.cli.audit_cmd import app

    _fill(store, 2)
    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        login_as(store, monkeypatch, "aud", "auditor")  # (its login is audited too)
        _sql(store, "DROP TABLE audit_log")
        result = verify(store)
        assert not result.ok and "cannot be read" in result.reason and result.anchored_id is not None
        out = CliRunner().invoke(app, ["verify"])
        assert out.exit_code == 1, out.output
        assert "cannot be read" in out.output and "Traceback" not in out.output
    finally:
        get_settings.cache_clear()


def test_edited_anchor_file_is_reported(store: Store) -> None:
    """F8: an anchor file edited by hand is reported, not parsed into a traceback."""
    _fill(store, 2)
    with store.audit_files.anchor_file.open("a") as f:
        f.write("garbage\n")
    result = verify(store)
    assert not result.ok and "anchor file" in result.reason


def test_legacy_unkeyed_prefix_verifies_and_is_reported(settings: Settings, store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries written before revision 0008 (unkeyed sha256) verify as a legacy prefix; the first
    keyed entry binds them; an unkeyed entry after keyed ones is refused."""
    prev = GENESIS_HASH
    for i in (1, 2, 3):  # as the old code wrote them
        detail = json.dumps({"i": i})
        h = entry_hash(id=i, ts=float(i), user="old", action="view", case_id=None, legal_basis=None,
                       detail=detail, prev_hash=prev)
        assert h == hashlib.sha256(json.dumps(
            {"action": "view", "case_id": None, "detail": detail, "id": i, "legal_basis": None,
             "prev_hash": prev, "ts": float(i), "user": "old"}, sort_keys=True, separators=(",", ":")
        ).encode()).hexdigest()
        _sql(store, "INSERT INTO audit_log (id, ts, \"user\", action, case_id, legal_basis, detail, prev_hash, "
                    f"hash) VALUES ({i}, {float(i)}, 'old', 'view', NULL, NULL, '{detail}', '{prev}', '{h}')")
        prev = h
    record(store, user="new", action="view")
    result = verify(store)
    assert result.ok and result.checked == 4 and result.legacy == 3
    from epitrace.cli.audit_cmd import app

    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        login_as(store, monkeypatch, "aud", "auditor")
        out = CliRunner().invoke(app, ["verify"])
        assert out.exit_code == 0 and "3 legacy" in out.output, out.output
    finally:
        get_settings.cache_clear()
    _sql(store, "UPDATE audit_log SET keyed = false WHERE id = 4")  # claims to be legacy: hash differs
    assert not verify(store).ok


def test_environment_key_wins_and_a_missing_key_is_reported(settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """EPITRACE_AUDIT_KEY keeps the key off the disk; verifying without it says what is missing."""
    import base64

    monkeypatch.setenv("EPITRACE_AUDIT_KEY", base64.b64encode(b"e" * 32).decode())
    store = open_store(settings)
    _fill(store, 2)
    assert not store.audit_files.key_file.exists() and verify(store).ok
    monkeypatch.delenv("EPITRACE_AUDIT_KEY")
    result = verify(open_store(settings))
    assert not result.ok and "no audit key" in result.reason


def test_keys_init_creates_the_audit_key(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """`epitrace keys init` writes the audit key next to (not inside) the encryption key, 0600."""
    from epitrace.cli.keys_cmd import app

    monkeypatch.delenv("EPITRACE_ENCRYPTION_KEY", raising=False)
    monkeypatch.delenv("EPITRACE_AUDIT_KEY", raising=False)
    home = settings.home.parent / "fresh"
    monkeypatch.setenv("EPITRACE_HOME", str(home))
    monkeypatch.delenv("EPITRACE_ENCRYPTION_KEY_FILE", raising=False)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["init"])
        assert out.exit_code == 0, out.output
        key = home / "secrets" / "audit.key"
        assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_bytes() != (home / "secrets" / "encryption.key").read_bytes()
    finally:
        get_settings.cache_clear()


def test_api_verify_reports_a_cut_log(settings: Settings, store: Store) -> None:
    """F8: GET /api/audit/verify says the log was cut (a new entry reusing a cut id cannot hide it)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from cli_login import PASSWORD, cheap_argon2
    from epitrace.api import ServerSettings, create_app
    from epitrace.privacy.users import add_user

    with cheap_argon2():
        add_user(store, name="aud", password=PASSWORD, role="auditor")
        _fill(store)
        _sql(store, "DELETE FROM audit_log WHERE id > 4")
        app = create_app(settings, ServerSettings(upload_dir=settings.home.parent / "up"), retention=False)
        with TestClient(app) as client:
            token = client.post("/api/auth/login", json={"name": "aud", "password": PASSWORD}).json()["token"]
            r = client.get("/api/audit/verify", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    body = r.json()
    assert body["ok"] is False and body["first_bad_id"] == 5 and "anchor" in body["reason"], body
    assert body["anchored_id"] == 7
