"""Camera calibration: image pixels <-> ground-plane metres, so distances are real distances."""

from epitrace.geometry.calibration import Calibration, CalibrationError, ReprojectionStats
from epitrace.geometry.homography import HomographyCalibration, fit_homography
from epitrace.geometry.spec import (
    CalibrationSpec,
    HomographyCalibrationSpec,
    PointsCalibrationSpec,
    TsaiXmlCalibrationSpec,
    build_calibration,
    parse_calibration_spec,
)
from epitrace.geometry.tsai import TsaiCalibration, TsaiCamera, read_tsai_xml

__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationSpec",
    "HomographyCalibration",
    "HomographyCalibrationSpec",
    "PointsCalibrationSpec",
    "ReprojectionStats",
    "TsaiCalibration",
    "TsaiCamera",
    "TsaiXmlCalibrationSpec",
    "build_calibration",
    "fit_homography",
    "parse_calibration_spec",
    "read_tsai_xml",
]
