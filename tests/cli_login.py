"""Log a test in to the CLI: a user of `role` with a live session, exported as EPITRACE_TOKEN."""

from __future__ import annotations

import pytest

from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import User, add_user
from epitrace.store import Store


def login_as(store: Store, monkeypatch: pytest.MonkeyPatch, name: str, role: str) -> User:
    user = add_user(store, name=name, password="correct horse battery", role=role)
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(store, user=user))
    return user
