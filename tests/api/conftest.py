"""API fixtures: one built world per module, an app over it, and logged-in clients."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("argon2")
pytest.importorskip("fastapi")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from cli_login import cheap_argon2  # noqa: E402
from epitrace.api import ServerSettings, create_app  # noqa: E402

from .world import World, build_world, login  # noqa: E402


@pytest.fixture(scope="module")
def cheap_hasher() -> Iterator[None]:
    with cheap_argon2():
        yield


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, cheap_hasher: None) -> World:
    return build_world(tmp_path_factory.mktemp("api") / "home")


@pytest.fixture(scope="module")
def server_settings(tmp_path_factory: pytest.TempPathFactory) -> ServerSettings:
    return ServerSettings(max_upload_mb=1.0, max_image_mb=0.5, upload_dir=tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="module")
def app(world: World, server_settings: ServerSettings):  # type: ignore[no-untyped-def]
    return create_app(world.settings, server_settings, retention=False)


@pytest.fixture(scope="module")
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    return {name: login(client, name) for name in ("root", "ana", "ben", "aud")}


def uploads_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]
