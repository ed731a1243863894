"""Calibration against the real PETS 2009 S2L1 geometry, plus a table of every refusal."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from contextlib import nullcontext as does_not_raise
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from epitrace.geometry import (
    Calibration,
    CalibrationError,
    HomographyCalibration,
    ReprojectionStats,
    TsaiCalibration,
    build_calibration,
    fit_homography,
    parse_calibration_spec,
    read_tsai_xml,
)

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pets2009_s2l1"
XML = DATA / "calibration" / "View_001.xml"
H_FILE = DATA / "H_image768_to_world_m.txt"
WORLD_CSV = DATA / "PETS2009-S2L1_world_frames0000-0399.csv"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")

# Measured on the 2,396 foot points of frames 0-399 (see the report in docs): the CSV was made
# with the Tsai model, so it agrees to rounding (mean 0.25 mm, max 0.81 mm); the shared homography
# ignores lens distortion (mean 0.035 m, max 0.162 m). Limits leave ~50% headroom.
TSAI_MEAN_M, TSAI_MAX_M = 0.001, 0.002
H_MEAN_M, H_MAX_M = 0.05, 0.25

SQUARE_PX = [[0, 0], [100, 0], [100, 100], [0, 100]]
SQUARE_M = [[0, 0], [1, 0], [1, 1], [0, 1]]
VALID_XML = XML.read_text() if XML.is_file() else ""


@pytest.fixture(scope="module")
def pairs() -> tuple[np.ndarray, np.ndarray]:
    df = pd.read_csv(WORLD_CSV)
    assert list(df.columns) == ["frame", "id", "foot_u_768", "foot_v_768", "x_m", "y_m"]
    return df[["foot_u_768", "foot_v_768"]].to_numpy(), df[["x_m", "y_m"]].to_numpy()


@pytest.fixture(scope="module")
def tsai() -> TsaiCalibration:
    return TsaiCalibration.from_xml(XML)


@pytest.fixture(scope="module")
def shared_h() -> HomographyCalibration:
    return HomographyCalibration(np.loadtxt(H_FILE), reference_pixel=(384, 288))


def _within(stats: ReprojectionStats | None, mean_m: float, max_m: float) -> None:
    assert stats is not None
    assert stats.mean_m <= mean_m, stats
    assert stats.max_m <= max_m, stats


def test_tsai_maps_foot_points_to_world_csv(tsai: TsaiCalibration, pairs: Any) -> None:
    _within(tsai.reprojection_error(*pairs), TSAI_MEAN_M, TSAI_MAX_M)


def test_shared_homography_maps_foot_points_to_world_csv(shared_h: Any, pairs: Any) -> None:
    stats = shared_h.reprojection_error(*pairs)
    _within(stats, H_MEAN_M, H_MAX_M)
    assert stats.n_points == len(pairs[0])


def test_bare_homography_has_no_residuals_of_its_own(shared_h: HomographyCalibration) -> None:
    assert shared_h.reprojection_error() is None


def test_homography_fitted_on_24_pairs_reproduces_the_rest(pairs: Any) -> None:
    img, gnd = pairs
    fit = np.arange(0, len(img), 100)
    rest = np.setdiff1d(np.arange(len(img)), fit)
    cal = Calibration.from_point_pairs(img[fit], gnd[fit])
    own = cal.reprojection_error()  # residuals of the fitting pairs
    assert own is not None and own.n_points == len(fit) and own.max_m < 0.05
    # measured: mean 0.020 m, max 0.200 m on the 2,372 held-out points
    _within(cal.reprojection_error(img[rest], gnd[rest]), H_MEAN_M, H_MAX_M)


def test_four_pairs_fit_exactly() -> None:
    truth = np.array([[0.02, 0.001, -3.0], [0.0005, 0.03, 1.0], [0.0001, 0.002, 1.0]])
    img = np.array([[10.0, 20.0], [700.0, 40.0], [650.0, 500.0], [30.0, 560.0]])
    gnd = HomographyCalibration(truth).image_to_ground(img)
    h = fit_homography(img, gnd)
    np.testing.assert_allclose(h / h[2, 2], truth / truth[2, 2], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("model", ["tsai", "shared_h"])
def test_round_trip_image_ground_image(model: str, request: Any, pairs: Any) -> None:
    cal: Calibration = request.getfixturevalue(model)
    img, gnd = pairs
    np.testing.assert_allclose(cal.ground_to_image(cal.image_to_ground(img)), img, atol=1e-6)
    np.testing.assert_allclose(cal.image_to_ground(cal.ground_to_image(gnd)), gnd, atol=1e-6)


def test_tsai_rescales_pixels_for_a_resized_video(tsai: TsaiCalibration, pairs: Any) -> None:
    half = TsaiCalibration.from_xml(XML, image_size=(384, 288))
    img = pairs[0]
    np.testing.assert_allclose(half.image_to_ground(img / 2), tsai.image_to_ground(img))
    np.testing.assert_allclose(half.ground_to_image(pairs[1]), tsai.ground_to_image(pairs[1]) / 2)


def test_not_strict_returns_nan_rows_beyond_the_horizon(tsai: TsaiCalibration) -> None:
    out = tsai.image_to_ground([[384, 300], [384, -3000]], strict=False)
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "homography", "matrix": np.loadtxt(H_FILE).tolist(), "image_size": [768, 576]},
        {"type": "tsai_xml", "path": "calibration/View_001.xml", "image_size": [768, 576]},
        {"type": "points", "image": "FROM_CSV", "ground": "FROM_CSV"},
    ],
)
def test_build_calibration_from_yaml_like_specs(spec: dict[str, Any], pairs: Any) -> None:
    img, gnd = pairs
    if spec["type"] == "points":
        spec = {**spec, "image": img[::100].tolist(), "ground": gnd[::100].tolist()}
    cal = build_calibration(spec, base_dir=DATA)
    _within(cal.reprojection_error(img, gnd), H_MEAN_M, H_MAX_M)


@pytest.mark.parametrize(
    ("spec", "exception"),
    [
        ({"type": "homography", "matrix": np.eye(3).tolist()}, does_not_raise()),
        # misspelt key: refused, not ignored
        (
            {"type": "homography", "matrix": np.eye(3).tolist(), "imagesize": [1, 1]},
            pytest.raises(ValidationError, match="imagesize"),
        ),
        # unknown calibration type
        ({"type": "lidar", "path": "x"}, pytest.raises(ValidationError, match="lidar")),
        # a 3x2 "matrix"
        (
            {"type": "homography", "matrix": [[1, 0], [0, 1], [0, 0]]},
            pytest.raises(ValidationError),
        ),
        # pairs must pair up
        (
            {"type": "points", "image": SQUARE_PX, "ground": SQUARE_M[:3]},
            pytest.raises(ValidationError, match="ground has 3"),
        ),
        # well-formed spec, but only 3 pairs: the calibration itself refuses
        (
            {"type": "points", "image": SQUARE_PX[:3], "ground": SQUARE_M[:3]},
            pytest.raises(CalibrationError, match="at least 4"),
        ),
        # missing file
        (
            {"type": "tsai_xml", "path": "no/such.xml"},
            pytest.raises(CalibrationError, match="such"),
        ),
    ],
)
def test_spec_validation(spec: dict[str, Any], exception: AbstractContextManager[Any]) -> None:
    with exception:
        build_calibration(parse_calibration_spec(spec), base_dir=DATA)


def _xml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "camera.xml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        # fewer than 4 pairs
        (lambda: fit_homography(SQUARE_PX[:3], SQUARE_M[:3]), "at least 4 point pairs, got 3"),
        # unequal counts
        (lambda: fit_homography(SQUARE_PX, SQUARE_M + [[2, 2]]), "4 image points but 5 ground"),
        # wrong shape
        (lambda: fit_homography([[1, 2, 3]] * 4, SQUARE_M), r"shape \(n, 2\), got \(4, 3\)"),
        # NaN in the input
        (lambda: fit_homography([[0, 0], [1, np.nan], [1, 1], [0, 1]], SQUARE_M), "non-finite"),
        # 3 of 4 image points on one line
        (lambda: fit_homography([[0, 0], [50, 0], [100, 0], [0, 100]], SQUARE_M), "0, 1 and 2"),
        # 3 of 4 ground points on one line
        (lambda: fit_homography(SQUARE_PX, [[0, 0], [1, 1], [2, 2], [0, 1]]), "ground points 0"),
        # a repeated point is a degenerate triple too
        (lambda: fit_homography([[0, 0], [0, 0], [9, 9], [0, 9]], SQUARE_M), "collinear"),
        # many points, all on one line
        (
            lambda: fit_homography([[i, 2 * i] for i in range(6)], [[i, i * i] for i in range(6)]),
            "all 6 image points are \\(nearly\\) collinear",
        ),
        # all but one point on a line: no four in general position
        (
            lambda: fit_homography(
                [[0, 0], [10, 0], [20, 0], [30, 0], [5, 50]],
                [[0, 0], [1, 0], [2, 0], [3, 0], [0.5, 5]],
            ),
            "determine",
        ),
        # ... and when those line points disagree with any 1-D projective map, the fit is singular
        (
            lambda: fit_homography(
                [[0, 0], [10, 0], [20, 0], [30, 0], [5, 50]],
                [[0, 0], [1, 0], [2, 0], [3.5, 0], [0.5, 5]],
            ),
            "singular",
        ),
        # singular matrix
        (lambda: HomographyCalibration([[1, 2, 3], [2, 4, 6], [0, 0, 1]]), "singular"),
        (lambda: HomographyCalibration(np.zeros((3, 3))), "singular"),
        (lambda: HomographyCalibration([[np.inf, 0, 0], [0, 1, 0], [0, 0, 1]]), "non-finite"),
        (lambda: HomographyCalibration(np.eye(2)), "must be 3x3"),
        # w <= 0: the pixel v = 100 is on this homography's horizon, v = 150 beyond it
        (
            lambda: HomographyCalibration([[1, 0, 0], [0, 1, 0], [0, -0.01, 1]]).image_to_ground(
                [[5, 50], [5, 150]]
            ),
            "1 of 2 image points lie at or beyond the horizon",
        ),
        # a pixel far above the PETS view looks at the sky
        (lambda: TsaiCalibration.from_xml(XML).image_to_ground([[384, -3000]]), "horizon"),
        # a ground point behind the PETS camera has no pixel
        (lambda: TsaiCalibration.from_xml(XML).ground_to_image([[-135.0, -86.0]]), "horizon"),
        # a strong barrel lens (kappa1 < 0) folds back: far corners have no unique pixel
        (
            lambda: TsaiCalibration(replace(read_tsai_xml(XML), kappa1=-0.05)).ground_to_image(
                [[78.07, 7.92]]
            ),
            "outside the lens model",
        ),
        # a frame size of zero pixels
        (lambda: TsaiCalibration.from_xml(XML, image_size=(0, 576)), "must be positive"),
    ],
)
def test_calibration_errors(make: Callable[[], object], match: str) -> None:
    with pytest.raises(CalibrationError, match=match):
        make()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("<Camera><Geometry", "cannot parse"),  # truncated file
        (VALID_XML.replace("<Extrinsic", "<Extrinsics"), "missing <Extrinsic>"),
        (VALID_XML.replace('kappa1="', 'kappa2="'), "lacks attribute 'kappa1'"),
        (VALID_XML.replace('focal="5.5549183034e+00"', 'focal="five"'), "not a number"),
        (VALID_XML.replace('focal="5.5549183034e+00"', 'focal="nan"'), "not finite"),
        (VALID_XML.replace('dpx="5.1273271277e-03"', 'dpx="-1"'), "dpx must be positive"),
    ],
)
def test_malformed_tsai_xml(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(CalibrationError, match=match):
        read_tsai_xml(_xml(tmp_path, text))


def test_calibration_error_is_a_value_error() -> None:
    assert issubclass(CalibrationError, ValueError)
