"""`epitrace audit show | verify`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from epitrace.app.audit_log import read_audit, verify_audit
from epitrace.cli.auth import acting, services
from epitrace.cli.common import PlainTable, console, err_console, friendly_errors

app = typer.Typer(help="Read and check the tamper-evident audit log.", no_args_is_help=True)


@app.command("show")
def show(
    case: str = typer.Option(None, "--case", help="Only entries about this case."),
    user: str = typer.Option(None, "--user", help="Only entries by this user."),
    limit: int = typer.Option(50, "--limit", min=1, help="Newest entries to show."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table."),
) -> None:
    """Audit entries, oldest first (the newest LIMIT that match)."""
    with friendly_errors():
        svc = services()
        rows = read_audit(svc, acting(svc), case_id=case, by=user, limit=limit)
    if as_json:
        for e in rows:
            console.print_json(json.dumps({"id": e.id, "ts": e.ts, "user": e.user, "action": e.action,
                                           "case_id": e.case_id, "legal_basis": e.legal_basis,
                                           "detail": e.detail_dict(), "hash": e.hash}))
        return
    table = PlainTable("id", "time (UTC)", "user", "action", "case", "legal basis", "detail")
    for e in rows:  # text from the log, never Rich markup (PlainTable)
        when = datetime.fromtimestamp(e.ts, UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(e.id), when, e.user, e.action, e.case_id or "", e.legal_basis or "", e.detail or "")
    console.print(table)


@app.command("verify")
def verify_cmd(
    anchor: str = typer.Option(None, "--anchor", help="A head hash saved by hand earlier (optional: the anchor "
                                                      "file already records every entry)."),
) -> None:
    """Check the keyed chain and the anchor file.

    Exit 1 at the first edited, removed, reordered or missing entry, or when the table is gone.
    """
    with friendly_errors():
        svc = services()
        result = verify_audit(svc, acting(svc), anchor=anchor)
    if not result.ok:
        where = f"entry {result.first_bad_id}: " if result.first_bad_id is not None else ""
        err_console.print(f"[bold red]audit log tampered:[/] {where}{result.reason}")
        raise typer.Exit(1)
    console.print(f"[green]audit log intact[/]: {result.checked} entries; head hash {result.head_hash}; "
                  f"anchored up to entry {result.anchored_id if result.anchored_id is not None else '-'}")
    if result.legacy:
        console.print(f"[yellow]{result.legacy} legacy entries[/] at the start were written before the audit key "
                      "(unkeyed sha256): the first keyed entry binds them, but their own hashes prove nothing "
                      "against someone who could write the database then")
