"""Typed settings, read from the environment (`EPITRACE_*`)."""

from epitrace.config.policies import PRESETS, ContactPolicy, get_policy
from epitrace.config.settings import IngestSettings, Settings, TracingConfig, TrackerConfig, get_settings

__all__ = [
    "ContactPolicy",
    "get_policy","IngestSettings", "Settings", "TracingConfig", "TrackerConfig", "get_settings"]
