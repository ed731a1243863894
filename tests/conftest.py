"""Shared fixtures: the read-only shared data, installed models, and throw-away homes."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from epitrace.config import Settings

sys.path.insert(0, str(Path(__file__).parent))
from pg_fixture import pg_server, pg_url  # noqa: E402, F401 - fixtures for every test module
from tests_paths import SHARED_DATA  # noqa: E402

# Every store in the tests (and the CLIs and servers they start) seals biometric data with one
# throw-away key; tests of a missing key remove it with monkeypatch.delenv.
os.environ.setdefault("EPITRACE_ENCRYPTION_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())


def installed_models_dir() -> Path:
    """Where `make models` put the model files (the user's EPITRACE_HOME)."""
    home = Path(os.environ.get("EPITRACE_HOME", Path.home() / ".epitrace"))
    return Path(os.environ.get("EPITRACE_MODELS_PATH", home / "models"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """Installed models; tests that need them fail loudly if `make models` did not run."""
    path = installed_models_dir()
    if not (path / "models.lock.json").exists():
        pytest.fail(f"no models in {path}: run `make models` (epitrace models install) first")
    return path


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Settings of a fresh home in a temporary folder (models from the installed folder)."""
    return Settings(home=tmp_path / "home", models_path=installed_models_dir())


DB_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
"""Store tests run on each; deselect the server ones with `-m "not postgresql"`."""


@pytest.fixture(params=DB_BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def backend_settings(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Like `settings`, on SQLite or on a fresh database of the session's PostgreSQL server.

    A module runs its store tests on both by overriding `settings` with this fixture.
    """
    url = request.getfixturevalue("pg_url") if db_backend == "postgresql" else None
    return Settings(home=tmp_path / "home", models_path=installed_models_dir(), database_url=url)


@pytest.fixture(autouse=True)
def _settings_read_afresh_after_each_test() -> Iterator[None]:
    """A test that points EPITRACE_HOME elsewhere and reads the cached settings must not leave
    them cached for the next test (seen: an eval command then looked for models in that home)."""
    yield
    from epitrace.config import get_settings

    get_settings.cache_clear()
