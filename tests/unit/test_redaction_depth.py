"""Depth order for redaction: who stands in front of the subject, from the camera's calibration.

A synthetic pinhole camera (known position, tilted down and rolled) gives exact answers; the
PETS calibration checks the recovered camera position against its Tsai camera centre.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from epitrace.geometry import Calibration
from epitrace.geometry.tsai import TsaiCalibration
from epitrace.privacy.depth import DepthOrder, camera_ground_position, foot_points
from tests_paths import PETS, PETS_WORLD

SIZE = (768, 576)
CAMERA = np.array([3.0, -4.0, 6.0])  # ground x, y and height, metres


def rotation(tilt_deg: float, roll_deg: float, yaw_deg: float = 30.0) -> np.ndarray:
    """World-to-camera rotation: looking along yaw, tilted down by tilt, rolled about the view axis."""
    yaw, tilt, roll = np.radians([yaw_deg, tilt_deg, roll_deg])
    forward = np.array([np.cos(yaw) * np.cos(tilt), np.sin(yaw) * np.cos(tilt), -np.sin(tilt)])
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = np.cos(roll), np.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    return np.stack([right, down, forward])  # rows: camera x (right), y (down), z (forward)


def synthetic(roll_deg: float = 0.0) -> tuple[Calibration, np.ndarray, np.ndarray]:
    """A homography calibration of a pinhole camera at CAMERA, with its K and R."""
    k = np.array([[700.0, 0.0, SIZE[0] / 2], [0.0, 700.0, SIZE[1] / 2], [0.0, 0.0, 1.0]])
    r = rotation(25.0, roll_deg)
    t = -r @ CAMERA
    ground_to_image = k @ np.stack([r[:, 0], r[:, 1], t], axis=1)
    cal = Calibration.from_homography(np.linalg.inv(ground_to_image), reference_pixel=(384.0, 500.0))
    return cal, k, r


def project(k: np.ndarray, r: np.ndarray, ground_xy: np.ndarray) -> np.ndarray:
    """Pixels of ground points (z = 0)."""
    world = np.c_[ground_xy, np.zeros(len(ground_xy))]
    cam = (r @ (world - CAMERA).T).T
    pix = (k @ cam.T).T
    return pix[:, :2] / pix[:, 2:]


def person_box(foot_uv: np.ndarray, height_px: float = 80.0) -> np.ndarray:
    """A 30 x `height_px` person box standing on `foot_uv`."""
    u, v = foot_uv
    return np.array([u - 15, v - height_px, u + 15, v], np.float32)


def test_the_camera_position_is_recovered_from_a_homography() -> None:
    for roll in (0.0, 12.0):
        cal, _, _ = synthetic(roll)
        found = camera_ground_position(cal, SIZE)
        assert found is not None
        assert np.allclose(found, CAMERA[:2], atol=1e-3), (roll, found)


def test_pets_depth_order_agrees_with_the_true_ground_positions() -> None:
    xml, homography = PETS / "calibration" / "View_001.xml", PETS / "H_image768_to_world_m.txt"
    if not PETS_WORLD.exists():
        pytest.skip("shared PETS data not found")
    centre = TsaiCalibration.from_xml(xml)._centre_world[:2] / 1000  # the Tsai camera centre, metres
    order = DepthOrder(Calibration.from_homography(np.loadtxt(homography)), SIZE)
    assert order.camera is not None and np.linalg.norm(order.camera - centre) < 2.0, order.camera
    world = pd.read_csv(PETS_WORLD)
    agree = by_image = pairs = 0
    for _, people in world.groupby("frame"):
        true = np.hypot(people.x_m - centre[0], people.y_m - centre[1]).to_numpy()
        u, v = people.foot_u_768.to_numpy(), people.foot_v_768.to_numpy()
        found = order.distances(np.c_[u - 10, v - 60, u + 10, v])
        assert found is not None
        for i, j in zip(*np.triu_indices(len(true), 1), strict=True):
            if abs(true[i] - true[j]) >= 0.5:  # pairs 0.5 m or more apart in depth
                pairs += 1
                agree += (found[i] < found[j]) == (true[i] < true[j])
                by_image += (v[i] > v[j]) == (true[i] < true[j])
    assert pairs > 1000
    assert agree / pairs >= 0.995  # measured 0.9993 of 5600 pairs
    assert by_image < agree  # image height alone: 0.978


def test_nearer_on_the_ground_is_in_front_even_where_the_image_says_otherwise() -> None:
    cal, k, r = synthetic(roll_deg=12.0)
    order = DepthOrder(cal, SIZE)
    # subject 13 m from the camera; a bystander 12.5 m away, 20 degrees to the side of the rolled view
    direction = np.array([np.cos(np.radians(30.0)), np.sin(np.radians(30.0))])
    side = np.array([-direction[1], direction[0]])
    subject_xy = CAMERA[:2] + 13.0 * direction
    turn = np.radians(-20.0)
    near_xy = CAMERA[:2] + 12.5 * (np.cos(turn) * direction + np.sin(turn) * side)
    subject, near = (person_box(p) for p in project(k, r, np.stack([subject_xy, near_xy])))
    assert near[3] < subject[3]  # the rolled image puts the nearer person's feet higher ...
    assert order.in_front(near, subject)[0, 0]  # ... the ground plane still knows who is nearer
    assert not order.in_front(subject, near)[0, 0]
    assert not DepthOrder().in_front(near, subject)[0, 0]  # image height alone gets it wrong
    distances = order.distances(np.stack([subject, near]))
    assert distances is not None and np.allclose(distances, [13.0, 12.5], atol=1e-3)


def test_margin_needs_the_bystander_clearly_nearer() -> None:
    cal, k, r = synthetic()
    order = DepthOrder(cal, SIZE)
    direction = np.array([np.cos(np.radians(30.0)), np.sin(np.radians(30.0))])
    feet = project(k, r, np.stack([CAMERA[:2] + 13.0 * direction, CAMERA[:2] + 12.7 * direction]))
    subject, near = person_box(feet[0]), person_box(feet[1])
    assert order.in_front(near, subject, margin_m=0.0)[0, 0]
    assert not order.in_front(near, subject, margin_m=0.5)[0, 0]


def test_without_a_calibration_lower_feet_are_in_front() -> None:
    order = DepthOrder()
    boxes = np.array([[0, 0, 30, 100], [0, 0, 30, 120]], np.float32)
    assert order.distances(boxes) is None
    assert order.in_front(boxes, boxes[0])[:, 0].tolist() == [False, True]
    assert foot_points(boxes).tolist() == [[15.0, 100.0], [15.0, 120.0]]


def test_feet_beyond_the_horizon_fall_back_to_image_height() -> None:
    cal, _, _ = synthetic()
    order = DepthOrder(cal, SIZE)
    sky = np.array([[300, -400, 330, -300]], np.float32)  # feet above the horizon: no ground point
    ground = np.array([[300, 400, 330, 480]], np.float32)
    assert not np.isfinite(order.distances(sky)).any()  # type: ignore[arg-type]
    assert order.in_front(ground, sky)[0, 0] and not order.in_front(sky, ground)[0, 0]
