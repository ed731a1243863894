"""`epitrace users add | list | disable | enable | assign`."""

from __future__ import annotations

import sys

import typer

from epitrace.cli.auth import acting, services
from epitrace.cli.common import PlainTable, console, friendly_errors
from epitrace.privacy.users import ROLES, add_user, assign, disable_user, enable_user, is_locked, list_users

app = typer.Typer(help="User accounts, roles and case assignments.", no_args_is_help=True)


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin's first line."),
) -> None:
    """Create a user (the password is asked twice unless --password-stdin).

    An administrator does this once logged in; the very first account (the store has none) must
    be an administrator and needs no login.
    """
    with friendly_errors():
        svc = services()
        store = svc.store
        if list_users(store):
            by = acting(svc, "admin").name
        elif role != "admin":
            raise ValueError("the first account must be an administrator: `epitrace users add NAME --role admin`")
        else:
            by = "bootstrap"
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with friendly_errors():
        add_user(store, name=name, password=password, role=role, by=by)
    console.print(f"[green]user {name} added[/] ({role})")


@app.command("list")
def list_cmd() -> None:
    """Users and their roles."""
    with friendly_errors():
        svc = services()
        acting(svc, "admin")
        users = list_users(svc.store)
        locked = {u.name for u in users if is_locked(svc.store, name=u.name)}
    table = PlainTable("name", "role", "disabled", "locked", "created (UTC)")
    for u in users:
        table.add_row(u.name, u.role, "yes" if u.disabled else "", "yes" if u.name in locked else "",
                      u.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)


@app.command("disable")
def disable(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Stop a user from logging in (their audit trail stays)."""
    with friendly_errors():
        svc = services()
        disable_user(svc.store, name=name, by=acting(svc, "admin").name)
    console.print(f"user {name} disabled")


@app.command("enable")
def enable(name: str = typer.Argument(..., help="Login name.")) -> None:
    """Let a user log in again: lifts a disable and a lockout after failed logins (audited)."""
    with friendly_errors():
        svc = services()
        was = enable_user(svc.store, name=name, by=acting(svc, "admin").name)
    lifted = [w for w, on in (("disabled", was["was_disabled"]), ("locked", was["was_locked"])) if on]
    console.print(f"user {name} enabled" + (f" (was {' and '.join(lifted)})" if lifted else ""))


@app.command("assign")
def assign_cmd(
    name: str = typer.Argument(..., help="Login name of an investigator."),
    case: str = typer.Argument(..., help="Case id."),
) -> None:
    """Let an investigator open a case."""
    with friendly_errors():
        svc = services()
        assign(svc.store, user=name, case_id=case, by=acting(svc, "admin").name)
    console.print(f"{name} assigned to case {case}")
