"""`epitrace serve`: the REST API and the investigators' web app (uvicorn)."""

from __future__ import annotations

import ipaddress

import typer

from epitrace.cli.common import console, err_console, friendly_errors


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    retention: bool = typer.Option(True, "--retention/--no-retention",
                                   help="Run the retention purge at start and on schedule."),
    ray: str = typer.Option(None, "--ray", help="Run ingest jobs on Ray: 'local' or a cluster address."),
) -> None:
    """Serve the web app at http://HOST:PORT/ and the REST API (OpenAPI at /docs)."""
    import uvicorn

    from epitrace.api import ServerSettings, create_app
    from epitrace.config import get_settings

    with friendly_errors():
        server = ServerSettings()
        if ray:
            server = server.model_copy(update={"ray_address": ray})
        app = create_app(get_settings(), server, retention=retention)
    if not _loopback(host) and not server.cookie_secure:
        err_console.print("[yellow]warning:[/] serving beyond loopback without HTTPS: put a TLS proxy in front "
                          "and set EPITRACE_SERVER_COOKIE_SECURE=true")
    console.print(f"EpiTrace at http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False)
