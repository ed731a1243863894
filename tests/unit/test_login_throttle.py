"""Issue 12 F9: login throttling per user and per address, lockout, aggregated audit entries.

Before the change 200 wrong passwords were all checked (no back-off, no lockout), the right
password worked straight after, and each failure added an audit row.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("argon2", reason="argon2-cffi is not installed")

from typer.testing import CliRunner  # noqa: E402

from cli_login import PASSWORD, cheap_argon2, login_as  # noqa: E402
from epitrace.config import Settings, get_settings  # noqa: E402
from epitrace.privacy.audit import entries, verify  # noqa: E402
from epitrace.privacy.throttle import ThrottlePolicy  # noqa: E402
from epitrace.privacy.users import AuthError, LoginThrottled, add_user, authenticate  # noqa: E402
from epitrace.store import Store, open_store  # noqa: E402
from pg_fixture import export_settings  # noqa: E402

T0 = 1_800_000_000.0
POLICY = ThrottlePolicy(lockout_failures=10)


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
    add_user(store, name="ana", password=PASSWORD, role="investigator")
    return store


def _try(store: Store, password: str, now: float, *, name: str = "ana", address: str = "203.0.113.7") -> str:
    """'ok', or the refusal's message."""
    try:
        authenticate(store, name=name, password=password, address=address, now=now, policy=POLICY)
        return "ok"
    except AuthError as exc:
        return str(exc)


def test_200_wrong_passwords_lock_the_account_until_users_enable(settings: Settings, store: Store,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """F9: 200 wrong passwords (one a second) lock the account; the right one then fails; the
    audit log grows by a handful of rows; `epitrace users enable` restores the account."""
    before = len(entries(store))
    outcomes = [_try(store, f"wrong password {i}", T0 + i) for i in range(200)]
    assert "ok" not in outcomes
    assert sum("invalid user name or password" in o for o in outcomes) == 9  # checked ones
    assert sum("try again in" in o for o in outcomes) > 100  # refused unchecked by the back-off
    assert any("locked" in o for o in outcomes)
    added = entries(store)[before:]
    assert [e.action for e in added] == ["login_failed", "login_failed", "login_locked"]
    assert [e.detail_dict().get("count") for e in added] == [1, 129, None]  # the first, the rest up to the lock
    assert "locked" in _try(store, PASSWORD, T0 + 10_000)  # even the right password, much later
    assert len(entries(store)) - before == 5  # that attempt's window: its first entry, + the old one's summary

    from epitrace.cli.users_cmd import app

    export_settings(monkeypatch, settings)
    get_settings.cache_clear()
    try:
        login_as(store, monkeypatch, "root", "admin")
        listed = CliRunner().invoke(app, ["list"])
        assert listed.exit_code == 0 and "yes" in listed.output
        out = CliRunner().invoke(app, ["enable", "ana"])
        assert out.exit_code == 0 and "was locked" in out.output, out.output
    finally:
        get_settings.cache_clear()
    enabled = [e for e in entries(store) if e.action == "user_enable"]
    assert enabled and enabled[-1].user == "root" and enabled[-1].detail_dict()["was_locked"] is True
    failed = [e for e in entries(store, user="ana") if e.action == "login_failed"]
    assert sum(e.detail_dict()["count"] for e in failed) == 201  # every attempt counted, none lost
    assert _try(store, PASSWORD, T0 + 10_001) == "ok"
    assert verify(store).ok


def test_back_off_refuses_even_the_right_password_until_it_passes(store: Store) -> None:
    """F9: after 3 failures the 4th attempt must wait; made too soon it is not even checked."""
    for i in range(3):
        assert "invalid" in _try(store, "wrong password!", T0 + i)
    assert "try again in 1 s" in _try(store, PASSWORD, T0 + 2.5)
    assert _try(store, PASSWORD, T0 + 3.5) == "ok"  # the delay passed; success resets the counters
    for i in range(3):
        assert "invalid" in _try(store, "wrong password!", T0 + 10 + i)  # three free failures again


def test_the_back_off_doubles(store: Store) -> None:
    """F9: each further failure doubles the wait (1, 2, 4 ... s), capped at 5 minutes."""
    assert [POLICY.delay(n) for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 16]
    assert POLICY.delay(40) == 300
    for i in range(5):  # spaced out: each is checked
        assert "invalid" in _try(store, "wrong password!", T0 + 1000 * i)
    assert "try again in 4 s" in _try(store, PASSWORD, T0 + 4000)


def test_address_throttle_covers_many_names(store: Store) -> None:
    """F9: one address spraying many user names is slowed down; another address is not."""
    for i in range(3):
        assert "invalid" in _try(store, "guess guess", T0, name=f"user{i}")
    assert "try again" in _try(store, "guess guess", T0, name="user9")
    assert _try(store, PASSWORD, T0, address="198.51.100.1") == "ok"


def test_unknown_names_lock_like_real_ones(store: Store) -> None:
    """F9: a lock message must not tell which names exist: unknown names lock too."""
    msgs = [_try(store, "guess guess", T0 + 1000 * i, name="nobody", address=f"a{i}") for i in range(11)]
    assert "locked" in msgs[-1]


def test_api_login_passes_the_client_address(store: Store, settings: Settings) -> None:
    """F9: the API throttles per client address (TestClient's is 'testclient') and locks out."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from epitrace.api import ServerSettings, create_app

    app = create_app(settings, ServerSettings(upload_dir=settings.home.parent / "up"), retention=False)
    with TestClient(app) as client:
        statuses = [client.post("/api/auth/login", json={"name": "ana", "password": "wrong password"})
                    for _ in range(6)]
    assert all(r.status_code in (401, 429) for r in statuses)
    assert statuses[0].status_code == 401  # a wrong password
    assert statuses[-1].status_code == 429 and "try again" in statuses[-1].json()["detail"]  # the back-off
    assert int(statuses[-1].headers["Retry-After"]) >= 1
    failed = [e for e in entries(store, user="ana") if e.action == "login_failed"]
    assert len(failed) == 1 and failed[0].detail_dict()["address"] == "testclient"
    assert isinstance(LoginThrottled("x"), AuthError)


def test_api_enable_lifts_a_lockout(store: Store, settings: Settings) -> None:
    """F9: POST /api/users/{name}/enable (admins) unlocks an account locked by failed logins; audited."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from epitrace.api import ServerSettings, create_app

    add_user(store, name="root", password=PASSWORD, role="admin")
    for i in range(10):
        _try(store, "wrong password!", T0 + 1000 * i)
    assert "locked" in _try(store, PASSWORD, T0 + 20_000)
    app = create_app(settings, ServerSettings(upload_dir=settings.home.parent / "up"), retention=False)
    with TestClient(app) as client:
        token = client.post("/api/auth/login", json={"name": "root", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        client.cookies.clear()
        assert client.post("/api/users/ana/enable", headers={}).status_code == 401
        r = client.post("/api/users/ana/enable", headers=headers)
        assert r.status_code == 200 and "was locked" in r.json()["detail"], r.text
        assert client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD}).status_code == 200
    assert any(e.action == "user_enable" and e.detail_dict()["name"] == "ana" for e in entries(store))
