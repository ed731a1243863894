"""Who may ingest, and what ingest may read: the rules both front ends apply, once.

Issue 12 found that an ingest path or a calibration file naming the database made the server lose
its SQLite locks (F4), that any investigator could make the server connect anywhere (F5) and
upload footage to any camera unaudited (F6), and that an absurd fps stored nothing yet blocked a
correct re-ingest (F13). Each rule here closes one of those.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from epitrace.app.errors import AppError, ErrorKind
from epitrace.config import Settings
from epitrace.ingest.job import FPS_MAX, FPS_MIN
from epitrace.store import Store

INGEST_ROLES = ("admin", "operator")
"""Roles that register cameras, set stream URLs and ingest footage (F6)."""
FPS_RANGE = (FPS_MIN, FPS_MAX)
"""Frame rates accepted from a person (a camera's, a file's override): outside it nothing sane is stored."""
STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
"""Live sources the server reads; http(s) is opened with redirects off (`max_redirects=0`)."""
REACH_TIMEOUT_S = 2.0
"""Every failed reachability check takes exactly this long, so its timing tells nothing (F5)."""
UNREACHABLE = "cannot reach the stream at {url!r}: check the address and that the camera or its server is up"


class StorePathRefused(AppError, PermissionError):
    """A path that names EpiTrace's own files (its home, database, WAL/SHM or keys)."""

    kind = ErrorKind.FORBIDDEN


class BadSource(AppError, ValueError):
    """A source or number ingest refuses (unknown URL scheme, fps out of range, ...)."""

    kind = ErrorKind.INVALID


class StreamUnreachable(AppError, ValueError):
    """The stream's host did not answer; the message is the same whatever the reason (a bad address: 422)."""

    kind = ErrorKind.INVALID


def protected_paths(settings: Settings) -> list[Path]:
    """EpiTrace's own files and folders, resolved: the home, the database (+ -wal/-shm/-journal), the keys."""
    paths = [settings.home, settings.key_file, settings.key_file.parent]
    url = settings.db_url
    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        paths += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return [p.expanduser().resolve() for p in paths]


def refuse_store_path(path: Path | str, settings: Settings, what: str = "an ingest path") -> Path:
    """The resolved `path` (symlinks followed), unless it lies in or names the store's own files.

    Raises:
        StorePathRefused: it does (the message names what was refused, not the home's folders).
    """
    text = str(path)
    if "\x00" in text:
        raise BadSource(f"{what} contains a NUL character")
    resolved = Path(text).expanduser().resolve()
    for own in protected_paths(settings):
        if resolved == own or own in resolved.parents:
            raise StorePathRefused(f"{what} may not lie inside EpiTrace's home or name its database or keys: "
                                   "copy the file elsewhere first")
    return resolved


def check_fps(fps: float | None, what: str = "fps") -> float | None:
    """`fps` if it is None or within `FPS_RANGE` (NaN and infinities refused)."""
    if fps is None:
        return None
    lo, hi = FPS_RANGE
    if not lo <= fps <= hi:  # NaN fails both comparisons
        raise BadSource(f"{what} must be between {lo:g} and {hi:g} frames per second (got {fps!r})")
    return float(fps)


def stream_scheme(source: str) -> str | None:
    """The scheme of a URL-looking source, refusing any the server does not read (file://, ftp://, ...)."""
    if "://" not in source:
        return None
    scheme = urlsplit(source).scheme.lower()
    if scheme not in STREAM_SCHEMES:
        raise BadSource(f"{scheme or 'that'}:// sources are not read: give rtsp(s):// or http(s):// "
                        "(or an admin's server path)")
    return scheme


def require_reachable(url: str, timeout_s: float = REACH_TIMEOUT_S) -> None:
    """Refuse a stream whose host does not answer now, in one message and one fixed time.

    A typo should not become a job that loads models and retries for minutes, and the answer
    must not tell open ports from closed or filtered ones: every failure waits out `timeout_s`
    and says the same thing.
    """
    from epitrace.ingest import safe_url

    began = time.monotonic()
    parts = urlsplit(url)
    default = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}.get(parts.scheme.lower(), 80)
    try:
        port = parts.port or default
        if not parts.hostname:
            raise ValueError("no host")
        with socket.create_connection((parts.hostname, port), timeout=timeout_s):
            return
    except (OSError, ValueError):
        pass
    time.sleep(max(0.0, timeout_s - (time.monotonic() - began)))
    raise StreamUnreachable(UNREACHABLE.format(url=safe_url(url)[:200]))


def ingest_actor(user_for_session: Callable[[], object], os_user: str,
                 staffed: Callable[[], bool] = lambda: False) -> str:
    """Who a CLI ingest or camera change is audited as, refusing anyone without an ingest role.

    A logged-in EpiTrace user must be an admin or operator. Once the system has staff accounts
    (`staffed()`), a login is required, so every ingest and camera change names a person. Before
    any account exists (a first set-up, a throw-away evaluation home) the OS user is recorded.

    Raises:
        AuthError: No session on a system that has staff accounts (says how to log in).
        AccessDenied: The logged-in user is neither admin nor operator.
    """
    from epitrace.privacy.users import AuthError, require_role

    try:
        user = user_for_session()
    except AuthError as exc:
        if staffed():
            raise AuthError(f"{exc}: this system has user accounts, so ingest and camera changes need an "
                            "operator or admin login (`epitrace login`)") from exc
        return f"os:{os_user}"
    require_role(user, *INGEST_ROLES)  # type: ignore[arg-type]
    return str(user.name)  # type: ignore[attr-defined]


def has_staff(store: Store) -> bool:
    """Whether any account exists, even a disabled one: then the CLI can no longer act as the bare OS user.

    Counting only enabled accounts let anyone ingest, change cameras and read them without a login
    once every account was disabled (e.g. during an incident): the set-up exception is for a system
    that never had accounts.
    """
    from epitrace.privacy.users import list_users

    return bool(list_users(store))
