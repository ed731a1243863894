"""Cameras as the front ends read them (registration stays with the ingest operators' commands)."""

from __future__ import annotations

from collections.abc import Callable

from epitrace.app.actors import STAFF
from epitrace.app.ingest_rules import INGEST_ROLES, has_staff
from epitrace.app.services import Services
from epitrace.store.orm import Camera

CAMERA_READERS: tuple[str, ...] = tuple(dict.fromkeys(STAFF + INGEST_ROLES))
"""Who may read the camera registry (places, positions, calibrations): case staff and ingest operators."""


def get_camera(services: Services, camera_id: str) -> Camera:
    """A registered camera (UnknownCameraError, a LookupError, names the registered ones)."""
    return services.store.get_camera(camera_id)


def list_cameras(services: Services) -> list[Camera]:
    """Every registered camera."""
    return services.store.list_cameras()


def require_camera_reader(services: Services, user_for_session: Callable[[], object]) -> None:
    """Refuse reading the camera registry to anyone but `CAMERA_READERS`.

    As for camera changes (`ingest_rules.ingest_actor`), a login is needed once the system has
    accounts; before the first one (setting up, a throw-away evaluation home) the OS user may read.

    Raises:
        AuthError: No session on a system that has accounts (says how to log in).
        AccessDenied: The logged-in user's role may not read cameras.
    """
    from epitrace.privacy.users import AuthError, require_role

    try:
        user = user_for_session()
    except AuthError as exc:
        if has_staff(services.store):
            raise AuthError(f"{exc}: this system has user accounts, so reading its cameras needs a login "
                            "(`epitrace login`)") from exc
        return
    require_role(user, *CAMERA_READERS)  # type: ignore[arg-type]
