"""Writes and reads of track attributes (colours, height) as plain values."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epitrace.store.orm import Track
from epitrace.store.orm_attributes import TrackAttributes, attribute_row
from epitrace.store.records import AttributesRecord
from epitrace.store.repo import Store

__all__ = ["AttributesRecord", "attributes_of", "save_attributes", "tracks_with_attributes"]


def save_attributes(store: Store, *, track_id: int, rec: AttributesRecord, session: Session | None = None) -> None:
    """Store (or replace) one track's attributes."""
    with store.unit(session) as s:
        row = s.get(TrackAttributes, track_id)
        if row is not None:
            s.delete(row)
            s.flush()
        s.add(attribute_row(track_id, rec))


def attributes_of(store: Store, *, track_ids: list[int], session: Session | None = None) -> dict[int, AttributesRecord]:
    """Attributes of the given tracks that have them, by track id."""
    if not track_ids:
        return {}
    with store.unit(session) as s:
        rows = s.scalars(select(TrackAttributes).where(TrackAttributes.track_id.in_(track_ids)))
        return {int(r.track_id): _record(r) for r in rows}


def _record(a: TrackAttributes) -> AttributesRecord:
    return AttributesRecord(a.upper, float(a.upper_share), a.lower, float(a.lower_share), a.height_m,
                            a.height_spread_m)


def tracks_with_attributes(store: Store, *, start_ts: float, end_ts: float, cameras: tuple[str, ...] | None,
                           session: Session | None = None) -> list[tuple[int, str, float, float, AttributesRecord]]:
    """(track id, camera, start, end, attributes) of tracks overlapping the window on the cameras (None: all)."""
    q = (select(Track.id, Track.camera_id, Track.start_ts, Track.end_ts, TrackAttributes)
         .join(TrackAttributes, TrackAttributes.track_id == Track.id)
         .where(Track.start_ts <= end_ts, Track.end_ts >= start_ts))
    if cameras is not None:
        q = q.where(Track.camera_id.in_(cameras))
    with store.unit(session) as s:
        return [(int(tid), str(cam), float(t0), float(t1), _record(a)) for tid, cam, t0, t1, a in s.execute(q)]
