"""Plane homographies: fitted from surveyed point pairs or given as a matrix.

A homography is exact for a distortion-free pinhole camera looking at a flat floor, and needs
only four marks whose positions are known, which is what a site survey can realistically give.
"""

from __future__ import annotations

import logging
from itertools import combinations
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from epitrace.geometry.calibration import (
    Calibration,
    CalibrationError,
    FloatArray,
    ReprojectionStats,
    as_points,
)

logger = logging.getLogger(__name__)

# Triangle area (in Hartley-normalised units, where a typical triangle has area ~1) below which
# three points count as collinear: such a fit would amplify a one-pixel click error into metres.
_COLLINEAR_AREA = 1e-4
# Ratio of the 8th to the 1st singular value of the DLT system below which the homography is not
# determined by the points (the null space has more than one dimension).
_DLT_RANK_RATIO = 1e-8
# A homography whose condition number exceeds this cannot be inverted reliably.
_MAX_CONDITION = 1e12
# |w| relative to the scale of the projective row below which a point is on the horizon.
_HORIZON_EPS = 1e-9


def _projective_map(matrix: FloatArray, points: FloatArray, strict: bool, what: str) -> FloatArray:
    """Apply a homography, refusing (or NaN-ing) points whose w is not safely positive."""
    lifted = np.hstack([points, np.ones((len(points), 1))])
    homog = lifted @ matrix.T
    w = homog[:, 2]
    scale = np.linalg.norm(matrix[2]) * np.linalg.norm(lifted, axis=1)
    bad = w <= _HORIZON_EPS * scale
    out = np.full((len(points), 2), np.nan)
    ok = ~bad
    out[ok] = homog[ok, :2] / w[ok, None]
    if bad.any() and strict:
        first = int(np.flatnonzero(bad)[0])
        raise CalibrationError(
            f"{int(bad.sum())} of {len(points)} {what} lie at or beyond the horizon "
            f"(w <= 0), first at row {first}: {points[first].tolist()}"
        )
    return out


class HomographyCalibration(Calibration):
    """A plane-to-plane homography: exact for a pinhole camera without lens distortion.

    Its sign is fixed so that w > 0 on the visible ground; points with w <= 0 lie on or above the
    horizon and have no ground position.

    Args:
        matrix: 3x3 image-to-ground homography (pixels -> metres).
        reference_pixel: a pixel known to show the ground (e.g. the image centre), used to choose
            the homography's sign; default the pixel (0, 0).

    Attributes:
        matrix: the image-to-ground homography, scaled to unit norm with w > 0 on the ground.
        inverse: its inverse, ground metres -> pixels.
    """

    def __init__(
        self,
        matrix: Any,
        *,
        reference_pixel: tuple[float, float] | None = None,
        fit_pairs: tuple[FloatArray, FloatArray] | None = None,
    ) -> None:
        h = np.asarray(matrix, dtype=np.float64)
        if h.shape != (3, 3):
            raise CalibrationError(f"homography must be 3x3, got shape {h.shape}")
        if not np.isfinite(h).all():
            raise CalibrationError(f"homography has non-finite entries: {h.tolist()}")
        cond = np.linalg.cond(h)
        if not np.isfinite(cond) or cond > _MAX_CONDITION:
            raise CalibrationError(
                f"homography is singular or near-singular (condition number {cond:.3g}, limit "
                f"{_MAX_CONDITION:.0e}); a degenerate matrix cannot map ground back to pixels"
            )
        ref = np.array([*(reference_pixel or (0.0, 0.0)), 1.0])
        w_ref = float(h[2] @ ref)
        if abs(w_ref) <= _HORIZON_EPS * np.linalg.norm(h[2]) * np.linalg.norm(ref):
            raise CalibrationError(
                f"reference pixel {ref[:2].tolist()} lies on the horizon of this homography"
            )
        h = h / np.linalg.norm(h) * np.sign(w_ref)
        self.matrix: FloatArray = h
        self.inverse: FloatArray = np.linalg.inv(h)
        self._fit_pairs = fit_pairs

    @classmethod
    def from_point_pairs(cls, image_points: Any, ground_points: Any) -> HomographyCalibration:
        """Fit from >= 4 pairs and keep them, so `reprojection_error()` reports their residuals."""
        img = as_points(image_points, "image points")
        gnd = as_points(ground_points, "ground points")
        h = fit_homography(img, gnd)
        centre = tuple(float(c) for c in img.mean(axis=0))
        cal = cls(h, reference_pixel=(centre[0], centre[1]), fit_pairs=(img, gnd))
        stats = cal.reprojection_error()
        if stats is not None:
            logger.debug(
                "homography fitted to %d pairs: mean %.3f m, max %.3f m",
                stats.n_points,
                stats.mean_m,
                stats.max_m,
            )
        return cal

    def image_to_ground(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) pixels to (n, 2) ground metres."""
        return _projective_map(
            self.matrix, as_points(points, "image points"), strict, "image points"
        )

    def ground_to_image(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) ground metres to (n, 2) pixels."""
        return _projective_map(
            self.inverse, as_points(points, "ground points"), strict, "ground points"
        )

    def reprojection_error(
        self, image_points: Any | None = None, ground_points: Any | None = None
    ) -> ReprojectionStats | None:
        """Error on the given pairs, else on the fitted pairs, else None (a bare matrix)."""
        if image_points is None and ground_points is None and self._fit_pairs is not None:
            image_points, ground_points = self._fit_pairs
        return super().reprojection_error(image_points, ground_points)


def _normaliser(points: FloatArray) -> FloatArray:
    """Hartley similarity: centroid to origin, mean distance sqrt(2); keeps the DLT well posed."""
    centre = points.mean(axis=0)
    spread = np.linalg.norm(points - centre, axis=1).mean()
    if spread <= 0:
        raise CalibrationError("all points coincide")
    s = np.sqrt(2.0) / spread
    return np.array([[s, 0.0, -s * centre[0]], [0.0, s, -s * centre[1]], [0.0, 0.0, 1.0]])


def _check_spread(points: FloatArray, name: str) -> None:
    """Reject collinear sets, and for exactly 4 points any collinear triple (H undetermined)."""
    t = _normaliser(points)
    p = points @ t[:2, :2].T + t[:2, 2]
    sv = np.linalg.svd(p, compute_uv=False)
    if sv[1] / sv[0] < _COLLINEAR_AREA:
        raise CalibrationError(f"all {len(points)} {name} are (nearly) collinear")
    if len(points) == 4:
        for i, j, k in combinations(range(4), 3):
            a, b = p[j] - p[i], p[k] - p[i]
            if abs(a[0] * b[1] - a[1] * b[0]) / 2 < _COLLINEAR_AREA:
                raise CalibrationError(
                    f"{name} {i}, {j} and {k} are (nearly) collinear: with only 4 pairs no three "
                    "may lie on one line; move a point or add more pairs"
                )


def fit_homography(image_points: Any, ground_points: Any, *, refine: bool = True) -> FloatArray:
    """Least-squares image-to-ground homography from >= 4 pairs (normalised DLT).

    Args:
        image_points: (n, 2) pixels.
        ground_points: (n, 2) metres, same order.
        refine: with more than 4 pairs, polish the DLT solution by minimising the ground-plane
            error in metres (the quantity contact rules care about) rather than the algebraic one.

    Returns:
        (3, 3) matrix H with [x, y, 1] ~ H @ [u, v, 1].

    Raises:
        CalibrationError: fewer than 4 pairs, mismatched counts, or a degenerate configuration.

    Example:
        >>> img = [[0, 0], [100, 0], [100, 100], [0, 100]]
        >>> h = fit_homography(img, [[0, 0], [1, 0], [1, 1], [0, 1]])
        >>> bool(np.allclose(h / h[2, 2], np.diag([0.01, 0.01, 1])))
        True
    """
    img = as_points(image_points, "image points")
    gnd = as_points(ground_points, "ground points")
    if len(img) != len(gnd):
        raise CalibrationError(f"got {len(img)} image points but {len(gnd)} ground points")
    if len(img) < 4:
        raise CalibrationError(f"a homography needs at least 4 point pairs, got {len(img)}")
    _check_spread(img, "image points")
    _check_spread(gnd, "ground points")
    ti, tg = _normaliser(img), _normaliser(gnd)
    pi = img @ ti[:2, :2].T + ti[:2, 2]
    pg = gnd @ tg[:2, :2].T + tg[:2, 2]
    n = len(img)
    a = np.zeros((2 * n, 9))
    ones = np.ones(n)
    a[0::2, 0:3] = -np.column_stack([pi, ones])
    a[0::2, 6:9] = pg[:, :1] * np.column_stack([pi, ones])
    a[1::2, 3:6] = -np.column_stack([pi, ones])
    a[1::2, 6:9] = pg[:, 1:] * np.column_stack([pi, ones])
    _, sv, vt = np.linalg.svd(a)
    if sv[7] / sv[0] < _DLT_RANK_RATIO:
        raise CalibrationError(
            "point pairs do not determine a homography (degenerate configuration, singular value "
            f"ratio {sv[7] / sv[0]:.2e}); spread the points over the ground plane"
        )
    h_norm = vt[-1].reshape(3, 3)
    if np.linalg.cond(h_norm) > _MAX_CONDITION:
        raise CalibrationError(
            "the best-fitting homography is singular: the pairs are degenerate (e.g. all but one "
            "point on a line); spread the points over the ground plane"
        )
    h: FloatArray = np.linalg.inv(tg) @ h_norm @ ti
    w = np.column_stack([img, ones]) @ h[2]
    if not ((w > 0).all() or (w < 0).all()):
        raise CalibrationError("image points lie on both sides of the fitted horizon")
    h = np.asarray(h / np.linalg.norm(h) * np.sign(w[0]), dtype=np.float64)
    if refine and n > 4:
        h = _refine(h, img, gnd)
    return h


def _refine(h: FloatArray, img: FloatArray, gnd: FloatArray) -> FloatArray:
    """Levenberg-Marquardt on ground residuals (metres); keeps the DLT result if it got worse."""
    homog = np.column_stack([img, np.ones(len(img))])

    def residuals(params: FloatArray) -> FloatArray:
        m = params.reshape(3, 3)
        p = homog @ m.T
        return (p[:, :2] / p[:, 2:] - gnd).ravel()

    before = float(np.sum(residuals(h.ravel()) ** 2))
    result = least_squares(residuals, h.ravel(), method="lm")
    if not result.success or float(np.sum(result.fun**2)) > before:
        return h
    refined: FloatArray = np.asarray(result.x, dtype=np.float64).reshape(3, 3)
    return np.asarray(refined / np.linalg.norm(refined) * np.sign(refined[2] @ homog[0]))
