"""`epitrace sightings`: list stored sightings so an investigator can pick one to enrol."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table
from sqlalchemy import select

from epitrace.cli.auth import current_user
from epitrace.cli.common import console, friendly_errors
from epitrace.cli.ingest_cmd import parse_start
from epitrace.store import open_store
from epitrace.store.orm import Track


def sightings(
    camera: str = typer.Option(..., "--camera", help="Camera id."),
    start: str = typer.Option(None, "--from", help="From (ISO 8601 with zone)."),
    end: str = typer.Option(None, "--to", help="To (ISO 8601 with zone)."),
    limit: int = typer.Option(50, "--limit", help="Rows shown."),
) -> None:
    """Sightings (tracks) of one camera in a time range: id, time, duration, mask."""
    with friendly_errors():
        store = open_store()
        current_user(store, "admin", "investigator")  # auditors see no footage-derived data
        store.get_camera(camera)
        q = select(Track).where(Track.camera_id == camera).order_by(Track.start_ts).limit(limit)
        if start:
            q = q.where(Track.end_ts >= parse_start(start).timestamp())
        if end:
            q = q.where(Track.start_ts <= parse_start(end).timestamp())
        with store.db.session() as s:
            rows = list(s.scalars(q))
    table = Table("sighting", "from (UTC)", "seconds", "frames", "face", "mask")
    for t in rows:
        table.add_row(str(t.id), datetime.fromtimestamp(t.start_ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                      f"{t.end_ts - t.start_ts:.1f}", f"{t.start_frame}-{t.end_frame}",
                      "yes" if t.has_face else "", t.mask_state)
    console.print(table)
