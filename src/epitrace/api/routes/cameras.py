"""The camera registry: list (staff, operators), add or replace (admins, operators; the calibration must build)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from epitrace.api import schemas as S
from epitrace.api.deps import SettingsDep, StoreDep, roles
from epitrace.api.errors import errors
from epitrace.api.views import camera_out
from epitrace.app.cameras import CAMERA_READERS
from epitrace.app.ingest_rules import INGEST_ROLES
from epitrace.ingest import CameraConfig
from epitrace.privacy.users import User

router = APIRouter(prefix="/api/cameras", tags=["cameras"])
CameraReader = Annotated[User, roles(*CAMERA_READERS)]
"""Case staff and the operators who ingest into the cameras."""


@router.get("", responses=errors())
def list_cameras(user: CameraReader, store: StoreDep) -> S.CameraList:
    """Registered cameras with positions and calibration type."""
    cams = [camera_out(c) for c in store.list_cameras()]
    return S.CameraList(data=cams, count=len(cams))


@router.get("/{camera_id}", responses=errors(404))
def get_camera(user: CameraReader, store: StoreDep,
               camera_id: str = Path(pattern=S.ID_PATTERN, description="Camera id.")) -> S.CameraOut:
    """One registered camera."""
    return camera_out(store.get_camera(camera_id))


@router.put("", responses=errors())
def put_camera(body: CameraConfig, user: Annotated[User, roles(*INGEST_ROLES)], store: StoreDep,
               settings: SettingsDep) -> S.CameraOut:
    """Add or replace a camera (same fields as a cameras.yaml entry; admins and operators)."""
    from epitrace.app.ingest_cameras import add_camera

    add_camera(settings, store, body, actor=user.name)
    return camera_out(store.get_camera(body.id))
