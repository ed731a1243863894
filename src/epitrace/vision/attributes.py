"""Describable attributes of a person: named upper/lower clothing colours and height in metres.

A patient who gives no photo can still say "red jacket, black trousers, about 1.7 m". These are
the words an investigator types, so the colours are named from a fixed palette (not a vector),
measured on the person box's torso band (20-50% of its height) and leg band (55-90%), inside a
central column mask that leaves out most background. Each pixel is named by HSV rules and a
band's colour is the vote of its pixels over every sample of the track, which survives a few
bad crops. Height needs a camera model that sees out of the ground plane: a Tsai calibration
has one; a ground homography gives one too once the principal point is taken as the frame's
centre (`geometry.pose`; on PETS its heights read 7.6 cm shorter than the Tsai model's on the
same boxes, `tests/unit/test_pose.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.geometry import Calibration, TsaiCalibration
from epitrace.geometry.pose import camera_pose, heights_above_feet
from epitrace.store.records import AttributesRecord

PALETTE: tuple[str, ...] = ("black", "white", "grey", "red", "orange", "yellow", "green", "blue",
                            "purple", "pink", "brown")
UPPER_BAND = (0.20, 0.50)  # fraction of the box height: torso
LOWER_BAND = (0.55, 0.90)  # legs, above the feet and the ground they touch
CENTRE = (0.30, 0.70)  # fraction of the box width kept: the body, not the background
MIN_HEIGHT_M, MAX_HEIGHT_M = 1.0, 2.3  # per-frame estimates outside this are bad boxes, not people

_INDEX = {name: i for i, name in enumerate(PALETTE)}


@dataclass(frozen=True)
class ColourName:
    """A band's named colour and the share of its pixels that voted for it."""

    name: str
    share: float


@dataclass(frozen=True)
class Height:
    """A track's height: median of its per-frame estimates and their robust spread (metres)."""

    metres: float
    spread: float  # 1.4826 * MAD of the per-frame estimates, at least the calibration floor
    frames: int


@dataclass(frozen=True)
class PersonAttributes:
    """What a person looks like in words; the same text explains a search candidate."""

    upper: ColourName | None
    lower: ColourName | None
    height: Height | None

    def describe(self) -> str:
        """E.g. "red upper, black lower, 1.72 m +- 0.08"."""
        parts = [f"{self.upper.name} upper" if self.upper else "upper unknown",
                 f"{self.lower.name} lower" if self.lower else "lower unknown"]
        if self.height is not None:
            parts.append(f"{self.height.metres:.2f} m +- {self.height.spread:.2f}")
        return ", ".join(parts)


def name_pixels(bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Palette index of every pixel of an (h, w, 3) BGR image, flattened.

    Dark pixels are black, unsaturated ones white or grey by brightness, the rest are named by hue
    (OpenCV hue 0-179), with dark oranges called brown and light reds/purples called pink.
    """
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.int32)
    h, s, v = hsv[:, 0], hsv[:, 1], hsv[:, 2]
    out = np.full(len(hsv), _INDEX["grey"], np.int64)
    hue = np.select(
        [(h < 8) | (h >= 160), h < 20, h < 34, h < 85, h < 130, h < 145],
        [_INDEX["red"], _INDEX["orange"], _INDEX["yellow"], _INDEX["green"], _INDEX["blue"], _INDEX["purple"]],
        _INDEX["pink"])
    hue = np.where((hue == _INDEX["orange"]) & (v < 150), _INDEX["brown"], hue)
    hue = np.where((hue == _INDEX["red"]) & (s < 110) & (v > 150), _INDEX["pink"], hue)
    # Blue cloth (denim) under grey daylight is weakly saturated; other hues need more to count.
    min_s = np.where(hue == _INDEX["blue"], 35, np.where(v < 110, 90, 55))
    chromatic = (s >= min_s) & (v >= 45)
    out = np.where(chromatic, hue, out)
    out = np.where(~chromatic & (v >= 185), _INDEX["white"], out)
    out = np.where(~chromatic & ((v < 50) | ((v < 90) & (s < 60))), _INDEX["black"], out)
    return out


def _band(crop: npt.NDArray[np.uint8], band: tuple[float, float]) -> npt.NDArray[np.uint8]:
    """The central-column part of a horizontal band of a person crop."""
    hgt, wid = crop.shape[:2]
    y1, y2 = int(round(band[0] * hgt)), max(int(round(band[1] * hgt)), int(round(band[0] * hgt)) + 1)
    x1, x2 = int(round(CENTRE[0] * wid)), max(int(round(CENTRE[1] * wid)), int(round(CENTRE[0] * wid)) + 1)
    return crop[y1:y2, x1:x2]


def band_votes(crops: Sequence[npt.NDArray[np.uint8]], band: tuple[float, float]) -> npt.NDArray[np.float64]:
    """Share of each palette colour among the band pixels of all `crops` (zeros when none)."""
    counts = np.zeros(len(PALETTE), np.float64)
    for crop in crops:
        if crop.ndim != 3 or crop.shape[2] != 3 or crop.shape[0] < 4 or crop.shape[1] < 2:
            continue
        part = _band(np.ascontiguousarray(crop, np.uint8), band)
        if part.size:
            counts += np.bincount(name_pixels(part), minlength=len(PALETTE))
    total = counts.sum()
    return counts / total if total else counts


def _winner(votes: npt.NDArray[np.float64]) -> ColourName | None:
    if not votes.any():
        return None
    k = int(np.argmax(votes))
    return ColourName(PALETTE[k], float(votes[k]))


def body_colours(crops: Sequence[npt.NDArray[np.uint8]]) -> tuple[ColourName | None, ColourName | None]:
    """Upper- and lower-body colour names voted over every person crop of a track (BGR)."""
    return _winner(band_votes(crops, UPPER_BAND)), _winner(band_votes(crops, LOWER_BAND))


def _head_rays(cal: TsaiCalibration, pixels: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """World-frame ray directions (mm) through image pixels, undistorted as Tsai's model does."""
    c = cal.camera
    pix = pixels * np.array([c.width / cal.image_size[0], c.height / cal.image_size[1]])
    xd = c.dpx * (pix[:, 0] - c.cx) / c.sx
    yd = c.dpy * (pix[:, 1] - c.cy)
    factor = 1.0 + c.kappa1 * (xd**2 + yd**2)
    rays_cam = np.column_stack([xd * factor, yd * factor, np.full(len(pix), c.focal)])
    return np.asarray(rays_cam @ c.rotation, np.float64)


def box_heights(cal: Calibration, boxes: npt.NDArray[np.floating],
                image_size: tuple[int, int] | None = None) -> npt.NDArray[np.float64] | None:
    """Per-box standing height in metres (NaN where it cannot be measured), None when unmeasurable.

    The feet (bottom centre) map to the ground; the head (top centre) defines a ray; the height is
    that of the ray's point nearest the vertical line standing on the feet. A Tsai model gives the
    ray itself (with its lens distortion); any other calibration gives it through the camera pose
    recovered from the ground mapping and the frame's centre (`geometry.pose`), so it needs
    `image_size`.
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    if not isinstance(cal, TsaiCalibration):
        pose = None if image_size is None else camera_pose(cal, image_size)
        if pose is None:
            return None
        if len(b) == 0:
            return np.zeros(0)
        cx = (b[:, 0] + b[:, 2]) / 2
        feet_m = cal.image_to_ground(np.column_stack([cx, b[:, 3]]), strict=False)
        return heights_above_feet(pose, feet_m, np.column_stack([cx, b[:, 1]]))
    if len(b) == 0:
        return np.zeros(0)
    cx = (b[:, 0] + b[:, 2]) / 2
    feet = cal.image_to_ground(np.column_stack([cx, b[:, 3]]), strict=False) * 1000.0  # mm
    rays = _head_rays(cal, np.column_stack([cx, b[:, 1]]))
    centre = -cal.camera.rotation.T @ cal.camera.translation
    # The ray point whose ground position is nearest the feet: its z is the head's height.
    offset = centre[None, :2] - feet  # camera minus feet, horizontally
    dxy = rays[:, :2]
    norm2 = np.sum(dxy**2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = -np.sum(offset * dxy, axis=1) / norm2
    out = np.asarray((centre[2] + s * rays[:, 2]) / 1000.0, np.float64)
    out[~np.isfinite(feet).all(axis=1) | (norm2 < 1e-12)] = np.nan
    return out


def track_height(cal: Calibration | None, boxes: npt.NDArray[np.floating], *,
                 image_size: tuple[int, int] | None = None, floor_m: float = 0.04) -> Height | None:
    """A track's height from its boxes: median of the plausible per-box estimates, with spread."""
    if cal is None:
        return None
    per_box = box_heights(cal, boxes, image_size)
    if per_box is None:
        return None
    ok = per_box[np.isfinite(per_box) & (per_box >= MIN_HEIGHT_M) & (per_box <= MAX_HEIGHT_M)]
    if len(ok) == 0:
        return None
    med = float(np.median(ok))
    spread = max(1.4826 * float(np.median(np.abs(ok - med))), floor_m)
    return Height(med, spread, len(ok))


def person_attributes(crops: Sequence[npt.NDArray[np.uint8]], cal: Calibration | None,
                      boxes: npt.NDArray[np.floating], image_size: tuple[int, int] | None = None) -> PersonAttributes:
    """Colours from the track's body crops and height from its boxes through the calibration."""
    upper, lower = body_colours(crops)
    return PersonAttributes(upper, lower, track_height(cal, boxes, image_size=image_size))


class _HasPerson(Protocol):
    person: npt.NDArray[np.uint8]


def track_attributes(samples: Sequence[_HasPerson], boxes: npt.NDArray[np.floating],
                     cal: Calibration | None, image_size: tuple[int, int] | None = None) -> AttributesRecord:
    """The stored attributes of a finished track: colours over its body samples, height over its boxes."""
    a = person_attributes([s.person for s in samples], cal, boxes, image_size)
    return AttributesRecord(
        upper=a.upper.name if a.upper else None, upper_share=a.upper.share if a.upper else 0.0,
        lower=a.lower.name if a.lower else None, lower_share=a.lower.share if a.lower else 0.0,
        height_m=a.height.metres if a.height else None, height_spread_m=a.height.spread if a.height else None)
