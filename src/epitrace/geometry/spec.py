"""Calibration as configuration: one `calibration:` entry per camera in cameras.yaml.

The three ways a site can know its ground plane are one discriminated union, so a typo in `type`
or an unknown key fails at load time with the allowed choices, not at the first contact query:

    calibration: {type: homography, matrix: [[...], [...], [...]]}
    calibration: {type: points, image: [[u, v], ...], ground: [[x, y], ...]}
    calibration: {type: tsai_xml, path: calibration/View_001.xml, image_size: [768, 576]}
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from epitrace.geometry.calibration import Calibration, CalibrationError
from epitrace.geometry.homography import HomographyCalibration
from epitrace.geometry.tsai import TsaiCalibration

logger = logging.getLogger(__name__)

Pixel = tuple[float, float]
Row3 = tuple[float, float, float]
ImageSize = tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]]


class _SpecBase(BaseModel):
    """Unknown keys are errors: a misspelt field must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PointsCalibrationSpec(_SpecBase):
    """Surveyed pairs: pixels of marks on the floor and their measured ground positions."""

    type: Literal["points"] = Field(description="Fit a homography to point pairs.")
    image: list[Pixel] = Field(description="Image points (u, v), pixels, in the camera's frames.")
    ground: list[Pixel] = Field(description="Ground positions (x, y) of the same points, metres.")

    @model_validator(mode="after")
    def _same_length(self) -> PointsCalibrationSpec:
        if len(self.image) != len(self.ground):
            raise ValueError(
                f"image has {len(self.image)} points but ground has {len(self.ground)}"
            )
        return self


class HomographyCalibrationSpec(_SpecBase):
    """A known image-to-ground homography (e.g. exported from another tool)."""

    type: Literal["homography"] = Field(description="Use a given 3x3 homography.")
    matrix: tuple[Row3, Row3, Row3] = Field(
        description="Row-major 3x3 matrix mapping [u, v, 1] pixels to [x, y, 1] metres."
    )
    image_size: ImageSize | None = Field(
        None,
        description="(width, height) of the frames, pixels; its centre fixes the matrix's sign "
        "(default: the pixel (0, 0) must show ground).",
    )


class TsaiXmlCalibrationSpec(_SpecBase):
    """A PETS/Tsai camera XML file (world in millimetres, ground plane z = 0)."""

    type: Literal["tsai_xml"] = Field(description="Read a Tsai camera model from XML.")
    path: Path = Field(description="XML file; relative paths resolve against the config's folder.")
    image_size: ImageSize | None = Field(
        None,
        description="(width, height) of the frames, pixels; pixel coordinates are rescaled when "
        "this differs from the size in the XML (PETS: 768x576). Default: the XML's size.",
    )


CalibrationSpec = Annotated[
    PointsCalibrationSpec | HomographyCalibrationSpec | TsaiXmlCalibrationSpec,
    Field(discriminator="type"),
]
"""Any calibration entry, chosen by its `type` key."""

AnySpec = PointsCalibrationSpec | HomographyCalibrationSpec | TsaiXmlCalibrationSpec
_ADAPTER: TypeAdapter[AnySpec] = TypeAdapter(CalibrationSpec)


def parse_calibration_spec(data: Mapping[str, Any]) -> AnySpec:
    """Validate a plain mapping (e.g. from YAML) into the matching spec model."""
    return _ADAPTER.validate_python(data)


def build_calibration(
    spec: AnySpec | Mapping[str, Any],
    base_dir: Path | None = None,
) -> Calibration:
    """Build the `Calibration` a spec describes.

    Args:
        spec: a spec model, or a mapping validated into one.
        base_dir: folder that relative `tsai_xml` paths are relative to (the cameras.yaml folder).

    Raises:
        CalibrationError: the spec's numbers or file cannot form a usable calibration.

    Example:
        >>> matrix = [[0.01, 0, 0], [0, 0.01, 0], [0, 0, 1]]
        >>> cal = build_calibration({"type": "homography", "matrix": matrix})
        >>> cal.image_to_ground([[100, 200]]).tolist()
        [[1.0, 2.0]]
    """
    if isinstance(spec, Mapping):
        spec = parse_calibration_spec(spec)
    if isinstance(spec, PointsCalibrationSpec):
        return HomographyCalibration.from_point_pairs(spec.image, spec.ground)
    if isinstance(spec, HomographyCalibrationSpec):
        ref = None if spec.image_size is None else (spec.image_size[0] / 2, spec.image_size[1] / 2)
        return HomographyCalibration(spec.matrix, reference_pixel=ref)
    if isinstance(spec, TsaiXmlCalibrationSpec):
        path = spec.path if spec.path.is_absolute() or base_dir is None else base_dir / spec.path
        return TsaiCalibration.from_xml(path, spec.image_size)
    raise CalibrationError(f"unsupported calibration spec: {type(spec).__name__}")
