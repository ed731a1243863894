"""Typed settings, read from the environment (`EPITRACE_*`)."""

from epitrace.config.settings import IngestSettings, Settings, TracingConfig, TrackerConfig, get_settings

__all__ = ["IngestSettings", "Settings", "TracingConfig", "TrackerConfig", "get_settings"]
