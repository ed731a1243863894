"""Audit log: the hash chain verifies, and each kind of tampering is caught at the right entry."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from typer.testing import CliRunner

from cli_login import login_as  # noqa: E402
from epitrace.config import Settings, get_settings
from epitrace.privacy.audit import GENESIS_HASH, AuditEntry, entries, record, verify
from epitrace.store import Store, open_store
from pg_fixture import export_settings


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    return open_store(settings)


def _fill(store: Store, n: int = 5) -> None:
    for i in range(n):
        record(store, user=f"u{i % 2}", action="search", case_id="C1" if i % 2 else "C2",
               legal_basis="IDCPA art. 76-2", detail={"i": i, "subjects": ["a", "b"]})


def _sql(store: Store, *statements: str) -> None:
    with store.db.engine.begin() as c:
        for st in statements:
            c.exec_driver_sql(st)


def test_empty_log_verifies(store: Store) -> None:
    result = verify(store)
    assert result.ok and result.checked == 0 and result.head_hash == GENESIS_HASH


def test_chain_links_and_verifies(store: Store) -> None:
    _fill(store)
    rows = entries(store)
    assert [e.id for e in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert rows[2].detail_dict() == {"i": 2, "subjects": ["a", "b"]}
    result = verify(store)
    assert result.ok and result.checked == 5 and result.head_hash == rows[-1].hash


@pytest.mark.parametrize(
    ("tamper", "bad_id", "reason"),
    [
        # edited detail
        ('UPDATE audit_log SET detail = \'{"i":99}\' WHERE id = 3', 3, "hash"),
        # edited user
        ('UPDATE audit_log SET "user" = \'mallory\' WHERE id = 2', 2, "hash"),  # quoted: reserved on PostgreSQL
        # edited time
        ("UPDATE audit_log SET ts = ts + 1 WHERE id = 4", 4, "hash"),
        # edited case
        ("UPDATE audit_log SET case_id = NULL WHERE id = 1", 1, "hash"),
        # edited legal basis
        ("UPDATE audit_log SET legal_basis = 'none' WHERE id = 5", 5, "hash"),
        # removed middle entry: the next one no longer links
        ("DELETE FROM audit_log WHERE id = 3", 4, "link"),
        # removed first entry
        ("DELETE FROM audit_log WHERE id = 1", 2, "chain"),
        # swapped ids of 2 and 3 (reorder): the new entry 2 no longer links to entry 1
        ("UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 3; "
         "UPDATE audit_log SET id = 3 WHERE id = -2", 2, "link"),
        # ids swapped and prev_hash rewritten to fit: the id is hashed too
        ("UPDATE audit_log SET id = -2 WHERE id = 2; UPDATE audit_log SET id = 2 WHERE id = 3; "
         "UPDATE audit_log SET id = 3 WHERE id = -2; "
         "UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE id = 1) WHERE id = 2", 2, "hash"),
        # a forged entry re-hashed by hand but with the original prev_hash of a later entry
        ("UPDATE audit_log SET prev_hash = (SELECT prev_hash FROM audit_log WHERE id = 5) WHERE id = 4", 4, "link"),
    ],
)
def test_tampering_is_detected(store: Store, tamper: str, bad_id: int, reason: str) -> None:
    _fill(store)
    _sql(store, *tamper.split("; "))
    result = verify(store)
    assert not result.ok
    assert result.first_bad_id == bad_id
    assert reason in result.reason


def test_recomputed_hash_still_breaks_the_next_link(store: Store) -> None:
    """Rewriting an entry and its own hash: without the key the hash is wrong at once; even a key
    holder's re-hash is caught by the entry after it (and by the anchor file)."""
    from epitrace.privacy.audit import entry_hash

    _fill(store)
    e = entries(store)[1]
    fields = dict(id=e.id, ts=e.ts, user="mallory", action=e.action, case_id=e.case_id,
                  legal_basis=e.legal_basis, detail=e.detail, prev_hash=e.prev_hash)
    _sql(store, f"UPDATE audit_log SET \"user\" = 'mallory', hash = '{entry_hash(**fields)}' WHERE id = 2")
    result = verify(store)
    assert not result.ok and result.first_bad_id == 2 and "hash" in result.reason
    keyed = entry_hash(**fields, key=store.audit_files.key(create=False))
    _sql(store, f"UPDATE audit_log SET hash = '{keyed}' WHERE id = 2")
    result = verify(store)
    assert not result.ok and result.first_bad_id == 2 and "anchor" in result.reason
    store.audit_files.anchor_file.unlink()
    result = verify(store)
    assert not result.ok and result.first_bad_id == 3 and "link" in result.reason


def test_saved_head_hash_is_still_checked(store: Store) -> None:
    """A head hash kept by hand (the pre-anchor-file way) still proves the chain reaches it."""
    _fill(store)
    head = verify(store).head_hash
    assert verify(store, anchor=head).ok
    assert not verify(store, anchor="f" * 64).ok
    record(store, user="u0", action="view")
    assert verify(store, anchor=entries(store)[3].hash).ok  # an older anchor still in the chain


def test_entries_filters_and_limit(store: Store) -> None:
    _fill(store, 6)
    assert [e.id for e in entries(store, case_id="C1")] == [2, 4, 6]
    assert [e.id for e in entries(store, user="u0")] == [1, 3, 5]
    assert [e.id for e in entries(store, limit=2)] == [5, 6]
    assert [e.id for e in entries(store, user="u1", case_id="C1", limit=1)] == [6]


@pytest.mark.parametrize(
    ("kwargs", "exception"),
    [
        ({"user": "ana", "action": "Search"}, ValueError),  # actions are lower-case identifiers
        ({"user": "", "action": "search"}, ValueError),  # someone must have acted
        ({"user": "ana", "action": "export", "detail": {"x": object()}}, ValueError),  # not JSON
        ({"user": "ana", "action": "export", "detail": {"x": float("nan")}}, ValueError),  # NaN is not JSON
    ],
)
def test_bad_records_are_refused(store: Store, kwargs: dict, exception: type[Exception]) -> None:
    with pytest.raises(exception):
        record(store, **kwargs)
    assert entries(store) == []


@pytest.mark.parametrize("change", [lambda s, e: setattr(e, "user", "x"), lambda s, e: s.delete(e)])
def test_orm_refuses_update_and_delete(store: Store, change: Callable) -> None:
    record(store, user="ana", action="view")
    with pytest.raises(PermissionError), store.db.session() as s:
        change(s, s.get_one(AuditEntry, 1))
    assert verify(store).ok and len(entries(store)) == 1


def test_concurrent_writers_keep_one_chain(settings: Settings) -> None:
    stores = [open_store(settings) for _ in range(4)]
    errors: list[BaseException] = []

    def write(st: Store, k: int) -> None:
        try:
            for i in range(10):
                record(st, user=f"w{k}", action="search", detail={"i": i})
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(st, k)) for k, st in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    result = verify(stores[0])
    assert result.ok and result.checked == 40


def test_cli_show_and_verify(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from epitrace.cli.audit_cmd import app

    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        store = open_store(settings)
        _fill(store, 3)
        login_as(store, monkeypatch, "aud", "auditor")
        runner = CliRunner()
        shown = runner.invoke(app, ["show", "--case", "C1"])
        assert shown.exit_code == 0 and "search" in shown.output
        ok = runner.invoke(app, ["verify"])
        assert ok.exit_code == 0 and "intact" in ok.output
        _sql(store, "UPDATE audit_log SET action = 'view' WHERE id = 2")
        bad = runner.invoke(app, ["verify"])
        assert bad.exit_code == 1
    finally:
        get_settings.cache_clear()
