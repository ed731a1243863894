"""Exposure engine: co-presence, ground distance over time, cumulative duration and masks ->
contacts, risk levels, contacts of contacts."""

from epitrace.contacts.engine import (
    Contact,
    MaskInfo,
    contacts_of_contacts,
    find_contacts,
    rate_people,
)
from epitrace.contacts.episodes import (
    Episode,
    PairExposure,
    TrackSeries,
    common_times,
    contact_episodes,
    max_window_exposure,
    pair_distances,
)
from epitrace.contacts.merge import DEFAULT_MERGE_THRESHOLD, group_people
from epitrace.contacts.risk import (
    ExposureInterval,
    PolicyRiskRule,
    RiskLevel,
    RiskRule,
    get_risk_rule,
)

__all__ = [
    "DEFAULT_MERGE_THRESHOLD",
    "Contact",
    "Episode",
    "ExposureInterval",
    "MaskInfo",
    "PairExposure",
    "PolicyRiskRule",
    "RiskLevel",
    "RiskRule",
    "TrackSeries",
    "common_times",
    "contact_episodes",
    "contacts_of_contacts",
    "find_contacts",
    "get_risk_rule",
    "group_people",
    "max_window_exposure",
    "pair_distances",
    "rate_people",
]
