"""`epitrace models install | list | check`."""

from __future__ import annotations

import typer
from rich.table import Table

from epitrace.cli.common import console, friendly_errors
from epitrace.config import get_settings
from epitrace.models import DEFAULT_MODELS, check_models, install_model

app = typer.Typer(help="Install and verify the model files (from registry packages).", no_args_is_help=True)


@app.command("install")
def install(
    name: list[str] = typer.Argument(None, help="Models to install (default: all)."),
    force: bool = typer.Option(False, help="Reinstall even when the lock file matches."),
) -> None:
    """Download, checksum and convert models into $EPITRACE_HOME/models."""
    settings = get_settings()
    specs = [m for m in DEFAULT_MODELS if not name or m.name in name]
    unknown = set(name or []) - {m.name for m in specs}
    with friendly_errors():
        if unknown:
            raise ValueError(f"unknown model(s): {', '.join(sorted(unknown))}")
        for spec in specs:
            with console.status(f"installing {spec.name} from {spec.registry}:{spec.package}"):
                path = install_model(spec, settings.models_dir, settings.cache_dir, force=force)
            console.print(f"[green]ok[/] {spec.name} -> {path}")


@app.command("list")
def list_models() -> None:
    """Each model's stage, source package, file and licence."""
    table = Table("name", "stage", "source", "file", "licence")
    for m in DEFAULT_MODELS:
        table.add_row(m.name, m.stage, f"{m.registry}:{m.package}@{m.version}",
                      ", ".join(f.member.rsplit("/", 1)[-1] for f in m.files), m.licence)
    console.print(table)


@app.command("check")
def check() -> None:
    """Verify installed files against the lock file; exit 1 if any is missing or altered."""
    settings = get_settings()
    statuses = check_models(list(DEFAULT_MODELS), settings.models_dir)
    table = Table("name", "installed", "ok", "detail")
    for s in statuses:
        table.add_row(s.name, str(s.installed), "[green]yes[/]" if s.ok else "[red]no[/]", s.detail)
    console.print(table)
    if not all(s.ok for s in statuses):
        raise typer.Exit(1)
