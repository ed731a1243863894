"""Cameras as the front ends read them (registration stays with the ingest operators' commands)."""

from __future__ import annotations

from epitrace.app.services import Services
from epitrace.store.orm import Camera


def get_camera(services: Services, camera_id: str) -> Camera:
    """A registered camera (UnknownCameraError, a LookupError, names the registered ones)."""
    return services.store.get_camera(camera_id)


def list_cameras(services: Services) -> list[Camera]:
    """Every registered camera."""
    return services.store.list_cameras()
