"""The key that seals face vectors and evidence images at rest: create it once, check it loads.

The sealing itself is the store's (`epitrace.store.sealing`); front ends manage the key through
here, so none of them reaches into the store.
"""

from __future__ import annotations

from pathlib import Path

from epitrace.config import Settings
from epitrace.store.audit_files import AuditFiles
from epitrace.store.sealing import KEY_ENV, configured_key, create_key_file


def configured_source(settings: Settings) -> str | None:
    """Where the key comes from (the environment variable or the key file); None when nowhere."""
    if settings.encryption_key is not None:
        return KEY_ENV
    return str(settings.key_file) if settings.key_file.exists() else None


def init_key(settings: Settings) -> Path:
    """Write a new random key file (owner-readable only) where `settings` expect it.

    Raises:
        FileExistsError: A key file is already there (data sealed with it needs it).
    """
    return create_key_file(settings.key_file)


def init_audit_key(settings: Settings) -> Path | None:
    """Create the audit log's HMAC key file (0600) unless configured; returns it when written.

    The audit key is kept apart from the encryption key: either may be handed to a different
    custodian, and a database stolen with neither cannot have its audit history re-hashed.
    """
    files = AuditFiles.under(settings.home)
    if files.key_text or files.key_file.exists():
        return None
    return files.key_file if files.create_key() else None


def check_key(settings: Settings) -> str:
    """Load the configured key; returns where it came from.

    Raises:
        KeyMissingError: No key, or a malformed one (the message says how to fix it).
    """
    configured_key(settings)
    return KEY_ENV if settings.encryption_key is not None else str(settings.key_file)
