"""Known errors -> JSON responses with one clear message (never a traceback).

The application layer classifies every known error by kind (`epitrace.app.kind_of`); the API
maps each kind to one HTTP status here, instead of wrapping every handler in try/except. Anything
unknown is a bug: it is logged with its traceback and answered as a 500 with no details.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from epitrace.app.errors import AppError, ErrorKind, kind_of
from epitrace.app.errors import NotAvailable as _NotAvailable

logger = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    """Every error response: a message for people, and field errors for request validation."""

    detail: str = Field(description="What went wrong and, where possible, what to do.")
    errors: list[dict[str, Any]] | None = Field(None, description="Per-field problems (validation only).")


class UploadTooLarge(HTTPException):
    """A request body over its limit (413); raised while the body is still arriving."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit here is {limit / 1024 / 1024:.1f} MiB")


NotAvailable = _NotAvailable
"""A feature that this installation lacks (e.g. RTSP ingest): 501 (the application layer's error)."""

STATUS_OF_KIND: dict[ErrorKind, int] = {
    ErrorKind.AUTH: 401, ErrorKind.TOO_MANY: 429,
    ErrorKind.FORBIDDEN: 403, ErrorKind.NOT_FOUND: 404, ErrorKind.CONFLICT: 409,
    ErrorKind.INVALID: 422, ErrorKind.GONE: 410, ErrorKind.TOO_LARGE: 413, ErrorKind.UNAVAILABLE: 503,
    ErrorKind.NOT_SUPPORTED: 501,
}
"""HTTP status of each kind of error of `epitrace.app.errors` (the CLI maps the same kinds to exit codes)."""


def _status_for(exc: Exception) -> int:
    """HTTP status of a known error, 500 for a bug."""
    kind = kind_of(exc)
    return 500 if kind is None else STATUS_OF_KIND[kind]


def error_response(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON body every error has (`ErrorOut`)."""
    body = ErrorOut(detail=detail, errors=errors).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    status = _status_for(exc)
    if status == 500:
        return await _unexpected(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 429:  # login back-off or lockout: say when to try again
        wait = re.search(r"again in (\d+) s", str(exc))
        headers = {"Retry-After": wait.group(1) if wait else "3600"}
    return error_response(status, str(exc) or exc.__class__.__name__, headers=headers)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("body",)) or "body"


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
              for e in exc.errors()]
    summary = "; ".join(f"{_field(tuple(e['loc']))}: {e['msg']}" for e in errors[:5])
    return error_response(422, f"invalid request: {summary}" if summary else "invalid request", errors)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal error: it has been logged; please report what you were doing")


def install_error_handlers(app: FastAPI) -> None:
    """Register the mappings on `app` (domain errors, HTTP errors, validation, the rest)."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    # Handlers by base class: Starlette treats a handler for Exception itself as the last-resort
    # 500 handler (and re-raises), so the known families are registered one by one.
    for cls in (AppError, PermissionError, LookupError, ValueError, OSError, RuntimeError):
        app.add_exception_handler(cls, _domain)
    app.add_exception_handler(Exception, _unexpected)


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the session expired."},
    403: {"model": ErrorOut, "description": "Role or case assignment does not allow this (or a CSRF check failed)."},
    409: {"model": ErrorOut, "description": "Conflicts with the state of the case (pending approval, closed) "
          "or of the resource."},
    422: {"model": ErrorOut, "description": "The request is malformed or breaks a rule."},
}
"""Error responses every authenticated route documents."""


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`COMMON_ERRORS` plus these codes, for a route's `responses=`."""
    text = {400: "Malformed body.", 404: "Not found (or not in this case).", 409: "Conflicts with the case's state.",
            410: "The source video is gone.", 413: "Too large.",
            503: "A database, model or key is missing or down.",
            429: "Too many failed logins: wait (Retry-After) or ask an administrator to enable the account.",
            501: "Not available in this installation."}
    out = dict(COMMON_ERRORS)
    for code in codes:
        out[code] = {"model": ErrorOut, "description": text.get(code, "Error.")}
    return out
