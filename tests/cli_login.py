"""Test accounts: one password, cheap hashing, and a CLI login as any role (EPITRACE_TOKEN)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from epitrace.privacy import users
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import User, add_user
from epitrace.store import Store

PASSWORD = "correct horse battery"


@contextmanager
def cheap_argon2() -> Iterator[None]:
    """Argon2 at its cheapest settings while inside: the tests check behaviour, not hashing cost."""
    argon2 = pytest.importorskip("argon2")
    hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(users, "password_hasher", lambda: hasher)
        users._dummy_hash.cache_clear()
        try:
            yield
        finally:
            users._dummy_hash.cache_clear()


def login_as(store: Store, monkeypatch: pytest.MonkeyPatch, name: str, role: str) -> User:
    user = add_user(store, name=name, password=PASSWORD, role=role)
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(store, user=user))
    return user
