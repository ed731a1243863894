"""Database backends: migrations on SQLite and PostgreSQL match the ORM; bad URLs say what to do."""

from __future__ import annotations

import socket
import threading

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from epitrace.config import Settings
from epitrace.store import Camera, DatabaseUnavailableError, open_store
from epitrace.store.db import Database, alembic_config, normalise_url
from epitrace.store.orm import Base
from pg_fixture import PgServer


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db:5432/epi", "postgresql+psycopg://u:p@db:5432/epi"),  # psycopg 3, not psycopg2
        ("postgres://u@db/epi", "postgresql+psycopg://u@db/epi"),  # the short scheme too
        ("postgresql+psycopg://u@db/epi", "postgresql+psycopg://u@db/epi"),  # explicit: unchanged
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),  # SQLite: unchanged
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_unreachable_server_says_what_to_check() -> None:
    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DatabaseUnavailableError, match="EPITRACE_DATABASE_URL") as err:
        Database(f"postgresql://epitrace:secret@127.0.0.1:{port}/epitrace")
    assert "secret" not in str(err.value)  # the password is never echoed


def test_bad_url_says_what_to_check() -> None:
    with pytest.raises(DatabaseUnavailableError, match="EPITRACE_DATABASE_URL"):
        Database("postgresql+nosuchdriver://x@localhost/db")


@pytest.mark.postgresql
def test_missing_database_is_named(pg_server: PgServer) -> None:
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        Database(pg_server.url("no_such_database"))


def _orm_drift(settings: Settings) -> list[object]:
    from epitrace.privacy import audit, retention, sessions, unmask, users  # noqa: F401 - register tables

    store = open_store(settings)
    with store.db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))


def test_migrations_match_the_orm(backend_settings: Settings) -> None:
    """Alembic's autogenerate finds nothing to change: migrations and models agree on each backend."""
    assert _orm_drift(backend_settings) == []


def test_downgrade_to_empty_and_upgrade_again(backend_settings: Settings) -> None:
    store = open_store(backend_settings)
    url = store.db.engine.url.render_as_string(hide_password=False)
    store.upsert_camera(Camera(id="cam1", name="Cam 1"))
    command.downgrade(alembic_config(url), "base")
    assert set(inspect(store.db.engine).get_table_names()) <= {"alembic_version"}
    store.db.dispose()
    again = open_store(backend_settings)  # from empty again
    assert again.list_cameras() == [] and "tracks" in inspect(again.db.engine).get_table_names()


@pytest.mark.postgresql
def test_concurrent_first_opens_migrate_once(pg_url: str, settings: Settings) -> None:
    """Several processes opening a new PostgreSQL database at once: one migrates, none fails."""
    settings = settings.model_copy(update={"database_url": pg_url})
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            open_store(settings).list_cameras()
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
