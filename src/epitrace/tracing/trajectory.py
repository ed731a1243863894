"""A subject's trajectory: confirmed sightings in time order, merged per camera visit."""

from __future__ import annotations

from dataclasses import dataclass, field

from epitrace.store import Store, Unit, sightings_repo
from epitrace.store.cases import cameras_by_id, decisions, get_tracks

VISIT_GAP_S = 30.0  # sightings of one camera closer than this are one visit


@dataclass
class Visit:
    """One stay in front of one camera."""

    camera_id: str
    camera_name: str
    place: str
    latitude: float | None
    longitude: float | None
    entry_ts: float
    exit_ts: float
    track_ids: list[int] = field(default_factory=list)
    thumbnails: list[str] = field(default_factory=list)  # paths relative to the evidence dir


def trajectory(store: Store, *, subject_id: int, session: Unit | None = None) -> list[Visit]:
    """Confirmed sightings of the subject as visits, earliest first."""
    with store.unit(session) as s:
        confirmed = [t for t, d in decisions(store, subject_id=subject_id, session=s).items() if d == "confirmed"]
        tracks = sorted(get_tracks(store, track_ids=confirmed, session=s).values(), key=lambda t: t.start_ts)
        cameras = cameras_by_id(store, session=s)
        thumbs = sightings_repo.body_thumbnails(s, track_ids=confirmed)
    visits: list[Visit] = []
    for t in tracks:
        last = visits[-1] if visits else None
        if last and last.camera_id == t.camera_id and t.start_ts - last.exit_ts <= VISIT_GAP_S:
            last.exit_ts = max(last.exit_ts, t.end_ts)
            last.track_ids.append(t.id)
            last.thumbnails += thumbs.get(t.id, [])
            continue
        cam = cameras.get(t.camera_id)
        visits.append(Visit(t.camera_id, cam.name if cam else t.camera_id, cam.place if cam else "",
                            cam.latitude if cam else None, cam.longitude if cam else None,
                            t.start_ts, t.end_ts, [t.id], list(thumbs.get(t.id, []))))
    return visits
