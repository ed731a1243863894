"""Camera pose and heights from a ground homography: a synthetic camera recovered exactly, the PETS
homography against the PETS Tsai model, and the mappings that cannot give a pose."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from epitrace.evaluation.mot import load_mot
from epitrace.geometry import HomographyCalibration, build_calibration
from epitrace.geometry.pose import camera_pose, heights_above_feet
from epitrace.vision.attributes import box_heights, track_height

SIZE = (768, 576)


def synthetic_camera(flip_y: bool = False) -> tuple[HomographyCalibration, np.ndarray, np.ndarray]:
    """A camera 6 m up, 12 m back, tilted 35 degrees down; its image-to-ground homography, K [R|t]."""
    f = 700.0
    k = np.array([[f, 0, SIZE[0] / 2], [0, f, SIZE[1] / 2], [0, 0, 1.0]])
    tilt = np.radians(90 + 35)  # optical axis looking along +y and down
    rx = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    rotation = rx  # rows: the camera axes (x right, y down the image, z forward) in world terms
    centre = np.array([2.0, -12.0, 6.0])
    t = -rotation @ centre
    p = k @ np.column_stack([rotation, t])
    if flip_y:  # ground coordinates with y pointing the other way (a left-handed ground frame)
        p = p @ np.diag([1.0, -1.0, 1.0, 1.0])
    ground_to_image = p[:, [0, 1, 3]]
    cal = HomographyCalibration(np.linalg.inv(ground_to_image), reference_pixel=(SIZE[0] / 2, SIZE[1] / 2))
    return cal, p, centre


def project(p: np.ndarray, points: np.ndarray) -> np.ndarray:
    h = np.column_stack([points, np.ones(len(points))]) @ p.T
    return h[:, :2] / h[:, 2:]


@pytest.mark.parametrize("flip_y", [False, True])
def test_a_synthetic_camera_and_a_person_height_are_recovered(flip_y: bool) -> None:
    cal, p, centre = synthetic_camera(flip_y)
    pose = camera_pose(cal, SIZE)
    assert pose is not None
    assert pose.centre[2] == pytest.approx(6.0, abs=1e-3)  # the camera's height, z towards it
    sign = -1.0 if flip_y else 1.0
    assert pose.centre[:2] == pytest.approx([2.0, sign * -12.0], abs=1e-3)
    people = np.array([[0.0, 3.0], [4.0, 6.0], [-3.0, 10.0]]) * np.array([1.0, sign])
    heights = np.array([1.62, 1.80, 1.95])
    feet = project(p, np.column_stack([people, np.zeros(3)]))
    heads = project(p, np.column_stack([people, heights]))
    assert heights_above_feet(pose, cal.image_to_ground(feet), heads) == pytest.approx(heights, abs=1e-3)
    boxes = np.column_stack([feet[:, 0] - 10, heads[:, 1], feet[:, 0] + 10, feet[:, 1]])
    assert box_heights(cal, boxes, SIZE) == pytest.approx(heights, abs=0.02)  # box centres: a pixel off at most
    assert box_heights(cal, boxes) is None  # no frame size, no principal point: no height, not a guess


def test_a_top_down_mapping_gives_no_pose() -> None:
    """A pure scale (a camera looking straight down) fixes no focal length: no pose, no height."""
    top_down = HomographyCalibration(np.diag([0.01, 0.01, 1.0]), reference_pixel=(384, 288))
    assert camera_pose(top_down, SIZE) is None
    assert track_height(top_down, np.array([[100, 100, 120, 160.0]]), image_size=SIZE) is None


def test_pets_homography_heights_agree_with_the_tsai_model(shared_data: Path) -> None:
    """The PETS homography (no camera model) gives heights within centimetres of the Tsai model's."""
    pets = shared_data / "pets2009_s2l1"
    tsai = build_calibration({"type": "tsai_xml", "path": str(pets / "calibration" / "View_001.xml")})
    hom = build_calibration({"type": "homography", "matrix": np.loadtxt(pets / "H_image768_to_world_m.txt").tolist(),
                             "image_size": list(SIZE)})
    pose = camera_pose(hom, SIZE)
    assert pose is not None
    tsai_centre = -tsai.camera.rotation.T @ tsai.camera.translation / 1000.0  # type: ignore[attr-defined]
    # the camera stands about 36 m from the ground origin: measured 1.8 m and 0.02 m off the Tsai model
    assert np.linalg.norm(pose.centre[:2] - tsai_centre[:2]) < 2.5 and abs(pose.centre[2] - tsai_centre[2]) < 0.3
    gt = load_mot(pets / "PETS2009-S2L1_gt_mot_768x576_frames0001-0400.txt")
    b = gt[["x", "y", "w", "h"]].to_numpy(float)
    boxes = np.column_stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]])
    by_tsai, by_hom = box_heights(tsai, boxes), box_heights(hom, boxes, SIZE)
    assert by_tsai is not None and by_hom is not None
    ok = np.isfinite(by_tsai) & np.isfinite(by_hom)
    assert ok.mean() > 0.95
    assert np.median(np.abs(by_hom[ok] - by_tsai[ok])) < 0.10  # measured 8.3 cm (bias -7.6 cm)
    assert 1.6 < np.median(by_hom[ok]) < 1.9
