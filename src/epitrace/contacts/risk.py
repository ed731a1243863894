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
from epitrace.phrases import Phrase, phrase

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


_POLICY = "the policy ({policy}: {need} within {distance} m in {window} h)"
_BARE = "with at least one without a mask (or mask not seen)"
REASONS: dict[str, str] = {
    "none": "low: no exposure",
    "high": f"high: {{unmasked}} within {{distance}} m {_BARE} reaches {_POLICY}",
    "masked": f"medium: {{total}} within {{distance}} m reaches {_POLICY}, but both wore masks for all but "
              "{unmasked} of it",
    "half": f"medium: {{unmasked}} within {{distance}} m {_BARE} reaches half of {_POLICY}",
    "together": f"medium: {{together}} together on an uncalibrated camera (distance not measured) reaches "
                f"{_POLICY}; co-presence alone is never high",
    "low_near": f"low: {{total}} within {{distance}} m ({{unmasked}} unmasked) stays under {_POLICY}",
    "low_together": f"low: {{together}} together on an uncalibrated camera stays under {_POLICY}",
    "low_both": f"low: {{total}} within {{distance}} m ({{unmasked}} unmasked) and {{together}} together on an "
                f"uncalibrated camera stays under {_POLICY}",
    "rule": "{level}: set by the {rule} rule",
}
"""Every reason a risk rule gives, as a template: the web shows it in the reader's language."""


@dataclass(frozen=True)
class RiskAssessment:
    """A risk level and the rule's reason for it, in words a tracer can repeat to the contact.

    Attributes:
        why: one of `REASONS` (English, with {placeholders}; translated by the front ends) and
            the values in it (durations, distances, the policy), already formatted.
    """

    level: RiskLevel
    why: Phrase

    @property
    def template(self) -> str:
        """The reason's English template (one of `REASONS`)."""
        return self.why.template

    @property
    def params(self) -> dict[str, str]:
        """The values the template's placeholders take."""
        return dict(self.why.params)

    @property
    def reason(self) -> str:
        """The reason in English: which branch of the rule set the level, with its figures."""
        return str(self.why)


class RiskRule(ABC):
    """Maps a person's exposure intervals under a policy to a risk level (and why)."""

    name: str = ""

    @abstractmethod
    def level(self, intervals: list[ExposureInterval], policy: ContactPolicy) -> RiskLevel:
        """The risk level of one contact person."""

    def assess(self, intervals: list[ExposureInterval], policy: ContactPolicy) -> RiskAssessment:
        """The level with a reason; rules that do not explain themselves name the rule."""
        level = self.level(intervals, policy)
        return RiskAssessment(level, phrase(REASONS["rule"], level=level, rule=self.name or type(self).__name__))


def duration_words(seconds: float) -> str:
    """'0.1 s' under 10 s (one frame must not read '0 s'), '42 s' under two minutes, else '15.0 min'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


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
        """The level alone (`assess` without its reason)."""
        return self.assess(intervals, policy).level

    def assess(self, intervals: list[ExposureInterval], policy: ContactPolicy) -> RiskAssessment:
        """The level of `intervals` under `policy`, with the reason a tracer reads."""
        if not intervals:
            return RiskAssessment("low", phrase(REASONS["none"]))
        window = policy.window_h * 3600.0
        need = policy.min_cumulative_s

        def best(keep: list[ExposureInterval]) -> float:
            return max_window_exposure([(i.start_ts, i.end_ts) for i in keep], window)

        near = [i for i in intervals if i.calibrated]
        unmasked, total = best([i for i in near if i.unmasked]), best(near)
        together = best([i for i in intervals if not i.calibrated])
        words = {"policy": policy.name, "need": duration_words(need), "distance": f"{policy.distance_m:g}",
                 "window": f"{policy.window_h:g}", "unmasked": duration_words(unmasked),
                 "total": duration_words(total), "together": duration_words(together)}

        def said(level: RiskLevel, branch: str) -> RiskAssessment:
            keys = {k for k in words if "{" + k + "}" in REASONS[branch]}
            return RiskAssessment(level, phrase(REASONS[branch], **{k: v for k, v in words.items() if k in keys}))

        if unmasked >= need:
            return said("high", "high")
        if total >= need:
            return said("medium", "masked")
        if unmasked >= need / 2:
            return said("medium", "half")
        if together >= need > 0:
            return said("medium", "together")
        if near and together > 0:
            return said("low", "low_both")
        return said("low", "low_near" if near else "low_together")


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
