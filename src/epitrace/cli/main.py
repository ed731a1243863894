"""The `epitrace` command."""

from __future__ import annotations

import typer

from epitrace.cli import (
    audit_cmd,
    bench_cmd,
    cameras_cmd,
    case_cmd,
    case_output_cmd,
    eval_cmd,
    export_cmd,
    keys_cmd,
    models_cmd,
    users_cmd,
)
from epitrace.cli.auth import login, logout, whoami
from epitrace.cli.common import setup_logging
from epitrace.cli.demo_cmd import demo
from epitrace.cli.ingest_cmd import IngestCommand, ingest
from epitrace.cli.purge_cmd import purge
from epitrace.cli.serve_cmd import serve
from epitrace.cli.sightings_cmd import sightings

app = typer.Typer(help="EpiTrace: CCTV contact tracing with privacy built in.", no_args_is_help=True,
                  pretty_exceptions_show_locals=False)
app.add_typer(models_cmd.app, name="models")
app.add_typer(cameras_cmd.app, name="cameras")
assert case_output_cmd.app is case_cmd.app  # registers contacts/report on the case app
app.add_typer(case_cmd.app, name="case")
app.add_typer(eval_cmd.app, name="eval")
app.add_typer(export_cmd.app, name="export")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(users_cmd.app, name="users")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(bench_cmd.app, name="bench")
app.command("ingest", cls=IngestCommand)(ingest)
app.command("demo")(demo)
app.command("sightings")(sightings)
app.command("purge")(purge)
app.command("login")(login)
app.command("logout")(logout)
app.command("whoami")(whoami)
app.command("serve")(serve)
app.command("trace", help="Trace every subject of a case at once (same as `case trace`).")(case_cmd.trace)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress details.")) -> None:
    """EpiTrace: CCTV contact tracing with privacy built in."""
    setup_logging(verbose)


if __name__ == "__main__":
    app()
