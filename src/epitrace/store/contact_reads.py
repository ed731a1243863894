"""Camera facts the contact list shows with each contact (read-only, keyword-only, no ORM leaks).

The contact engine needs more of a camera than its id: where it is, which clock zone its local
times are read in, and its calibration (for the distance uncertainty). Kept apart from
`contacts/queries.py` so the engine never handles ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from epitrace.store.orm import Camera
from epitrace.store.repo import Store


@dataclass(frozen=True)
class CameraRow:
    """One camera as the contact list reads it.

    Attributes:
        timezone: IANA zone name of the camera's clock (e.g. 'Asia/Seoul').
        calibration: the stored calibration spec, or None when uncalibrated.
    """

    id: str
    name: str
    place: str
    timezone: str
    calibration: dict[str, Any] | None


def camera_rows(store: Store, *, camera_ids: list[str]) -> dict[str, CameraRow]:
    """Camera id -> its row, for the ids that are registered (unknown ids are absent)."""
    if not camera_ids:
        return {}
    with store.db.session() as s:
        rows = s.scalars(select(Camera).where(Camera.id.in_(sorted(set(camera_ids)))))
        return {c.id: CameraRow(c.id, c.name, c.place or "", c.timezone or "UTC",
                                None if c.calibration is None else dict(c.calibration))
                for c in rows}
