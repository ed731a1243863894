"""The camera registry: validated camera entries (CLI or cameras.yaml) and their calibration."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from epitrace.geometry import (
    Calibration,
    CalibrationSpec,
    ReprojectionStats,
    TsaiXmlCalibrationSpec,
    build_calibration,
    parse_calibration_spec,
)
from epitrace.store import Camera, Store, Unit

if TYPE_CHECKING:
    from epitrace.ingest.finalise import GroundMapper


class CameraConfig(BaseModel):
    """One camera as an engineer declares it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Stable camera id.")
    name: str = Field("", description="Human name, e.g. 'Station square north'.")
    place: str = Field("", description="Where it is (address, building, floor).")
    latitude: float | None = Field(None, ge=-90, le=90, description="Degrees north.")
    longitude: float | None = Field(None, ge=-180, le=180, description="Degrees east.")
    timezone: str = Field("UTC", description="IANA zone of the camera's clock.")
    fps: float | None = Field(None, ge=0.1, le=240, description="True frame rate (overrides the file's).")
    retention_days: int | None = Field(None, ge=1, le=36_500, description="Retention override, days (<= 100 years).")
    calibration: CalibrationSpec | None = Field(None, description="Image-to-ground calibration.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Seoul)") from exc
        return value


def _resolved_spec(cfg: CameraConfig, base_dir: Path | None) -> dict[str, Any] | None:
    spec = cfg.calibration
    if spec is None:
        return None
    if isinstance(spec, TsaiXmlCalibrationSpec) and not spec.path.is_absolute() and base_dir:
        spec = spec.model_copy(update={"path": (base_dir / spec.path).resolve()})
    return spec.model_dump(mode="json")


def register_camera(store: Store, cfg: CameraConfig, base_dir: Path | None = None, *,
                    session: Unit | None = None) -> Calibration | None:
    """Validate the calibration (it must build) and then add or replace the camera (in `session`'s unit)."""
    spec = _resolved_spec(cfg, base_dir)
    calibration = build_calibration(spec) if spec is not None else None
    store.upsert_camera(session=session, camera=Camera(
        id=cfg.id, name=cfg.name or cfg.id, place=cfg.place, latitude=cfg.latitude,
        longitude=cfg.longitude, timezone=cfg.timezone, fps_override=cfg.fps,
        calibration=spec, retention_days=cfg.retention_days,
    ))
    return calibration


def load_cameras_yaml(path: Path) -> list[CameraConfig]:
    """Read a cameras.yaml: a list of camera entries (or {cameras: [...]})."""
    data = yaml.safe_load(path.read_text())
    entries = data.get("cameras", []) if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of cameras")
    return [CameraConfig.model_validate(e) for e in entries]


def camera_calibration(camera: Camera) -> Calibration | None:
    """The calibration stored with `camera`, or None if uncalibrated."""
    return None if camera.calibration is None else build_calibration(camera.calibration)


def ground_mapper(spec: dict[str, Any] | None) -> GroundMapper | None:
    """Pixel -> ground metres (non-strict) with a camera's calibration `spec`, built once.

    None if the camera is uncalibrated.
    """
    if spec is None:
        return None
    calibration = build_calibration(spec)

    def to_ground(points: npt.NDArray[np.float32]) -> npt.NDArray[np.floating[Any]]:
        return calibration.image_to_ground(points, strict=False)
    to_ground.calibration = calibration  # type: ignore[attr-defined]  # heights need the full model
    return to_ground


def check_calibration(camera: Camera) -> ReprojectionStats | None:
    """Reprojection error of the camera's calibration on its own point pairs (if any)."""
    if camera.calibration is None:
        return None
    spec = parse_calibration_spec(camera.calibration)
    calibration = build_calibration(spec)
    if spec.type == "points":
        return calibration.reprojection_error(spec.image, spec.ground)
    return calibration.reprojection_error()
