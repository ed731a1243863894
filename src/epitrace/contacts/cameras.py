"""Where and in which local time a contact happened, and how sure its distance is.

A tracer sets quarantine dates from local dates, so contact times are given as aware datetimes
in the camera's own zone (ISO 8601 with the offset when serialised).

Distance uncertainty: the calibration's reprojection RMSE `r` (metres, on the ground plane, over
the calibration's own point pairs) is the typical error of one mapped foot point. A contact
distance is the norm of the difference of two mapped points. Taking the two point errors as
independent and isotropic (per-axis standard deviation r / sqrt(2) each), their difference has
per-axis standard deviation r, and to first order only its component along the line joining the
two people changes the distance; so the distance's one-sigma uncertainty is `r` itself
(`closest 1.20 +/- 0.08 m`). This is a floor: the detector's foot-point error is not in it. A
calibration without point pairs (a bare matrix, a Tsai camera file) has no measured error: the
uncertainty is then unknown (None), never zero.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from epitrace.geometry import CalibrationError, build_calibration
from epitrace.store import Store
from epitrace.store.contact_reads import CameraRow, camera_rows

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CameraPlace:
    """A camera as a contact row shows it.

    Attributes:
        zone: the camera clock's time zone.
        distance_uncertainty_m: one-sigma error of a ground distance on this camera, metres
            (the calibration's reprojection RMSE); None when not measured or uncalibrated.
    """

    id: str
    name: str
    place: str
    zone: ZoneInfo
    distance_uncertainty_m: float | None

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


def reprojection_rmse(calibration: dict[str, object] | None) -> float | None:
    """RMSE of the calibration on its own point pairs, metres; None without pairs or calibration."""
    if calibration is None:
        return None
    try:
        cal = build_calibration(calibration)
        stats = cal.reprojection_error()
    except (CalibrationError, ValueError, OSError) as exc:
        logger.warning("calibration reprojection error not available: %s", exc)
        return None
    return None if stats is None else stats.rmse_m


def _place(row: CameraRow) -> CameraPlace:
    return CameraPlace(row.id, row.name, row.place, camera_zone(row.timezone, row.id),
                       reprojection_rmse(row.calibration))


def camera_places(store: Store, *, camera_ids: list[str]) -> dict[str, CameraPlace]:
    """Camera id -> name, place, zone and distance uncertainty (unregistered ids: UTC, unnamed)."""
    rows = camera_rows(store, camera_ids=camera_ids)
    out = {cid: _place(row) for cid, row in rows.items()}
    for cid in set(camera_ids) - set(out):
        out[cid] = CameraPlace(cid, cid, "", ZoneInfo("UTC"), None)
    return out
