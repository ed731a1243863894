"""Where and in which local time a contact happened, and how sure its distance is.

A tracer sets quarantine dates from local dates, so contact times are given as aware datetimes
in the camera's own zone (ISO 8601 with the offset when serialised).

Distance uncertainty: a camera's calibration RMSE `r` (metres, on the ground plane, over the
calibration's own point pairs; None for a bare matrix or a Tsai file, which have no pairs) is one
part; the foot points' pixel error carried through the calibration at the two people's places is
the other (`contacts.uncertainty`). A contact's one-sigma uncertainty combines both, so a Tsai
camera also gets one and people far from the camera get a larger one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from epitrace.geometry import Calibration, CalibrationError, build_calibration
from epitrace.store import Store
from epitrace.store.contact_reads import CameraRow, camera_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraPlace:
    """A camera as a contact row shows it.

    Attributes:
        zone: the camera clock's time zone.
        distance_uncertainty_m: the calibration's reprojection RMSE, metres (None without point
            pairs or calibration): the part of a distance's error that does not depend on where.
        calibration: the camera's image-to-ground mapping (None: uncalibrated or unreadable).
    """

    id: str
    name: str
    place: str
    zone: ZoneInfo
    distance_uncertainty_m: float | None
    calibration: Calibration | None = None

    def local(self, ts: float) -> datetime:
        """UTC epoch seconds as an aware datetime in the camera's zone."""
        return datetime.fromtimestamp(ts, self.zone)


def camera_zone(name: str, camera_id: str) -> ZoneInfo:
    """The IANA zone `name`; a clear error naming the camera when it is not a known zone."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"camera {camera_id!r} has an unknown time zone {name!r}: set an IANA "
                         "name such as 'Asia/Seoul' with `epitrace cameras add`") from exc


def _calibration(row: CameraRow) -> Calibration | None:
    """The camera's calibration, built once (None if it has none or it cannot be read)."""
    if row.calibration is None:
        return None
    try:
        return build_calibration(row.calibration)
    except (CalibrationError, ValueError, OSError) as exc:
        logger.warning("camera %s: calibration not readable for distance uncertainty: %s", row.id, exc)
        return None


def reprojection_rmse(calibration: Calibration | None) -> float | None:
    """RMSE of the calibration on its own point pairs, metres; None without pairs or calibration."""
    if calibration is None:
        return None
    try:
        stats = calibration.reprojection_error()
    except (CalibrationError, ValueError) as exc:
        logger.warning("calibration reprojection error not available: %s", exc)
        return None
    return None if stats is None else stats.rmse_m


def _place(row: CameraRow) -> CameraPlace:
    calibration = _calibration(row)
    return CameraPlace(row.id, row.name, row.place, camera_zone(row.timezone, row.id),
                       reprojection_rmse(calibration), calibration)


def camera_places(store: Store, *, camera_ids: list[str]) -> dict[str, CameraPlace]:
    """Camera id -> name, place, zone and distance uncertainty (unregistered ids: UTC, unnamed)."""
    rows = camera_rows(store, camera_ids=camera_ids)
    out = {cid: _place(row) for cid, row in rows.items()}
    for cid in set(camera_ids) - set(out):
        out[cid] = CameraPlace(cid, cid, "", ZoneInfo("UTC"), None)
    return out
