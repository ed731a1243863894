"""Times as a person reads them: local to the camera (or this computer), with the zone shown."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from epitrace.app.services import Services


def local(ts: float, zone: str | None = None) -> str:
    """`2026-03-02 18:00:05 KST` in `zone` (an IANA name, e.g. a camera's), else this computer's zone."""
    moment = datetime.fromtimestamp(ts).astimezone()
    if zone:
        try:
            moment = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return moment.strftime("%Y-%m-%d %H:%M:%S %Z")


def clock(ts: float, zone: str | None = None) -> str:
    """Only the time of day and zone (for the end of a span whose start shows the date)."""
    return local(ts, zone)[11:]


def camera_zones(services: Services) -> dict[str, str]:
    """Each registered camera's IANA zone by id: a sighting's time is read where it happened.

    The contacts table already showed camera time; trace, describe and route showed this
    computer's zone, so one case read "09:00 UTC" in one table and "09:00 GMT" (or KST) in another.
    """
    from epitrace.app.cameras import list_cameras

    return {c.id: c.timezone for c in list_cameras(services) if c.timezone}
