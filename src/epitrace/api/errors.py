"""Known errors -> JSON responses with one clear message (never a traceback).

The services raise plain domain errors (AuthError, AccessDenied, UnknownCaseError, VideoError,
...); the API maps them here, once, instead of wrapping every handler in try/except. Anything
unknown is a bug: it is logged with its traceback and answered as a 500 with no details.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger(__name__)


class ErrorOut(BaseModel):
    """Every error response: a message for people, and field errors for request validation."""

    detail: str = Field(description="What went wrong and, where possible, what to do.")
    errors: list[dict[str, Any]] | None = Field(None, description="Per-field problems (validation only).")


class UploadTooLarge(HTTPException):
    """A request body over its limit (413); raised while the body is still arriving."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body too large: the limit here is {limit / 1024 / 1024:.1f} MiB")


class NotAvailable(Exception):
    """A feature that this installation lacks (e.g. RTSP ingest): 501."""


def _status_for(exc: Exception) -> int:
    """HTTP status of a domain error, most specific class first."""
    from epitrace.ingest import VideoError
    from epitrace.privacy.clips import ClipSourceMissingError
    from epitrace.privacy.users import AccessDenied, AuthError
    from epitrace.tracing import CaseRuleError, ConsentError

    table: list[tuple[type[BaseException], int]] = [
        (AuthError, 401), (AccessDenied, 403), (ConsentError, 409), (CaseRuleError, 409),
        (ClipSourceMissingError, 410), (FileNotFoundError, 404), (VideoError, 422), (LookupError, 404),
        (NotAvailable, 501), (ValueError, 422), (PermissionError, 403),
    ]
    for cls, status in table:
        if isinstance(exc, cls):
            return status
    return 500


def error_response(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorOut(detail=detail, errors=errors).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    status = _status_for(exc)
    if status == 500:
        return await _unexpected(request, exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
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
    for cls in (PermissionError, LookupError, ValueError, FileNotFoundError, NotAvailable):
        app.add_exception_handler(cls, _domain)
    app.add_exception_handler(Exception, _unexpected)


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Not logged in, or the session expired."},
    403: {"model": ErrorOut, "description": "Role or case assignment does not allow this (or a CSRF check failed)."},
    422: {"model": ErrorOut, "description": "The request is malformed or breaks a rule."},
}
"""Error responses every authenticated route documents."""


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`COMMON_ERRORS` plus these codes, for a route's `responses=`."""
    text = {400: "Malformed body.", 404: "Not found (or not in this case).", 409: "Conflicts with the case's state.",
            410: "The source video is gone.", 413: "Too large.", 501: "Not available in this installation."}
    out = dict(COMMON_ERRORS)
    for code in codes:
        out[code] = {"model": ErrorOut, "description": text.get(code, "Error.")}
    return out
