"""Who stands in front of whom, from the camera's ground-plane calibration.

Redaction lets a bystander's mosaic cover the subject's head only when the bystander stands in
front of the subject (nearer the camera): someone behind is hidden by the subject's own head, so
mosaicking them over it protects nobody and costs the evidence its subject. Nearness is the
ground distance from the camera to each person's foot point (box bottom centre, mapped through
the calibration). The camera's ground position is recovered from the image-to-ground mapping
itself (a plane homography fixes it once the principal point is taken as the image centre), so
any calibration type works. Without a calibration, or where the mapping fails, the foot point
lower in the image is the nearer one (true for a level camera above the ground plane).
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from epitrace.geometry import Calibration
from epitrace.geometry.pose import camera_pose

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def foot_points(boxes: npt.ArrayLike) -> FloatArray:
    """Bottom centre (u, v) of each (x1, y1, x2, y2) box: where the person touches the ground."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, b[:, 3]], axis=1)


def camera_ground_position(calibration: Calibration, image_size: tuple[int, int]) -> FloatArray | None:
    """The ground point (x, y) metres below the camera, or None when the mapping cannot give it.

    From the camera pose the ground mapping implies (`geometry.pose`: principal point at the
    image centre, square pixels).

    Args:
        calibration: the camera's image-to-ground mapping.
        image_size: (width, height) of the frames, pixels.
    """
    pose = camera_pose(calibration, image_size)
    return None if pose is None else np.asarray(pose.centre[:2], np.float64)


class DepthOrder:
    """Orders people by ground distance from one camera (image height without a calibration).

    Example:
        >>> order = DepthOrder(calibration, (768, 576))  # doctest: +SKIP
        >>> order.in_front(bystander_boxes, subject_boxes)  # doctest: +SKIP
    """

    def __init__(self, calibration: Calibration | None = None, image_size: tuple[int, int] = (0, 0)) -> None:
        self.calibration = calibration
        self.camera = camera_ground_position(calibration, image_size) if calibration is not None else None
        if calibration is not None and self.camera is None:
            logger.warning("calibration gives no camera position: depth falls back to image height")

    def distances(self, boxes: npt.ArrayLike) -> FloatArray | None:
        """Ground distance (metres) from the camera to each box's foot point; None if unknown."""
        if self.calibration is None or self.camera is None:
            return None
        feet = foot_points(boxes)
        if not len(feet):
            return np.empty(0)
        ground = self.calibration.image_to_ground(feet, strict=False)
        return np.asarray(np.linalg.norm(ground - self.camera, axis=1), np.float64)

    def in_front(self, boxes: npt.ArrayLike, keep: npt.ArrayLike, margin_m: float = 0.0) -> npt.NDArray[np.bool_]:
        """(n, k): box i stands nearer the camera than keep box j (by more than `margin_m` metres).

        Pairs whose distance is unknown (no calibration, or a foot point beyond the horizon)
        compare by image height instead (no margin), so a failed mapping still orders them.
        """
        b, k = np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(keep, np.float64).reshape(-1, 4)
        by_image = b[:, None, 3] > k[None, :, 3]
        db, dk = self.distances(b), self.distances(k)
        if db is None or dk is None:
            return np.asarray(by_image, bool)
        by_ground = db[:, None] < dk[None, :] - margin_m
        known = np.isfinite(db)[:, None] & np.isfinite(dk)[None, :]
        return np.asarray(np.where(known, by_ground, by_image), bool)
