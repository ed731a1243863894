"""One error catalogue for every front end: each known error has a kind.

The services below the application layer raise plain domain errors (AccessDenied, ConsentError,
VideoError, ...). Rather than each front end keeping its own list, `kind_of` classifies them here,
once; the CLI turns a kind into an exit code and a message, the API into an HTTP status and JSON.
Anything without a kind is a bug and is reported as such by both.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, as a front end needs to know it."""

    AUTH = "auth"  # not logged in, or the session ended
    TOO_MANY = "too_many"  # login back-off or lockout: wait, or ask an administrator
    FORBIDDEN = "forbidden"  # role, case assignment or consent does not allow it
    NOT_FOUND = "not_found"  # no such thing (or not in this case's scope: the same answer)
    CONFLICT = "conflict"  # breaks a rule of the case's state
    INVALID = "invalid"  # malformed or out-of-range input
    GONE = "gone"  # the evidence's source was purged
    TOO_LARGE = "too_large"  # over a size limit
    UNAVAILABLE = "unavailable"  # a database, model or key is missing or down: try again once it is back
    NOT_SUPPORTED = "not_supported"  # this installation lacks the feature (e.g. RTSP without ffmpeg)


class AppError(Exception):
    """Base of the errors the application layer raises itself; `kind` says which."""

    kind: ErrorKind = ErrorKind.INVALID


class OutOfScope(AppError, LookupError):
    """A sighting, video or frame outside the case's window or cameras.

    Answered exactly like a sighting that does not exist, so a case never learns of others.
    """

    kind = ErrorKind.NOT_FOUND


class NotAvailable(AppError):
    """A feature that this installation lacks (e.g. RTSP ingest without ffmpeg)."""

    kind = ErrorKind.NOT_SUPPORTED


class TooLarge(AppError, ValueError):
    """An upload or image over its limit."""

    kind = ErrorKind.TOO_LARGE


def _catalogue() -> list[tuple[type[BaseException], ErrorKind]]:
    """Domain errors of the lower packages and their kinds, most specific class first.

    Imported lazily: the catalogue must not load models or drivers just to classify an error.
    """
    from pydantic import ValidationError

    from epitrace.geometry import CalibrationError
    from epitrace.ingest import VideoError
    from epitrace.models import ChecksumError, ModelFetchError, ModelNotInstalledError
    from epitrace.privacy.clips import ClipSourceMissingError
    from epitrace.privacy.users import AccessDenied, AuthError, LoginThrottled
    from epitrace.store import DatabaseUnavailableError, MilvusUnavailableError
    from epitrace.store.sealing import KeyMissingError, SealError
    from epitrace.tracing import CaseRuleError, ConsentError

    return [
        (LoginThrottled, ErrorKind.TOO_MANY),
        (AuthError, ErrorKind.AUTH), (AccessDenied, ErrorKind.FORBIDDEN), (ConsentError, ErrorKind.CONFLICT),
        (CaseRuleError, ErrorKind.CONFLICT), (ClipSourceMissingError, ErrorKind.GONE),
        (ModelNotInstalledError, ErrorKind.UNAVAILABLE), (ModelFetchError, ErrorKind.UNAVAILABLE),
        (ChecksumError, ErrorKind.UNAVAILABLE), (KeyMissingError, ErrorKind.UNAVAILABLE),
        (DatabaseUnavailableError, ErrorKind.UNAVAILABLE), (MilvusUnavailableError, ErrorKind.UNAVAILABLE),
        (SealError, ErrorKind.INVALID), (CalibrationError, ErrorKind.INVALID), (VideoError, ErrorKind.INVALID),
        (ValidationError, ErrorKind.INVALID), (FileNotFoundError, ErrorKind.NOT_FOUND),
        (FileExistsError, ErrorKind.CONFLICT), (LookupError, ErrorKind.NOT_FOUND), (ValueError, ErrorKind.INVALID),
        (PermissionError, ErrorKind.FORBIDDEN),
    ]


def kind_of(exc: BaseException) -> ErrorKind | None:
    """The kind of a known error, or None for a bug (shown as an internal error, never as advice)."""
    if isinstance(exc, AppError):
        return exc.kind
    for cls, kind in _catalogue():
        if isinstance(exc, cls):
            return kind
    return None
