"""Contact policies: how close, for how long, within what window counts as a close contact.

Public-health agencies define a close contact by distance and cumulative time, not by a single
encounter: the US CDC uses "within 6 feet (1.83 m) for a cumulative total of 15 minutes or more
over a 24-hour period"; the WHO uses 1 m for 15 minutes. Both are presets here; a site may also
run a custom rule (e.g. a stricter radius for a hospital ward).
"""

from __future__ import annotations

import logging
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

logger = logging.getLogger(__name__)


class ContactPolicy(BaseModel):
    """A close-contact definition: distance x cumulative time within a sliding window.

    Raising `distance_m` finds more contacts (and more false alarms, since ground positions
    from CCTV carry ~0.3-0.5 m of error); raising `min_cumulative_s` keeps only long exposures;
    a longer `window_h` lets short encounters on different occasions add up.

    Example:
        >>> ContactPolicy(name="ward", distance_m=1.5, min_cumulative_s=600, window_h=24)
        ContactPolicy(name='ward', distance_m=1.5, min_cumulative_s=600.0, window_h=24.0)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Policy name, e.g. 'cdc', 'who' or 'custom'.")
    distance_m: float = Field(gt=0, le=50, description="Contact radius on the ground, metres.")
    min_cumulative_s: float = Field(
        ge=0, description="Cumulative exposure that makes a close contact, seconds."
    )
    window_h: float = Field(
        gt=0, description="Sliding window over which exposures add up, hours."
    )


CDC: Final = ContactPolicy(name="cdc", distance_m=1.83, min_cumulative_s=15 * 60, window_h=24)
WHO: Final = ContactPolicy(name="who", distance_m=1.0, min_cumulative_s=15 * 60, window_h=24)
PRESETS: Final[dict[str, ContactPolicy]] = {"cdc": CDC, "who": WHO}


def get_policy(
    name: str, distance: float | None = None, minutes: float | None = None,
    window_h: float | None = None,
) -> ContactPolicy:
    """The policy named `name` ('cdc', 'who' or 'custom'), with optional overrides.

    A preset with an override keeps the preset's name suffixed with '+custom', so a report
    never claims the CDC rule when it ran another radius.

    Args:
        name: preset name (case-insensitive) or 'custom'.
        distance: contact radius, metres (required for 'custom').
        minutes: cumulative exposure, minutes (required for 'custom').
        window_h: window, hours (default 24).

    Raises:
        ValueError: unknown name, or 'custom' without a distance and minutes.

    Example:
        >>> get_policy("who").distance_m
        1.0
        >>> get_policy("custom", distance=2.0, minutes=5).min_cumulative_s
        300.0
    """
    key = name.strip().lower()
    if key == "custom":
        if distance is None or minutes is None:
            raise ValueError("policy 'custom' needs both a distance (metres) and minutes")
        return ContactPolicy(name="custom", distance_m=distance, min_cumulative_s=minutes * 60,
                             window_h=window_h if window_h is not None else 24.0)
    if key not in PRESETS:
        raise ValueError(f"unknown contact policy {name!r}; choose one of "
                         f"{', '.join([*PRESETS, 'custom'])}")
    preset = PRESETS[key]
    update: dict[str, float] = {}
    if distance is not None:
        update["distance_m"] = distance
    if minutes is not None:
        update["min_cumulative_s"] = minutes * 60
    if window_h is not None:
        update["window_h"] = window_h
    if not update:
        return preset
    logger.info("policy %s overridden: %s", preset.name, update)
    return ContactPolicy.model_validate(
        {**preset.model_dump(), **update, "name": f"{preset.name}+custom"})
