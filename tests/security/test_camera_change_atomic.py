"""A camera change and its audit entry commit together, or neither does.

As found (AUDIT, 2026-12-06): `add_camera` saved the camera, then wrote the `camera_put` entry in
a second transaction. A failure between the two (a full disk, a locked audit key, a crash) left a
changed retention or calibration in force with no trace of who changed it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from epitrace.app.ingest_cameras import add_camera
from epitrace.config import Settings
from epitrace.ingest import CameraConfig
from epitrace.privacy import audit
from epitrace.privacy.audit import entries
from epitrace.store import open_store


def test_a_failed_audit_entry_leaves_the_camera_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path / "home")
    store = open_store(settings)
    add_camera(settings, store, CameraConfig(id="gate-3", retention_days=30), actor="root")
    assert [e.action for e in entries(store)] == ["camera_put"]

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("audit log unwritable")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(OSError):
        add_camera(settings, store, CameraConfig(id="gate-3", retention_days=36500), actor="mallory")
    with pytest.raises(OSError):
        add_camera(settings, store, CameraConfig(id="gate-4"), actor="mallory")
    monkeypatch.undo()

    assert store.get_camera("gate-3").retention_days == 30  # the change went with its entry
    assert [c.id for c in store.list_cameras()] == ["gate-3"]
    assert [e.action for e in entries(store)] == ["camera_put"]
