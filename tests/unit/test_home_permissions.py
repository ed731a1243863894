"""Issue 12 F13 (home permissions): nothing EpiTrace writes under its home is readable by others.

Before the change a default umask of 022 left the database, its WAL, the vector indices, the
evidence folders and reports readable by every local user.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_login import cheap_argon2


@pytest.fixture()
def loose_umask() -> Iterator[None]:
    """A typical login umask (022) for the duration of the test; the old one afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _exposed(home: Path) -> list[str]:
    """Every path under `home` (itself included) with any group or other permission bit."""
    paths = [home, *home.rglob("*")]
    return [f"{p.relative_to(home.parent)} {stat.filemode(p.lstat().st_mode)}" for p in paths
            if stat.S_IMODE(p.lstat().st_mode) & 0o077]


def test_a_fresh_home_after_ingest_and_trace_is_private(tmp_path: Path, loose_umask: None) -> None:
    """F13: build a world (cameras, videos, tracks, thumbnails, users, cases, trace, confirm),
    save the vector indices, log in through the API and purge: every file is 0600 and
    every folder 0700, the database's WAL and shared-memory files included."""
    import warnings
    from datetime import UTC, datetime

    from api.world import build_world
    from epitrace.privacy.retention import purge

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from epitrace.api import ServerSettings, create_app

    home = tmp_path / "home"
    with cheap_argon2():
        world = build_world(home)
        store = world.store
        app = create_app(world.settings, ServerSettings(), retention=False)
        with TestClient(app) as client:
            r = client.post("/api/auth/login", json={"name": "ana", "password": "correct horse battery"})
            assert r.status_code == 200, r.text
            wal = [p.name for p in home.iterdir() if p.name.endswith(("-wal", "-shm"))]
            assert wal, "the WAL files exist while the server holds the database"
            assert not _exposed(home)
    for kind in ("body", "face"):
        store.index(kind)
    purge(store, now=datetime.now(UTC), orphan_grace_s=0)
    names = {p.name for p in home.rglob("*")}
    assert {"epitrace.db", "evidence", "vectors", "secrets", "audit", "anchor.log"} <= names, names
    assert any(p.suffix == ".sealed" for p in home.rglob("*"))  # thumbnails were written
    assert not _exposed(home)


def test_an_existing_open_home_is_tightened_on_open(tmp_path: Path, loose_umask: None) -> None:
    """F13: a home made by an older version (0755, database 0644) is closed when opened."""
    from epitrace.config import Settings
    from epitrace.store import open_store

    home = tmp_path / "old-home"
    home.mkdir(mode=0o755)
    db = home / "epitrace.db"
    db.touch(mode=0o644)
    os.chmod(home, 0o755)
    os.chmod(db, 0o644)
    open_store(Settings(home=home))
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
