"""Typed settings, read from the environment (`EPITRACE_*`), and contact policies."""

from epitrace.config.policies import PRESETS, ContactPolicy, get_policy
from epitrace.config.settings import (
    IngestSettings,
    Settings,
    TracingConfig,
    TrackerConfig,
    get_settings,
)

__all__ = [
    "PRESETS",
    "ContactPolicy",
    "IngestSettings",
    "Settings",
    "TracingConfig",
    "TrackerConfig",
    "get_policy",
    "get_settings",
]
