"""Shared CLI plumbing: one console, progress bars, and turning known errors into advice."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
err_console = Console(stderr=True)


def user_errors() -> tuple[type[BaseException], ...]:
    """Errors caused by input or set-up: shown as one clear line, exit code 2."""
    from epitrace.geometry import CalibrationError
    from epitrace.ingest import VideoError
    from epitrace.models import ChecksumError, ModelFetchError, ModelNotInstalledError
    from epitrace.privacy.users import AccessDenied, AuthError
    from epitrace.store import DatabaseUnavailableError, MilvusUnavailableError, UnknownCameraError
    from epitrace.store.cases import UnknownCaseError
    from epitrace.store.sealing import KeyMissingError, SealError
    from epitrace.tracing import CaseRuleError, ConsentError
    from epitrace.vision.face_embed import MultipleFacesError, NoFaceError

    return (AccessDenied, AuthError, UnknownCaseError, CaseRuleError, ConsentError, NoFaceError,
            MultipleFacesError, LookupError, CalibrationError, VideoError, ChecksumError, ModelFetchError,
            ModelNotInstalledError, UnknownCameraError, KeyMissingError, SealError, ValidationError,
            DatabaseUnavailableError, MilvusUnavailableError,
            FileNotFoundError, FileExistsError, ValueError)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Print known errors plainly instead of a traceback."""
    try:
        yield
    except user_errors() as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from exc


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console, transient=False)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def audit(store, action: str, case_id: str | None = None, *, user: str, **detail: object) -> None:  # type: ignore[no-untyped-def]
    """Write one audit entry for a CLI action by `user` (the logged-in user), with the case's
    legal basis."""
    from epitrace.privacy.audit import record
    from epitrace.store.cases import get_case

    basis = get_case(store, case_id=case_id).legal_basis if case_id else None
    record(store, user=user, action=action, case_id=case_id, legal_basis=basis, detail=detail or None)
