"""Encryption at rest of biometric data: face vectors and every evidence image.

Face vectors identify a person on their own, and thumbnails show faces: a stolen disk or
database dump must reveal neither. They are sealed with AES-256-GCM under one key that lives
outside the database (a file, or the environment), and each ciphertext is bound to where it
belongs (`context`, e.g. the track id), so a sealed value moved to another row does not open.
Body vectors and track geometry stay in clear: they are what makes search fast and reveal no
face.

Layout of a sealed value: b"ET1" | 12-byte random nonce | ciphertext | 16-byte tag.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from epitrace.config import Settings

MAGIC = b"ET1"
KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ENV = "EPITRACE_ENCRYPTION_KEY"
KEY_FILE_ENV = "EPITRACE_ENCRYPTION_KEY_FILE"


class KeyMissingError(RuntimeError):
    """No encryption key is configured: nothing biometric may be written or read."""


class SealError(ValueError):
    """A sealed value does not open: wrong key, tampered data, or moved to another row."""


def _hint(path: Path) -> str:
    return (f"create one with `epitrace keys init` (writes {path}), point {KEY_FILE_ENV} at a key file, "
            f"or set {KEY_ENV} to a base64-encoded 32-byte key")


def parse_key(text: str, where: str, what: str = "encryption key") -> bytes:
    """32 raw bytes from their base64 (standard or URL-safe) text; `what` names the key in errors."""
    try:
        key = base64.urlsafe_b64decode(text.strip().replace("+", "-").replace("/", "_").encode())
    except (binascii.Error, ValueError) as exc:
        raise KeyMissingError(f"the {what} in {where} is not base64: {exc}") from exc
    if len(key) != KEY_BYTES:
        raise KeyMissingError(f"the {what} in {where} has {len(key)} bytes; it must have {KEY_BYTES}")
    return key


def load_key(key_text: str | None, key_file: Path) -> bytes:
    """The key from `key_text` (environment) if given, else from `key_file`.

    Raises:
        KeyMissingError: Neither is there, or the key is malformed; the message says how to fix it.
    """
    if key_text:
        return parse_key(key_text, KEY_ENV)
    if not key_file.exists():
        raise KeyMissingError(f"no encryption key at {key_file}: {_hint(key_file)}")
    mode = key_file.stat().st_mode & 0o077
    if mode:
        raise KeyMissingError(f"{key_file} is readable by other users: run `chmod 600 {key_file}`")
    return parse_key(key_file.read_text(), str(key_file))


def configured_key(settings: Settings) -> bytes:
    """The key `settings` configure: `encryption_key` (the environment) over the key file."""
    text = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    return load_key(text, settings.key_file)


def write_private(path: Path, text: str) -> Path:
    """Create `path` (and its folder) readable and writable by its owner only, holding `text`.

    The mode is set at creation (O_EXCL), so the secret is never readable by others, not even
    for a moment; an existing file is an error (callers decide whether to remove it first).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def create_key_file(path: Path) -> Path:
    """Write a new random key readable by its owner only; refuses to overwrite one.

    Overwriting would make everything sealed with the old key unreadable.
    """
    if path.exists():
        raise FileExistsError(f"{path} already exists: keep it (data sealed with it needs it)")
    return write_private(path, base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")


class Sealer:
    """AES-256-GCM sealing bound to a context string."""

    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != KEY_BYTES:
            raise ValueError(f"key must have {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    def seal(self, data: bytes, context: str) -> bytes:
        """Encrypt `data`, bound to `context`."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        """Decrypt a value sealed under `context` (SealError if it does not open)."""
        from cryptography.exceptions import InvalidTag

        if not is_sealed(blob):
            raise SealError(f"{context}: not a sealed value (written in clear?)")
        nonce = blob[len(MAGIC):len(MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES:], context.encode())
        except InvalidTag as exc:
            raise SealError(f"{context}: does not open with this key (wrong key, or the data was "
                            "altered or moved)") from exc


def is_sealed(blob: bytes) -> bool:
    """Whether `blob` has the layout of a sealed value."""
    return len(blob) >= len(MAGIC) + NONCE_BYTES + 16 and blob[:len(MAGIC)] == MAGIC
