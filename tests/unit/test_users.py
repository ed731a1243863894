"""Users and roles: argon2 hashes, login (audited), disabled accounts, per-role case access."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

argon2 = pytest.importorskip("argon2", reason="argon2-cffi is not installed")

from cli_login import PASSWORD, cheap_argon2, login_as  # noqa: E402
from epitrace.config import Settings  # noqa: E402
from epitrace.privacy import users  # noqa: E402
from epitrace.privacy.audit import entries, verify  # noqa: E402
from epitrace.privacy.users import (  # noqa: E402
    AccessDenied,
    AuthError,
    UnknownUserError,
    User,
    add_user,
    assign,
    assigned_cases,
    authenticate,
    disable_user,
    list_users,
    require_case_access,
    require_role,
)
from epitrace.store import Store, open_store  # noqa: E402
from epitrace.store.orm import Case  # noqa: E402
from pg_fixture import export_settings  # noqa: E402

REAL_HASHER = users.password_hasher  # before the fixture swaps it


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[None]:
    with cheap_argon2():
        yield


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    store = open_store(settings)
    with store.db.session() as s:
        for case_id in ("C1", "C2"):
            s.add(Case(id=case_id, legal_basis="IDCPA art. 76-2", window_start_ts=0.0, window_end_ts=1.0))
    return store


@pytest.fixture()
def people(store: Store) -> dict[str, User]:
    made = {role: add_user(store, name=role[:3], password=PASSWORD, role=role)
            for role in ("admin", "investigator", "auditor")}
    assign(store, user="inv", case_id="C1")
    return made


def test_password_is_hashed_not_stored(store: Store) -> None:
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    with store.db.engine.connect() as c:
        stored = c.exec_driver_sql("SELECT password_hash FROM users WHERE name = 'ana'").scalar_one()
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert authenticate(store, name="ana", password=PASSWORD).name == "ana"


def test_default_hasher_is_argon2id() -> None:
    hasher = REAL_HASHER()
    assert hasher.type is argon2.Type.ID and hasher.memory_cost >= 19 * 1024


@pytest.mark.parametrize(
    ("name", "password", "reason"),
    [
        ("ana", "wrong password!!", "wrong password"),  # wrong password
        ("nobody", PASSWORD, "unknown user"),  # unknown user (same error message)
        ("ana", "", "wrong password"),  # empty password
    ],
)
def test_failed_logins_raise_and_are_audited(store: Store, name: str, password: str, reason: str) -> None:
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    with pytest.raises(AuthError, match="invalid user name or password"):
        authenticate(store, name=name, password=password)
    last = entries(store, user=name, limit=1)[0]
    assert last.action == "login_failed"
    assert last.detail_dict() == {"count": 1, "reason": reason, "address": "local", "window_s": 900.0}


def test_successful_login_is_audited(store: Store) -> None:
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    authenticate(store, name="ana", password=PASSWORD)
    last = entries(store, user="ana", limit=1)[0]
    assert last.action == "login" and last.detail_dict() == {"ok": True}
    assert verify(store).ok


def test_disabled_user_cannot_log_in(store: Store) -> None:
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    disable_user(store, name="ana")
    with pytest.raises(AuthError, match="disabled"):
        authenticate(store, name="ana", password=PASSWORD)
    last = entries(store, user="ana", limit=1)[0]
    assert last.action == "login_failed" and last.detail_dict()["reason"] == "disabled"
    assert [u.disabled for u in list_users(store)] == [True]


@pytest.mark.parametrize(
    ("kwargs", "exception"),
    [
        ({"name": "bob", "password": PASSWORD, "role": "root"}, ValueError),  # unknown role
        ({"name": "bob", "password": "short", "role": "admin"}, ValueError),  # password too short
        ({"name": "bad name", "password": PASSWORD, "role": "admin"}, ValueError),  # space in name
        ({"name": "ana", "password": PASSWORD, "role": "admin"}, ValueError),  # name taken
    ],
)
def test_bad_users_are_refused(store: Store, kwargs: dict, exception: type[Exception]) -> None:
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    with pytest.raises(exception):
        add_user(store, **kwargs)
    assert [u.name for u in list_users(store)] == ["ana"]


@pytest.mark.parametrize(
    ("role", "case_id", "allowed"),
    [
        ("admin", "C1", True),  # admin: any case
        ("admin", "C2", True),
        ("investigator", "C1", True),  # assigned
        ("investigator", "C2", False),  # not assigned
        ("auditor", "C1", False),  # auditors never see footage
        ("auditor", "C2", False),
    ],
)
def test_case_access_by_role(store: Store, people: dict[str, User], role: str, case_id: str,
                             allowed: bool) -> None:
    user = people[role]
    if allowed:
        require_case_access(store, user=user, case_id=case_id)
    else:
        with pytest.raises(AccessDenied):
            require_case_access(store, user=user, case_id=case_id)
        denied = entries(store, limit=1)[0]
        assert (denied.action, denied.user, denied.case_id) == ("deny", user.name, case_id)


def test_disabled_user_loses_case_access(store: Store, people: dict[str, User]) -> None:
    disable_user(store, name="adm")
    with pytest.raises(AccessDenied, match="disabled"):
        require_case_access(store, user=people["admin"], case_id="C1")


@pytest.mark.parametrize(
    ("name", "case_id", "exception"),
    [
        ("inv", "C404", LookupError),  # unknown case
        ("nobody", "C1", UnknownUserError),  # unknown user
        ("aud", "C1", ValueError),  # auditors cannot be assigned
    ],
)
def test_bad_assignments(store: Store, people: dict[str, User], name: str, case_id: str,
                         exception: type[Exception]) -> None:
    with pytest.raises(exception):
        assign(store, user=name, case_id=case_id)


def test_assign_is_idempotent(store: Store, people: dict[str, User]) -> None:
    assign(store, user="inv", case_id="C1")
    assign(store, user="inv", case_id="C2")
    assert assigned_cases(store, user=people["investigator"]) == ["C1", "C2"]


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("admin", ("admin",), True),
        ("auditor", ("admin", "auditor"), True),
        ("investigator", ("admin",), False),
        ("auditor", ("investigator",), False),
    ],
)
def test_require_role(people: dict[str, User], role: str, needed: tuple[str, ...], allowed: bool) -> None:
    if allowed:
        require_role(people[role], *needed)
    else:
        with pytest.raises(AccessDenied):
            require_role(people[role], *needed)


def test_cli_add_list_disable_assign(store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from epitrace.cli.users_cmd import app
    from epitrace.config import get_settings

    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        login_as(store, monkeypatch, "root", "admin")
        runner = CliRunner()
        added = runner.invoke(app, ["add", "zoe", "--role", "investigator", "--password-stdin"],
                              input=PASSWORD + "\n")
        assert added.exit_code == 0, added.output
        prompted = runner.invoke(app, ["add", "yan", "--role", "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
        assert prompted.exit_code == 0, prompted.output
        assert runner.invoke(app, ["add", "xi", "--role", "root", "--password-stdin"],
                             input=PASSWORD + "\n").exit_code == 2
        assert runner.invoke(app, ["assign", "zoe", "C1"]).exit_code == 0
        assert runner.invoke(app, ["disable", "zoe"]).exit_code == 0
        listed = runner.invoke(app, ["list"])
        assert "zoe" in listed.output and "yan" in listed.output and "yes" in listed.output
        assert authenticate(store, name="yan", password=PASSWORD).role == "admin"
    finally:
        get_settings.cache_clear()
