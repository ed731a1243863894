"""`epitrace purge`: delete footage-derived data older than the retention period."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from epitrace.cli.auth import acting, services
from epitrace.cli.common import console, friendly_errors

DEFAULT_RETENTION_DAYS = 30
"""Used when the settings have no `retention_days`."""


def purge(
    days: int = typer.Option(None, "--days", min=1, show_default=False,
                             help="Retention of cameras without their own, in days "
                                  "[default: settings' retention_days, else 30]."),
    closed_case_days: int = typer.Option(None, "--closed-case-days", min=1, show_default=False,
                                         help="Days a closed case (and what it holds) is kept after closing "
                                              "[default: settings' closed_case_days]."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show what would be removed."),
) -> None:
    """Delete tracks, vectors, thumbnails, videos, clips and closed cases past retention.

    What a pending or open case holds (its sightings, their contacts and footage) is kept until
    the case is closed and its own period passes. Copies of purged footage are removed from
    home/uploads and from the server's upload folder (EPITRACE_SERVER_UPLOAD_DIR).
    """
    from epitrace.api.config import ServerSettings
    from epitrace.privacy.retention import purge as run_purge
    from epitrace.privacy.retention_schedule import upload_dirs

    with friendly_errors():
        svc = services()
        who = acting(svc, "admin").name
        days = days or int(getattr(svc.settings, "retention_days", DEFAULT_RETENTION_DAYS))
        closed_case_days = closed_case_days or svc.settings.closed_case_days
        report = run_purge(svc.store, now=datetime.now(UTC), default_days=days,
                           closed_case_days=closed_case_days, user=who, dry_run=dry_run,
                           upload_dirs=upload_dirs(svc.settings, ServerSettings().upload_dir))
    verb = "would remove" if dry_run else "removed"
    table = Table("what", verb)
    for camera_id, n in sorted(report.tracks_by_camera.items()):
        table.add_row(f"tracks of {camera_id}", str(n))
    for key, n in report.counts().items():
        table.add_row(key.replace("_", " "), str(n))
    console.print(table)
    if dry_run:
        console.print(f"dry run: nothing was deleted (default retention {days} days)")
    else:
        vacuum = "; database compacted" if report.vacuumed else ""
        console.print(f"[green]purge done[/] (default retention {days} days){vacuum}; "
                      "an audit entry was written")
