"""The audit log's files outside the database: its HMAC key and the append-only anchor of its head.

A chain stored in the database alone proves nothing against someone who can write the database:
they can rewrite history and recompute every hash, cut the newest rows, or delete them all. So
each entry's hash is an HMAC under a key kept apart from the database (and from the data
encryption key), and after every committed entry its (id, HMAC) is appended to an anchor file
opened with O_APPEND (optionally also sent to syslog, which a local attacker cannot take back).
A stolen or edited database then cannot be re-hashed without the key, and the anchor records how
far the log reached.

Where: `home/secrets/audit.key` (created 0600 on first use or by `epitrace keys init`), or the
base64 key in `EPITRACE_AUDIT_KEY`, which wins; `home/audit/anchor.log` (0600, folder 0700).
`EPITRACE_AUDIT_SYSLOG=1` also logs each anchor line to the local syslog (facility AUTHPRIV).
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from epitrace.store.private_files import private_dir
from epitrace.store.sealing import KeyMissingError, parse_key

AUDIT_KEY_ENV = "EPITRACE_AUDIT_KEY"
AUDIT_SYSLOG_ENV = "EPITRACE_AUDIT_SYSLOG"
KEY_BYTES = 32
_LINE_RE = re.compile(r"(\d{1,18}) ([0-9a-f]{64})")

__all__ = ["AUDIT_KEY_ENV", "AnchorError", "AuditFiles", "private_dir"]


class AnchorError(ValueError):
    """The anchor file exists but cannot be read as (id, hash) lines: it was edited."""


def _parse_key(text: str, where: str) -> bytes:
    return parse_key(text, where, what="audit key")


@dataclass
class AuditFiles:
    """Where one store keeps its audit key and anchor; loads the key once.

    Attributes:
        key_file: The HMAC key's file (unused when `key_text` is set).
        anchor_file: The append-only file of (id, HMAC) lines.
        key_text: A base64 key from the environment; wins over `key_file`.
        syslog: Also send each anchor line to syslog.
    """

    key_file: Path
    anchor_file: Path
    key_text: str | None = None
    syslog: bool = False
    _key: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def under(cls, home: Path) -> AuditFiles:
        """The default places under `home`, with the environment's key and syslog switch."""
        return cls(key_file=home / "secrets" / "audit.key", anchor_file=home / "audit" / "anchor.log",
                   key_text=os.environ.get(AUDIT_KEY_ENV) or None,
                   syslog=os.environ.get(AUDIT_SYSLOG_ENV, "").lower() in ("1", "true", "yes"))

    @property
    def source(self) -> str:
        """Where the key comes from, for messages."""
        return AUDIT_KEY_ENV if self.key_text else str(self.key_file)

    def key(self, *, create: bool) -> bytes | None:
        """The HMAC key; with `create`, a new random one is written (0600) when there is none.

        Raises:
            KeyMissingError: The key is malformed or its file readable by others.
        """
        with self._lock:
            if self._key is None:
                self._key = self._load(create)
            return self._key

    def _load(self, create: bool) -> bytes | None:
        if self.key_text:
            return _parse_key(self.key_text, AUDIT_KEY_ENV)
        if not self.key_file.exists():
            if not create:
                return None
            self.create_key()
        if self.key_file.stat().st_mode & 0o077:
            raise KeyMissingError(f"{self.key_file} is readable by other users: run `chmod 600 {self.key_file}`")
        return _parse_key(self.key_file.read_text(), str(self.key_file))

    def create_key(self) -> bool:
        """Write a new random key file unless one exists; True when written.

        The key is written to a private temporary file and linked into place, so a process
        racing this one never reads a half-written key.
        """
        private_dir(self.key_file.parent)
        tmp = self.key_file.with_name(f".{self.key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
        try:
            os.link(tmp, self.key_file)
            return True
        except FileExistsError:
            return False
        finally:
            tmp.unlink()

    def append_anchor(self, lines: list[tuple[int, str]]) -> None:
        """Append (id, hash) lines to the anchor (one write, O_APPEND) and to syslog if asked."""
        if not lines:
            return
        private_dir(self.anchor_file.parent)
        data = "".join(f"{i} {h}\n" for i, h in lines).encode()
        fd = os.open(self.anchor_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.syslog:
            import syslog

            for i, h in lines:
                syslog.syslog(syslog.LOG_AUTHPRIV | syslog.LOG_INFO, f"epitrace audit head {i} {h}")

    def read_anchor(self) -> dict[int, str] | None:
        """Every anchored id with its hash (the last line wins); None when there is no anchor file.

        Raises:
            AnchorError: A line is not `<id> <64 hex>` (a torn last line of a crash is ignored).
        """
        try:
            text = self.anchor_file.read_text(encoding="ascii", errors="replace")
        except FileNotFoundError:
            return None
        out: dict[int, str] = {}
        lines = text.split("\n")
        for n, line in enumerate(lines, 1):
            m = _LINE_RE.fullmatch(line)
            if m:
                out[int(m.group(1))] = m.group(2)
            elif line and not (n == len(lines) and not text.endswith("\n")):
                raise AnchorError(f"anchor file {self.anchor_file} line {n} is not '<id> <hash>': it was edited")
        return out
