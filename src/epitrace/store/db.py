"""Engine, sessions and schema migrations (Alembic, run programmatically at open)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from epitrace.store.private_files import private_dir, restrict_umask, tighten

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x45504954  # pg_advisory_xact_lock key ("EPIT"): one migrating process at a time
URL_HELP = ("set EPITRACE_DATABASE_URL to e.g. postgresql+psycopg://user:password@host:5432/epitrace, "
            "or leave it unset for SQLite in EPITRACE_HOME")


class DatabaseUnavailableError(RuntimeError):
    """The configured database cannot be used (bad URL, server down, missing driver)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _private_sqlite_file(path: Path) -> None:
    """Create the SQLite file 0600 in a 0700 folder before SQLite does (it would use the umask).

    An existing file, its WAL and its shared-memory file lose others' access too (SQLite gives
    those the database file's mode).
    """
    restrict_umask()
    private_dir(path.parent)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    tighten([path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"),
             path.with_name(path.name + "-journal")])


def normalise_url(url: str) -> str:
    """`postgresql://` and `postgres://` URLs use psycopg 3 (the driver we ship), not psycopg2."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets foreign keys and WAL (crash-safe, concurrent readers)."""
    url = normalise_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        _private_sqlite_file(Path(url.removeprefix("sqlite:///")))
    try:
        engine = create_engine(url, future=True, pool_pre_ping=not url.startswith("sqlite"))
    except ArgumentError as exc:
        raise DatabaseUnavailableError(f"bad database URL {url!r}: {exc}; {URL_HELP}") from exc
    except ModuleNotFoundError as exc:
        raise DatabaseUnavailableError(
            f"no driver for {make_url(url).drivername} ({exc.name} is not installed): "
            "pip install 'psycopg[binary]==3.3.9' for PostgreSQL") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url` with EpiTrace's migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration.

    On PostgreSQL an advisory lock held for the transaction makes processes that open the same
    database at once migrate one after the other (DDL is transactional there).
    """
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


class Database:
    """One database: an engine, migrated on open, and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(url)
        try:
            migrate(self.engine)
        except OperationalError as exc:
            self.engine.dispose()
            where = self.engine.url.render_as_string(hide_password=True)
            raise DatabaseUnavailableError(
                f"cannot open the database {where}: {str(exc.orig or exc).strip()}. Check that the server "
                f"is running and reachable and that the database and user exist; {URL_HELP}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
