"""Who is running a CLI command.

`epitrace login` once, then every command acts as that user, through the same application layer (and
so the same rules) as the API.

The session token lives in `home/sessions/<os user>.token` (mode 600), or in EPITRACE_TOKEN for
scripts. Only its hash is in the database; `epitrace logout` revokes it.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

import typer

from epitrace.app import CaseSession, Services, acting_user, log_in, log_out, open_case, save_private
from epitrace.cli.common import console, friendly_errors
from epitrace.config import Settings, get_settings
from epitrace.privacy.users import User

TOKEN_ENV = "EPITRACE_TOKEN"


def token_file(settings: Settings) -> Path:
    """Where this OS user's session token is kept."""
    return settings.home / "sessions" / f"{getpass.getuser()}.token"


def _token(settings: Settings) -> str:
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV].strip()
    path = token_file(settings)
    return path.read_text().strip() if path.exists() else ""


def services() -> Services:
    """This command's services (settings from the environment, the store opened once)."""
    return Services.open()


def acting(svc: Services, *roles: str) -> User:
    """The logged-in user, with one of `roles` if given (AuthError / AccessDenied otherwise)."""
    return acting_user(svc, token=_token(svc.settings), roles=roles)


def case_session(case_id: str, svc: Services | None = None) -> CaseSession:
    """The logged-in user's session on `case_id` (refusals are audited)."""
    svc = svc or services()
    return open_case(svc, acting(svc), case_id)


def current_user(store: Any, *roles: str, settings: Settings | None = None) -> User:
    """The logged-in user (for commands that take a store directly: users, audit, purge)."""
    settings = settings or get_settings()
    return acting_user(Services(settings, store), token=_token(settings), roles=roles)


def login(name: str = typer.Argument(..., help="Login name."),
          password_stdin: bool = typer.Option(False, "--password-stdin",
                                              help="Read the password from standard input (scripts).")) -> None:
    """Log in; later commands act as this user until `epitrace logout` or 8 hours pass."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("password", hide_input=True)
    with friendly_errors():
        svc = services()
        user, token = log_in(svc, name=name, password=password)
    path = token_file(svc.settings)
    path.unlink(missing_ok=True)
    save_private(path, token + "\n")
    console.print(f"logged in as [bold]{user.name}[/] ({user.role})")


def logout() -> None:
    """End this session (the token stops working everywhere)."""
    svc = services()
    log_out(svc, token=_token(svc.settings))
    token_file(svc.settings).unlink(missing_ok=True)
    console.print("logged out")


def whoami() -> None:
    """Who later commands act as."""
    with friendly_errors():
        user = acting(services())
    console.print(f"{user.name} ({user.role})")
