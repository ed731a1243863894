"""Exposure engine: contacts, their risk levels, and contacts of contacts.

From co-presence, ground distance over time, cumulative duration and masks.
"""

from epitrace.contacts.cameras import CameraPlace, camera_places
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
from epitrace.contacts.merge import DEFAULT_MERGE_THRESHOLD, group_people, person_keys
from epitrace.contacts.risk import (
    ExposureInterval,
    PolicyRiskRule,
    RiskAssessment,
    RiskLevel,
    RiskRule,
    duration_words,
    get_risk_rule,
)

__all__ = [
    "DEFAULT_MERGE_THRESHOLD",
    "CameraPlace",
    "Contact",
    "Episode",
    "ExposureInterval",
    "MaskInfo",
    "PairExposure",
    "PolicyRiskRule",
    "RiskAssessment",
    "RiskLevel",
    "RiskRule",
    "TrackSeries",
    "camera_places",
    "common_times",
    "contact_episodes",
    "contacts_of_contacts",
    "duration_words",
    "find_contacts",
    "get_risk_rule",
    "group_people",
    "max_window_exposure",
    "pair_distances",
    "person_keys",
    "rate_people",
]
