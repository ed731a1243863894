"""Who is running a CLI command: `epitrace login` once, then every case command checks the
logged-in user's role and case assignments, exactly as the API does for its tokens.

The session token lives in `home/sessions/<os user>.token` (mode 600), or in EPITRACE_TOKEN for
scripts. Only its hash is in the database; `epitrace logout` revokes it.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import typer

from epitrace.cli.common import console, friendly_errors
from epitrace.config import Settings, get_settings
from epitrace.privacy.users import User
from epitrace.store import Store, open_store
from epitrace.store.sealing import write_private

TOKEN_ENV = "EPITRACE_TOKEN"


def token_file(settings: Settings) -> Path:
    return settings.home / "sessions" / f"{getpass.getuser()}.token"


def _token(settings: Settings) -> str:
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV].strip()
    path = token_file(settings)
    return path.read_text().strip() if path.exists() else ""


def current_user(store: Store, *roles: str, settings: Settings | None = None) -> User:
    """The logged-in user, with one of `roles` if given.

    Raises:
        AuthError: Not logged in, or the session expired or was revoked.
        AccessDenied: The user's role is not among `roles`.
    """
    from epitrace.privacy.sessions import user_for_token
    from epitrace.privacy.users import require_role

    user = user_for_token(store, _token(settings or get_settings()))
    if roles:
        require_role(user, *roles)
    return user


def case_user(store: Store, case_id: str) -> User:
    """The logged-in user if they may open `case_id` (refusals are audited)."""
    from epitrace.privacy.users import require_case_access

    user = current_user(store)
    require_case_access(store, user=user, case_id=case_id)
    return user


def login(name: str = typer.Argument(..., help="Login name."),
          password_stdin: bool = typer.Option(False, "--password-stdin",
                                              help="Read the password from standard input (scripts).")) -> None:
    """Log in; later commands act as this user until `epitrace logout` or 8 hours pass."""
    from epitrace.privacy.sessions import create_session
    from epitrace.privacy.users import authenticate

    settings = get_settings()
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("password", hide_input=True)
    with friendly_errors():
        store = open_store(settings)
        user = authenticate(store, name=name, password=password)
        token = create_session(store, user=user)
    path = token_file(settings)
    path.unlink(missing_ok=True)
    write_private(path, token + "\n")
    console.print(f"logged in as [bold]{user.name}[/] ({user.role})")


def logout() -> None:
    """End this session (the token stops working everywhere)."""
    from epitrace.privacy.sessions import revoke_session

    settings = get_settings()
    token = _token(settings)
    if token:
        revoke_session(open_store(settings), token)
    token_file(settings).unlink(missing_ok=True)
    console.print("logged out")


def whoami() -> None:
    """Who later commands act as."""
    with friendly_errors():
        user = current_user(open_store())
    console.print(f"{user.name} ({user.role})")
