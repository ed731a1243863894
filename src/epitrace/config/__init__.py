"""Typed settings, read from the environment (`EPITRACE_*`)."""

from epitrace.config.settings import IngestSettings, Settings, TrackerConfig, get_settings

__all__ = ["IngestSettings", "Settings", "TrackerConfig", "get_settings"]
