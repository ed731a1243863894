"""The camera's pose from a ground-plane calibration: where it stands and how it looks.

Most cameras are calibrated by clicking floor points (a homography), which maps the ground but
says nothing of height or of where the camera is. Yet a plane homography is K [r1 r2 t] up to
scale: with square pixels and the principal point at the image centre (true of CCTV cameras to
a few per cent), r1 . r2 = 0 and |r1| = |r2| fix the focal length (both, by least squares: either
alone fails when a ground axis lies parallel to the image plane) and the rest follows. That is enough to
order people by distance from the camera (`privacy.depth`) and to measure how tall someone is
(`vision.attributes`). The ground frame's z axis points from the ground to the camera, whatever
the handedness of the ground coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.geometry.calibration import Calibration, CalibrationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CameraPose:
    """A pinhole camera in ground coordinates (metres, z up towards the camera).

    Attributes:
        centre: (3,) camera centre; z is its height above the ground.
        rays_from: (3, 3) matrix taking homogeneous pixels [u, v, 1] to world ray directions.
    """

    centre: FloatArray
    rays_from: FloatArray

    def rays(self, pixels: npt.ArrayLike) -> FloatArray:
        """World directions of the rays through `pixels` (n, 2)."""
        p = np.asarray(pixels, np.float64).reshape(-1, 2)
        return np.asarray(np.column_stack([p, np.ones(len(p))]) @ self.rays_from.T, np.float64)


def _ground_to_image(calibration: Calibration, size: tuple[int, int]) -> tuple[FloatArray, FloatArray] | None:
    """The ground-to-image homography, fitted to a grid of the image's lower half, and a seen ground point."""
    w, h = size
    u, v = np.meshgrid(np.linspace(0.1 * w, 0.9 * w, 5), np.linspace(0.5 * h, 0.95 * h, 5))
    image = np.stack([u.ravel(), v.ravel()], axis=1)
    try:
        ground = calibration.image_to_ground(image, strict=False)
    except (CalibrationError, ValueError):
        return None
    ok = np.isfinite(ground).all(axis=1)
    if ok.sum() < 4:
        return None
    hom, _ = cv2.findHomography(ground[ok], image[ok], 0)
    return None if hom is None else (np.asarray(hom, np.float64), ground[ok][len(ground[ok]) // 2])


def camera_pose(calibration: Calibration, image_size: tuple[int, int]) -> CameraPose | None:
    """The camera's pose, or None when the mapping cannot give one (e.g. a top-down view).

    Args:
        calibration: the camera's image-to-ground mapping.
        image_size: (width, height) of the frames, pixels: its centre is taken as the principal point.
    """
    w, h = image_size
    if w <= 0 or h <= 0:
        return None
    fitted = _ground_to_image(calibration, image_size)
    if fitted is None:
        return None
    hom, seen = fitted
    unit = float(max(w, h))  # focal lengths in units of the frame's size: the equations stay balanced
    k = np.array([[unit, 0.0, w / 2], [0.0, unit, h / 2], [0.0, 0.0, 1.0]])
    m = np.linalg.inv(k) @ hom  # columns (r1, r2, t) up to scale, rows 0-1 still times f / unit
    m /= np.linalg.norm(m[:, :2])
    # w = 1 / f^2 from r1 . r2 = 0 and |r1|^2 - |r2|^2 = 0, each linear in w: a w + b = 0
    a = np.array([m[0, 0] * m[0, 1] + m[1, 0] * m[1, 1], m[0, 0] ** 2 + m[1, 0] ** 2 - m[0, 1] ** 2 - m[1, 1] ** 2])
    b = np.array([m[2, 0] * m[2, 1], m[2, 0] ** 2 - m[2, 1] ** 2])
    if float(a @ a) < 1e-12 or float(b @ b) < 1e-12:  # a camera looking straight down: no focal length
        return None
    w_inv_f2 = -float(a @ b) / float(a @ a)
    if not np.isfinite(w_inv_f2) or w_inv_f2 <= 0:
        return None
    f = float(1.0 / np.sqrt(w_inv_f2))
    m[:2] /= f
    scale = 2.0 / (np.linalg.norm(m[:, 0]) + np.linalg.norm(m[:, 1]))
    r1, r2, t = m[:, 0] * scale, m[:, 1] * scale, m[:, 2] * scale
    if (r1 * seen[0] + r2 * seen[1] + t)[2] < 0:  # a ground point the camera sees lies in front of it
        r1, r2, t = -r1, -r2, -t
    rotation = np.stack([r1, r2, np.cross(r1, r2)], axis=1)
    centre = -rotation.T @ t
    up = 1.0 if centre[2] >= 0 else -1.0  # z towards the camera, for either handedness of (x, y)
    centre = centre * np.array([1.0, 1.0, up])
    k[0, 0] = k[1, 1] = f * unit
    rays_from = np.diag([1.0, 1.0, up]) @ rotation.T @ np.linalg.inv(k)
    if not (np.isfinite(centre).all() and np.isfinite(rays_from).all()):
        return None
    return CameraPose(np.asarray(centre, np.float64), np.asarray(rays_from, np.float64))


def heights_above_feet(pose: CameraPose, feet_ground: npt.ArrayLike, head_pixels: npt.ArrayLike) -> FloatArray:
    """Height (metres) of each head above its feet: the head ray's point nearest the feet's vertical.

    Args:
        pose: the camera.
        feet_ground: (n, 2) ground positions of the feet, metres.
        head_pixels: (n, 2) pixels of the heads (the boxes' top centres).
    """
    feet = np.asarray(feet_ground, np.float64).reshape(-1, 2)
    rays = pose.rays(head_pixels)
    offset = pose.centre[None, :2] - feet
    dxy = rays[:, :2]
    norm2 = np.sum(dxy**2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = -np.sum(offset * dxy, axis=1) / norm2
    out = np.asarray(pose.centre[2] + s * rays[:, 2], np.float64)
    out[~np.isfinite(feet).all(axis=1) | (norm2 < 1e-12)] = np.nan
    return out
