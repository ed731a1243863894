"""Registering cameras: the calibration file never names the store's own files, and every change is audited.

Issue 12 F4: a Tsai XML calibration naming the database made the server read (and lock) it. F6:
camera changes were not audited from the CLI. Both front ends register through `add_camera`.
"""

from __future__ import annotations

from pathlib import Path

from epitrace.app.ingest_rules import refuse_store_path
from epitrace.config import Settings
from epitrace.ingest import CameraConfig, register_camera
from epitrace.store import Store


def calibration_file(settings: Settings, path: Path | str, what: str = "a calibration file") -> Path:
    """`path` resolved, unless it lies in EpiTrace's home or names its database or keys."""
    return refuse_store_path(path, settings, what)


def add_camera(settings: Settings, store: Store, cfg: CameraConfig, *, actor: str,
               base_dir: Path | None = None) -> None:
    """Add or replace one camera (its calibration must build), audited as `camera_put`."""
    from epitrace.geometry.spec import TsaiXmlCalibrationSpec
    from epitrace.privacy.audit import record

    spec = cfg.calibration
    if isinstance(spec, TsaiXmlCalibrationSpec):
        where = spec.path if spec.path.is_absolute() or base_dir is None else base_dir / spec.path
        checked = spec.model_copy(update={"path": calibration_file(settings, where)})
        cfg = cfg.model_copy(update={"calibration": checked})
    register_camera(store, cfg, base_dir=base_dir)
    record(store, user=actor, action="camera_put", detail={"camera": cfg.id})
