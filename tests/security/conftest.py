"""The attacks' world: one fresh `api.world` per test module, and an API client over it.

A module that needs more in its world (another account, a hostile label) overrides `world`;
`client` then serves that one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.world import World, api_client, build_world
from cli_login import cheap_argon2


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        yield build_world(tmp_path_factory.mktemp("world") / "home")


@pytest.fixture(scope="module")
def client(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with api_client(world, tmp_path_factory.mktemp("uploads")) as c:
        yield c
