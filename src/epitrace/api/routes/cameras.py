"""The camera registry: list (staff), add or replace (admins; the calibration must build)."""

from __future__ import annotations

from fastapi import APIRouter, Path

from epitrace.api import schemas as S
from epitrace.api.deps import AdminUser, StaffUser, StoreDep
from epitrace.api.errors import errors
from epitrace.api.views import camera_out
from epitrace.ingest import CameraConfig

router = APIRouter(prefix="/api/cameras", tags=["cameras"])


@router.get("", responses=errors())
def list_cameras(user: StaffUser, store: StoreDep) -> S.CameraList:
    """Registered cameras with positions and calibration type."""
    cams = [camera_out(c) for c in store.list_cameras()]
    return S.CameraList(data=cams, count=len(cams))


@router.get("/{camera_id}", responses=errors(404))
def get_camera(user: StaffUser, store: StoreDep,
               camera_id: str = Path(pattern=S.ID_PATTERN, description="Camera id.")) -> S.CameraOut:
    return camera_out(store.get_camera(camera_id))


@router.put("", responses=errors())
def put_camera(body: CameraConfig, admin: AdminUser, store: StoreDep) -> S.CameraOut:
    """Add or replace a camera (same fields as a cameras.yaml entry)."""
    from epitrace.ingest import register_camera
    from epitrace.privacy.audit import record

    register_camera(store, body)
    record(store, user=admin.name, action="camera_put", detail={"camera": body.id})
    return camera_out(store.get_camera(body.id))
