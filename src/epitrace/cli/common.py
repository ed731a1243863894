"""Shared CLI plumbing: one console, progress bars, and turning known errors into advice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

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
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}")  # a message may quote what was typed
        raise typer.Exit(EXIT_REFUSED) from exc


def progress_bar() -> Progress:
    """A progress bar on standard error (standard output stays clean for --json)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console, transient=False)


def setup_logging(verbose: bool) -> None:
    """INFO logs with --verbose, warnings otherwise."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


class PlainTable(Table):
    """A table whose text cells are shown as typed, never read as Rich markup.

    Titles, labels, places and reasons come from users: "[link=...]" or "[conceal]" in a case
    title must not restyle, hide or link text in a supervisor's or auditor's terminal.
    """

    def add_row(self, *renderables: RenderableType | None, **kwargs: object) -> None:
        """Add a row; `str` cells become plain `Text`."""
        super().add_row(*(Text(r) if isinstance(r, str) else r for r in renderables), **kwargs)  # type: ignore[arg-type]
