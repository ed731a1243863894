"""Times as a person reads them: local to the camera (or this computer), with the zone shown."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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
