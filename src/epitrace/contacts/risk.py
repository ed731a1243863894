"""Risk levels of a (merged) contact person: a named, swappable rule.

The rule is a strategy with a name registry (like the re-ID distance), so a health authority
can add its own without touching the engine.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from epitrace.config import ContactPolicy
from epitrace.contacts.episodes import max_window_exposure

logger = logging.getLogger(__name__)

RiskLevel = Literal["high", "medium", "low"]
MaskState = Literal["mask", "no_mask", "unknown"]


@dataclass(frozen=True)
class ExposureInterval:
    """One episode of a contact person, as the risk rule sees it.

    Attributes:
        start_ts: UTC epoch seconds.
        end_ts: start + duration, UTC epoch seconds.
        calibrated: False for co-presence (distance unknown).
        unmasked: True when at least one of the two tracks is not known to wear a mask.
    """

    start_ts: float
    end_ts: float
    calibrated: bool
    unmasked: bool


class RiskRule(ABC):
    """Maps a person's exposure intervals under a policy to a risk level."""

    name: str = ""

    @abstractmethod
    def level(self, intervals: list[ExposureInterval], policy: ContactPolicy) -> RiskLevel:
        """The risk level of one contact person."""


class PolicyRiskRule(RiskRule):
    """Cumulative time at the policy's distance within its window, weighted by masks.

    With T = `policy.min_cumulative_s` and exposures summed over the best window of
    `policy.window_h` hours (overlapping views of one encounter counted once):

    - high: the exposure with at least one party unmasked reaches T;
    - medium: the total exposure reaches T but masks cover enough of it that the unmasked
      part does not (both masked), or the unmasked exposure reaches T / 2;
      or co-presence alone (uncalibrated camera, distance unknown) reaches T;
    - low: otherwise.

    Mask state "unknown" (no face seen, the usual case on CCTV) counts as unmasked: a missed
    mask must not lower the risk. Co-presence is never high, since no distance was measured.
    """

    name = "policy"

    def level(self, intervals: list[ExposureInterval], policy: ContactPolicy) -> RiskLevel:
        if not intervals:
            return "low"
        window = policy.window_h * 3600.0
        need = policy.min_cumulative_s

        def best(keep: list[ExposureInterval]) -> float:
            return max_window_exposure([(i.start_ts, i.end_ts) for i in keep], window)

        near = [i for i in intervals if i.calibrated]
        unmasked = best([i for i in near if i.unmasked])
        if unmasked >= need:
            return "high"
        if best(near) >= need or unmasked >= need / 2:
            return "medium"
        if best([i for i in intervals if not i.calibrated]) >= need > 0:
            return "medium"
        return "low"


RISK_RULES: dict[str, type[RiskRule]] = {PolicyRiskRule.name: PolicyRiskRule}


def get_risk_rule(name: str) -> RiskRule:
    """The risk rule registered as `name`; unknown names fail with the known ones listed."""
    try:
        return RISK_RULES[name]()
    except KeyError:
        raise ValueError(f"unknown risk rule {name!r}; known: {', '.join(RISK_RULES)}") from None


def is_unmasked(*states: str) -> bool:
    """True when any party is not known to wear a mask ('no_mask' or 'unknown')."""
    return any(s != "mask" for s in states)
