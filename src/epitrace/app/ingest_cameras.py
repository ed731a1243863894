"""Registering cameras: the calibration file never names the store's own files, and every change is audited.

Issue 12 F4: a Tsai XML calibration naming the database made the server read (and lock) it. F6:
camera changes were not audited from the CLI. Both front ends register through `add_camera`.
"""

from __future__ import annotations

from pathlib import Path

from epitrace.app.ingest_rules import refuse_store_path
from epitrace.config import Settings
from epitrace.ingest import CameraConfig, register_camera
from epitrace.store import Store, Unit


def calibration_file(settings: Settings, path: Path | str, what: str = "a calibration file") -> Path:
    """`path` resolved, unless it lies in EpiTrace's home or names its database or keys."""
    return refuse_store_path(path, settings, what)


AUDITED_FIELDS = ("name", "place", "latitude", "longitude", "timezone", "fps_override", "retention_days",
                  "calibration")
"""Camera fields whose change the audit entry spells out (old, new): retention decides what is kept."""


def _camera_values(store: Store, camera_id: str, tx: Unit) -> dict[str, object] | None:
    """The audited fields of a registered camera (the calibration by its type), or None when it is new."""
    try:
        cam = store.get_camera(camera_id, session=tx)
    except LookupError:
        return None
    values: dict[str, object] = {f: getattr(cam, f) for f in AUDITED_FIELDS}
    calibration = cam.calibration
    kind = calibration.get("type") if isinstance(calibration, dict) else getattr(calibration, "type", None)
    values["calibration"] = None if calibration is None else str(kind or "set")
    return values


def add_camera(settings: Settings, store: Store, cfg: CameraConfig, *, actor: str,
               base_dir: Path | None = None) -> None:
    """Add or replace one camera (its calibration must build), audited as `camera_put`.

    The entry names what changed, old and new (a retention of 1 day or of a century, a new
    calibration), not only the camera's id.
    """
    from epitrace.geometry.spec import TsaiXmlCalibrationSpec
    from epitrace.privacy.audit import record

    spec = cfg.calibration
    if isinstance(spec, TsaiXmlCalibrationSpec):
        where = spec.path if spec.path.is_absolute() or base_dir is None else base_dir / spec.path
        checked = spec.model_copy(update={"path": calibration_file(settings, where)})
        cfg = cfg.model_copy(update={"calibration": checked})
    with store.unit() as tx:  # the change and its audit entry commit together, or neither
        before = _camera_values(store, cfg.id, tx)
        register_camera(store, cfg, base_dir=base_dir, session=tx)
        after = _camera_values(store, cfg.id, tx) or {}
        old = before or dict.fromkeys(AUDITED_FIELDS)
        changed = {f: [old[f], after.get(f)] for f in AUDITED_FIELDS if old[f] != after.get(f)}
        record(store, user=actor, action="camera_put", detail={"camera": cfg.id, "new": before is None,
                                                              "changed": changed}, session=tx)
