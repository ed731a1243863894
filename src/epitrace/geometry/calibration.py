"""Pixel <-> ground-plane metres, so contact distances are measured on the floor, not the screen.

Two people 50 pixels apart may be 0.5 m apart near the camera and 5 m apart at the back of the
scene; every distance rule (CDC 1.8 m, WHO 1 m) is therefore applied after mapping foot points
through a `Calibration`. Two models are offered: a plane homography (from clicked point pairs or a
given matrix) and the PETS/Tsai camera model (see `epitrace.geometry.tsai`), which also models lens
distortion.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from epitrace.geometry.homography import HomographyCalibration
    from epitrace.geometry.tsai import TsaiCalibration

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


class CalibrationError(ValueError):
    """A calibration that cannot be built or a point that it cannot map."""


@dataclass(frozen=True)
class ReprojectionStats:
    """Ground-plane disagreement between mapped image points and their known positions.

    Attributes:
        mean_m: mean Euclidean error, metres.
        max_m: largest error, metres.
        rmse_m: root mean square error, metres.
        n_points: number of point pairs compared.
    """

    mean_m: float
    max_m: float
    rmse_m: float
    n_points: int


def as_points(points: Any, name: str = "points") -> FloatArray:
    """Return `points` as a finite float64 (n, 2) array or raise `CalibrationError`."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 1 and arr.size == 2:
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise CalibrationError(f"{name} must have shape (n, 2), got {arr.shape}")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise CalibrationError(f"{name} contains a non-finite value at row {bad}: {arr[bad]}")
    return arr


def stats_from_residuals(predicted: FloatArray, expected: FloatArray) -> ReprojectionStats:
    """Summarise per-point ground errors (both arrays (n, 2), metres)."""
    err = np.linalg.norm(predicted - expected, axis=1)
    return ReprojectionStats(
        mean_m=float(err.mean()),
        max_m=float(err.max()),
        rmse_m=float(np.sqrt(np.mean(err**2))),
        n_points=int(err.size),
    )


class Calibration(ABC):
    """Maps image pixels (u right, v down) to ground-plane metres (x, y) and back."""

    @abstractmethod
    def image_to_ground(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) pixels to (n, 2) ground metres.

        Args:
            points: (n, 2) image points, pixels (e.g. foot points = bottom centre of boxes).
            strict: raise `CalibrationError` for points at or beyond the horizon; when False those
                rows come back as NaN so a batch of detections is not lost to one bad box.
        """

    @abstractmethod
    def ground_to_image(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) ground metres to (n, 2) pixels (NaN rows where unmappable, if not strict)."""

    def reprojection_error(
        self, image_points: Any | None = None, ground_points: Any | None = None
    ) -> ReprojectionStats | None:
        """Ground-plane error of this calibration on the given pairs (metres), or None if no pairs.

        Subclasses fitted from pairs use those pairs by default.
        """
        if image_points is None or ground_points is None:
            return None
        img = as_points(image_points, "image points")
        gnd = as_points(ground_points, "ground points")
        if len(img) != len(gnd) or len(img) == 0:
            raise CalibrationError(
                f"need equally many image and ground points, got {len(img)} and {len(gnd)}"
            )
        return stats_from_residuals(self.image_to_ground(img), gnd)

    @staticmethod
    def from_point_pairs(image_points: Any, ground_points: Any) -> HomographyCalibration:
        """Fit a plane homography to >= 4 image/ground pairs (see `fit_homography`)."""
        from epitrace.geometry.homography import HomographyCalibration

        return HomographyCalibration.from_point_pairs(image_points, ground_points)

    @staticmethod
    def from_homography(
        matrix: Any, reference_pixel: tuple[float, float] | None = None
    ) -> HomographyCalibration:
        """Wrap a given 3x3 image-to-ground homography (see `HomographyCalibration`)."""
        from epitrace.geometry.homography import HomographyCalibration

        return HomographyCalibration(matrix, reference_pixel=reference_pixel)

    @staticmethod
    def from_tsai_xml(
        path: str | Path, image_size: tuple[int, int] | None = None
    ) -> TsaiCalibration:
        """Read a PETS/Tsai camera XML file (see `TsaiCalibration`)."""
        from epitrace.geometry.tsai import TsaiCalibration

        return TsaiCalibration.from_xml(path, image_size)
