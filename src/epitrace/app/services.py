"""What every use case runs against: the settings and the store, opened once per process.

Front ends build one `Services` (the CLI per command, the API per server) and hand it, or a
`CaseSession` holding it, to the use cases; they never open the store themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from epitrace.config import Settings, get_settings
from epitrace.store import Store, open_store


@dataclass(frozen=True)
class Services:
    """The settings and the opened store of this process."""

    settings: Settings
    store: Store

    @classmethod
    def open(cls, settings: Settings | None = None) -> Services:
        """Open the store of `settings` (default: this process's settings from the environment)."""
        settings = settings or get_settings()
        return cls(settings, open_store(settings))
