"""Simulated differences between cameras, applied to gallery crops for re-ID evaluation.

A second camera sees the same person with another white balance, exposure, focus and
resolution. The shared re-ID crops come from one camera, so these deterministic transforms
stand in for the second one: each is reported separately and combined, so a vector's
robustness to each cause can be measured (`epitrace eval reid --shift NAME`).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

Crop = npt.NDArray[np.uint8]


def white_balance(crop: Crop, gains_bgr: tuple[float, float, float] = (0.75, 1.0, 1.25)) -> Crop:
    """Per-channel gains (a warmer white balance by default: blue down, red up)."""
    out = crop.astype(np.float32) * np.asarray(gains_bgr, np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def exposure(crop: Crop, gain: float = 0.6, gamma: float = 1.2) -> Crop:
    """Darker exposure with a different tone curve (gain, then gamma on 0-1 values)."""
    x = crop.astype(np.float32) / 255.0
    out = np.clip(gain * x, 0.0, 1.0) ** gamma
    return np.clip(out * 255.0, 0, 255).astype(np.uint8)


def blur(crop: Crop, sigma: float = 1.5) -> Crop:
    """Defocus / motion softness: a Gaussian blur."""
    return np.asarray(cv2.GaussianBlur(crop, (0, 0), sigma), np.uint8)


def resolution(crop: Crop, factor: float = 0.5) -> Crop:
    """A farther or lower-resolution camera: down-sample by `factor` and back up."""
    h, w = crop.shape[:2]
    small = cv2.resize(crop, (max(1, round(w * factor)), max(1, round(h * factor))),
                       interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)


def combined(crop: Crop) -> Crop:
    """All four at once, milder each: another camera as a whole."""
    out = white_balance(crop, (0.85, 1.0, 1.15))
    out = exposure(out, 0.75, 1.1)
    out = blur(out, 1.0)
    return resolution(out, 0.6)


SHIFTS: dict[str, Callable[[Crop], Crop]] = {
    "none": lambda crop: crop,
    "white_balance": white_balance,
    "exposure": exposure,
    "blur": blur,
    "resolution": resolution,
    "combined": combined,
}
"""Named gallery transforms; "none" is the unshifted baseline."""


def apply_shift(name: str, crops: list[Crop]) -> list[Crop]:
    """`crops` as the camera difference `name` (a key of SHIFTS) would show them."""
    if name not in SHIFTS:
        raise ValueError(f"unknown camera shift {name!r}; choose from {', '.join(SHIFTS)}")
    return [SHIFTS[name](c) for c in crops]
