"""The Tsai (1987) camera model used by the PETS calibrations, mapped onto the ground plane z=0.

PETS 2009 ships one XML file per view with Reg Willson's Tsai parameters: sensor geometry,
focal length, one radial distortion term kappa1, and a rigid world-to-camera transform, with the
world in millimetres. A homography fitted to the same scene ignores the lens distortion; this
model keeps it, which matters at the image edges of wide-angle CCTV lenses.

Conventions follow Willson's reference implementation (`cal_tran.c`):
image -> distorted sensor (mm) -> undistorted sensor (closed form, Xu = Xd (1 + k r_d^2)) ->
camera ray -> intersection with z = 0. The reverse direction inverts the distortion, which has no
closed form, by Newton iteration on the radius.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from epitrace.geometry.calibration import Calibration, CalibrationError, FloatArray, as_points

logger = logging.getLogger(__name__)

BoolArray = npt.NDArray[np.bool_]

_MM_PER_M = 1000.0
_NEWTON_STEPS = 50
_NEWTON_TOL_MM = 1e-12
# Ray/plane incidence below which a pixel is treated as on the horizon.
_HORIZON_EPS = 1e-9

_ATTRIBUTES = {
    "Geometry": ("width", "height", "ncx", "nfx", "dx", "dy", "dpx", "dpy"),
    "Intrinsic": ("focal", "kappa1", "cx", "cy", "sx"),
    "Extrinsic": ("tx", "ty", "tz", "rx", "ry", "rz"),
}


@dataclass(frozen=True)
class TsaiCamera:
    """Tsai parameters as stored in a PETS XML file (lengths in millimetres, angles in radians).

    Attributes:
        width, height: image size the calibration was made for, pixels.
        dpx, dpy: effective pixel pitch on the sensor, mm/pixel.
        focal: focal length, mm.
        kappa1: radial distortion, 1/mm^2.
        cx, cy: principal point, pixels.
        sx: horizontal scale uncertainty factor.
        tx, ty, tz: world-to-camera translation, mm.
        rx, ry, rz: world-to-camera rotation angles, radians.
    """

    width: int
    height: int
    dpx: float
    dpy: float
    focal: float
    kappa1: float
    cx: float
    cy: float
    sx: float
    tx: float
    ty: float
    tz: float
    rx: float
    ry: float
    rz: float

    @property
    def rotation(self) -> FloatArray:
        """World-to-camera rotation, Willson's r1..r9 row-major."""
        sa, ca = np.sin(self.rx), np.cos(self.rx)
        sb, cb = np.sin(self.ry), np.cos(self.ry)
        sg, cg = np.sin(self.rz), np.cos(self.rz)
        return np.array(
            [
                [cb * cg, cg * sa * sb - ca * sg, sg * sa + ca * cg * sb],
                [cb * sg, sg * sa * sb + ca * cg, ca * sg * sb - cg * sa],
                [-sb, cb * sa, ca * cb],
            ]
        )

    @property
    def translation(self) -> FloatArray:
        """World-to-camera translation, mm."""
        return np.array([self.tx, self.ty, self.tz])


def read_tsai_xml(path: str | Path) -> TsaiCamera:
    """Parse a PETS `<Camera>` XML file; raise `CalibrationError` naming what is wrong."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError as exc:
        raise CalibrationError(f"Tsai calibration file not found: {path}") from exc
    except (ET.ParseError, OSError) as exc:
        raise CalibrationError(f"cannot parse Tsai calibration XML {path}: {exc}") from exc
    values: dict[str, float] = {}
    for tag, names in _ATTRIBUTES.items():
        elem = root.find(tag) if root.tag != tag else root
        if elem is None:
            raise CalibrationError(f"{path}: missing <{tag}> element (need {', '.join(names)})")
        for name in names:
            raw = elem.get(name)
            if raw is None:
                raise CalibrationError(f"{path}: <{tag}> lacks attribute {name!r}")
            try:
                values[name] = float(raw)
            except ValueError as exc:
                raise CalibrationError(f"{path}: <{tag} {name}={raw!r}> is not a number") from exc
            if not np.isfinite(values[name]):
                raise CalibrationError(f"{path}: <{tag} {name}> is not finite: {raw!r}")
    for name in ("width", "height", "dpx", "dpy", "focal", "sx"):
        if values[name] <= 0:
            raise CalibrationError(f"{path}: {name} must be positive, got {values[name]}")
    floats = {k: v for k, v in values.items() if k in TsaiCamera.__dataclass_fields__}
    del floats["width"], floats["height"]
    return TsaiCamera(width=int(values["width"]), height=int(values["height"]), **floats)


class TsaiCalibration(Calibration):
    """Ground-plane mapping through a Tsai camera, optionally for a resized video.

    Args:
        camera: the Tsai parameters.
        image_size: (width, height) of the frames this calibration will see, pixels; pixel
            coordinates are rescaled from the calibrated size (PETS: 768x576) when they differ.
    """

    def __init__(self, camera: TsaiCamera, image_size: tuple[int, int] | None = None) -> None:
        self.camera = camera
        width, height = image_size or (camera.width, camera.height)
        if width <= 0 or height <= 0:
            raise CalibrationError(f"image_size must be positive, got {(width, height)}")
        self.image_size = (int(width), int(height))
        self._scale = np.array([camera.width / width, camera.height / height])
        self._rot = camera.rotation
        self._centre_world = -self._rot.T @ camera.translation  # camera centre, mm
        if self._centre_world[2] <= 0:
            raise CalibrationError(
                f"camera centre is not above the ground plane (z = {self._centre_world[2]:.1f} mm)"
            )

    @classmethod
    def from_xml(
        cls, path: str | Path, image_size: tuple[int, int] | None = None
    ) -> TsaiCalibration:
        """Read a PETS XML calibration (see `read_tsai_xml`)."""
        return cls(read_tsai_xml(path), image_size)

    def image_to_ground(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) pixels to ground metres: undistort, back-project, intersect z = 0."""
        c = self.camera
        pix = as_points(points, "image points") * self._scale
        xd = c.dpx * (pix[:, 0] - c.cx) / c.sx
        yd = c.dpy * (pix[:, 1] - c.cy)
        factor = 1.0 + c.kappa1 * (xd**2 + yd**2)
        rays_cam = np.column_stack([xd * factor, yd * factor, np.full(len(pix), c.focal)])
        rays_world = rays_cam @ self._rot  # R^T applied to each row
        dz = rays_world[:, 2]
        norm = np.linalg.norm(rays_world, axis=1)
        # The ray must point down towards the ground: s = -C_z / d_z > 0.
        bad = dz >= -_HORIZON_EPS * norm
        out = np.full((len(pix), 2), np.nan)
        ok = ~bad
        s = -self._centre_world[2] / dz[ok]
        out[ok] = (self._centre_world[:2] + s[:, None] * rays_world[ok, :2]) / _MM_PER_M
        self._report(bad, pix / self._scale, strict, "image points")
        return out

    def ground_to_image(self, points: Any, *, strict: bool = True) -> FloatArray:
        """Map (n, 2) ground metres to pixels: project, distort, scale to the frame size."""
        c = self.camera
        gnd = as_points(points, "ground points")
        world = np.column_stack([gnd * _MM_PER_M, np.zeros(len(gnd))])
        cam = world @ self._rot.T + c.translation
        bad = cam[:, 2] <= _HORIZON_EPS * np.linalg.norm(cam, axis=1)
        out = np.full((len(gnd), 2), np.nan)
        ok = ~bad
        xu = c.focal * cam[ok, 0] / cam[ok, 2]
        yu = c.focal * cam[ok, 1] / cam[ok, 2]
        ratio, converged = self._distortion_ratio(np.hypot(xu, yu))
        pix = np.column_stack([xu * ratio * c.sx / c.dpx + c.cx, yu * ratio / c.dpy + c.cy])
        pix[~converged] = np.nan
        out[ok] = pix / self._scale
        bad[np.flatnonzero(ok)[~converged]] = True
        self._report(bad, gnd, strict, "ground points")
        return out

    def _distortion_ratio(self, ru: FloatArray) -> tuple[FloatArray, BoolArray]:
        """Solve r_u = r_d (1 + k r_d^2) for r_d by Newton; return r_d / r_u and convergence."""
        k = self.camera.kappa1
        rd = ru.copy()
        for _ in range(_NEWTON_STEPS):
            f = rd * (1.0 + k * rd**2) - ru
            fp = 1.0 + 3.0 * k * rd**2
            step = np.where(np.abs(fp) > 0, f / np.where(fp == 0, 1.0, fp), 0.0)
            rd = rd - step
            if np.all(np.abs(step) < _NEWTON_TOL_MM):
                break
        residual = np.abs(rd * (1.0 + k * rd**2) - ru)
        # For k < 0 the lens model folds back beyond r_d = 1/sqrt(-3k): no unique image point.
        monotone = 1.0 + 3.0 * k * rd**2 > 0
        converged = (residual < 1e-9 * np.maximum(1.0, ru)) & monotone & (rd >= 0)
        ratio = np.where(ru > 0, rd / np.where(ru > 0, ru, 1.0), 1.0)
        return ratio, converged

    @staticmethod
    def _report(bad: BoolArray, points: FloatArray, strict: bool, what: str) -> None:
        if bad.any() and strict:
            first = int(np.flatnonzero(bad)[0])
            raise CalibrationError(
                f"{int(bad.sum())} of {len(points)} {what} lie at or beyond the horizon or outside "
                f"the lens model, first at row {first}: {points[first].tolist()}"
            )
