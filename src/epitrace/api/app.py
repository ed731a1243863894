"""The FastAPI application: REST API under /api, the web app's pages, OpenAPI at /docs.

Example:
    >>> from epitrace.api import create_app  # doctest: +SKIP
    >>> app = create_app(Settings(home=Path("/tmp/et")))  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epitrace.api.config import ServerSettings
from epitrace.api.errors import UploadTooLarge, install_error_handlers
from epitrace.config import Settings
from epitrace.privacy.retention_schedule import start_retention_thread

logger = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; "
     b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
]


class Hardening:
    """ASGI middleware: body size limits (refused while the body arrives) and security headers.

    A Content-Length over the limit is refused before anything is read; a chunked body is counted
    as it streams in and cut off with 413 at the limit, so nothing oversized reaches the disk.
    The /docs page runs Swagger UI's inline start-up script, so it is exempt from the CSP; its
    script and CSS are served from the `swagger-ui-bundle` package (no CDN: it works offline).
    """

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the size of an HTTP request's body and add the security headers to its answer."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and not length.isdigit():
            await _send_json(send, 400, "malformed Content-Length header")
            return
        if length is not None and int(length) > limit:
            await _send_json(send, 413, f"request body too large: the limit here is {limit / 1048576:.1f} MiB")
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise UploadTooLarge(limit)
            return message

        docs = scope["path"] in ("/docs", "/redoc") or scope["path"].startswith("/docs/")
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS if k not in present
                            and not (docs and k == b"content-security-policy")]
                if api and b"cache-control" not in present:  # case data never in a shared browser's cache
                    headers.append((b"cache-control", b"private, no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, limited, with_headers)


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _limits(server: ServerSettings) -> Callable[[str, str], int]:
    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path.rstrip("/") == "/api/ingest/jobs":
            return server.max_upload_bytes() + 64 * 1024  # the video plus the form's other fields
        if method == "POST" and path.endswith(("/enrol/photo", "/enrol/photo/faces")):
            return server.max_image_bytes() + 64 * 1024
        return server.max_body_bytes()

    return limit_for


def create_app(settings: Settings | None = None, server: ServerSettings | None = None, *,
               retention: bool = True) -> FastAPI:
    """The whole server: API, pages, static files; one Store and one ingest job queue.

    Args:
        settings: Pipeline settings (home, database, models); default: the environment's.
        server: HTTP settings (limits, cookies); default: the environment's.
        retention: Start the retention purge thread (off in tests that count rows).
    """
    from epitrace.api.jobs import JobManager
    from epitrace.api.routes import audit, auth, cameras, cases, contacts, exports, footage, ingest, tracing, users
    from epitrace.app import Services
    from epitrace.web import mount_web

    services = Services.open(settings)
    settings, store = services.settings, services.store
    server = server or ServerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = start_retention_thread(settings, store, upload_dir=server.upload_dir) if retention else None
        try:
            yield
        finally:
            app.state.jobs.shutdown()
            if stop is not None:
                stop()

    app = FastAPI(title="EpiTrace", version="0.1.0", lifespan=lifespan, docs_url=None,
                  description="CCTV contact tracing for public health: cases, search, contacts, reports. "
                  "Log in with POST /api/auth/login and send `Authorization: Bearer <token>`.")
    app.state.services, app.state.server = Services(settings, store), server
    app.state.jobs = JobManager(settings, store, ray_address=server.ray_address)
    install_error_handlers(app)
    for module in (auth, users, footage, cameras, ingest, cases, tracing, contacts, exports, audit):
        app.include_router(module.router)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness (no login needed)."""
        return {"status": "ok"}

    _offline_docs(app)
    mount_web(app)
    app.add_middleware(Hardening, limit_for=_limits(server))
    return app


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the files of the `swagger-ui-bundle` package, not a CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs/static", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="EpiTrace API",
                                   swagger_js_url="/docs/static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/static/swagger-ui.css",
                                   swagger_favicon_url="/docs/static/favicon-32x32.png")

