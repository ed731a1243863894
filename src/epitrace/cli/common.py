"""Shared CLI plumbing: one console, progress bars, and turning known errors into advice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
err_console = Console(stderr=True)

EXIT_REFUSED = 2
"""Exit code of every known error (bad input, a refused action, a missing service): one line, no traceback."""


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print known errors (those `app.kind_of` classifies) plainly; let bugs show their traceback."""
    from epitrace.app.errors import kind_of

    try:
        yield
    except typer.Exit:
        raise
    except Exception as exc:
        kind = kind_of(exc)
        if kind is None:
            raise
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(EXIT_REFUSED) from exc


def progress_bar() -> Progress:
    """A progress bar on standard error (standard output stays clean for --json)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console, transient=False)


def setup_logging(verbose: bool) -> None:
    """INFO logs with --verbose, warnings otherwise."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def audit(store: Any, action: str, case_id: str | None = None, *, user: str, **detail: object) -> None:
    """Write one audit entry for a CLI action by `user`, with the case's legal basis.

    Only for commands not yet moved onto the application layer (the demo); case commands audit
    inside their use case.
    """
    from epitrace.privacy.audit import record
    from epitrace.store.cases import get_case

    basis = get_case(store, case_id=case_id).legal_basis if case_id else None
    record(store, user=user, action=action, case_id=case_id, legal_basis=basis, detail=detail or None)
