"""How sure a contact distance is: the foot points' pixel error carried through the calibration.

A contact distance is the norm of the difference of two ground points, each mapped from a foot
point in the image. Two errors add up:

- the foot point itself: the detector and tracker place it within about `FOOT_SIGMA_PX` pixels
  per axis of where a person annotates it (measured on PETS S2.L1 frames 0-399 by
  `scripts/measure_foot_error.py`). Carried through the local Jacobian `J` of the image-to-ground
  mapping at each foot point, it gives each ground point a covariance `s^2 J J^T`: small near the
  camera, large far away, where one pixel spans more floor;
- the calibration: its reprojection RMSE on its own point pairs (when it has pairs), which
  `contacts.cameras` already reports.

Only the error along the line joining the two people changes the distance (first order), so the
one-sigma uncertainty is sqrt(u^T (C_a + C_b) u + rmse^2), with u the unit vector between them.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from epitrace.geometry import Calibration

FOOT_SIGMA_PX = 3.4
"""Per-axis foot-point error, pixels: the RMS per axis of tracked against annotated foot points on
PETS S2.L1 frames 0-399 at 768x576 (CenterNet: 3.37 px, median radial 3.28 px, 2,226 matched
points; NanoDet-g int8: 2.85 px, 2.91 px, 2,272 points; `scripts/measure_foot_error.py`), the larger
of the two. It scales with the frame size; 768x576 is typical CCTV."""

FloatArray = npt.NDArray[np.float64]


def ground_jacobian(calibration: Calibration, ground_xy: FloatArray, step_px: float = 1.0) -> FloatArray | None:
    """The 2x2 Jacobian of image-to-ground (metres per pixel) at the foot point of `ground_xy`.

    None where the point does not map back into the image (behind the camera, past the horizon).
    """
    pixel = calibration.ground_to_image(np.asarray(ground_xy, np.float64).reshape(1, 2), strict=False)[0]
    if not np.isfinite(pixel).all():
        return None
    probes = pixel + np.array([[step_px, 0], [-step_px, 0], [0, step_px], [0, -step_px]], np.float64)
    ground = calibration.image_to_ground(probes, strict=False)
    if not np.isfinite(ground).all():
        return None
    return np.column_stack([(ground[0] - ground[1]) / (2 * step_px), (ground[2] - ground[3]) / (2 * step_px)])


def distance_sigma(calibration: Calibration, a_xy: FloatArray, b_xy: FloatArray, *,
                   calibration_rmse_m: float | None = None, foot_sigma_px: float = FOOT_SIGMA_PX) -> float | None:
    """One-sigma error of the ground distance between `a_xy` and `b_xy`, metres (None: not computable)."""
    a, b = np.asarray(a_xy, np.float64), np.asarray(b_xy, np.float64)
    ja, jb = ground_jacobian(calibration, a), ground_jacobian(calibration, b)
    if ja is None or jb is None:
        return None
    cov = foot_sigma_px ** 2 * (ja @ ja.T + jb @ jb.T)
    gap = b - a
    norm = float(np.linalg.norm(gap))
    along = float(gap @ cov @ gap) / norm ** 2 if norm > 1e-9 else float(np.trace(cov)) / 2
    return float(np.sqrt(along + (calibration_rmse_m or 0.0) ** 2))
