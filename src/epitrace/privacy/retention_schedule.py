"""Automatic retention: a purge when the server starts and then every `purge_interval_h` hours.

A manual `epitrace purge` is easy to forget; the data protection promise must not depend on
someone remembering. The thread purges through the server's own store (so the server's in-memory
vector indices lose the purged ids too) and never lets an error kill the server: it logs it and
tries again at the next tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from epitrace.config import Settings
from epitrace.privacy.retention import PurgeReport, purge
from epitrace.store.repo import Store

logger = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def upload_dirs(settings: Settings, extra: Path | None = None) -> list[Path]:
    """The folders where uploads may be kept: home/uploads, and a server's own `upload_dir`."""
    dirs = [settings.home / "uploads"]
    return dirs + [extra] if extra is not None and extra.resolve() != dirs[0].resolve() else dirs


def purge_now(settings: Settings, store: Store, *, user: str = "system:retention",
              now: datetime | None = None, upload_dir: Path | None = None) -> PurgeReport:
    """One purge with the configured periods (audited as `user`).

    Copies of purged footage are removed from home/uploads and from `upload_dir` (a server's own upload
    folder).
    """
    return purge(store, now=now or _utcnow(), default_days=settings.retention_days,
                 closed_case_days=settings.closed_case_days, user=user,
                 upload_dirs=upload_dirs(settings, upload_dir))


def start_retention_thread(settings: Settings, store: Store | None = None, *,
                           interval_s: float | None = None,
                           clock: Callable[[], datetime] = _utcnow,
                           upload_dir: Path | None = None) -> Callable[[], None]:
    """Purge now (in the background) and every interval; returns a function that stops it.

    Args:
        settings: Retention periods and the interval (`purge_interval_h`).
        store: The store to purge through; default: one opened from `settings`.
        interval_s: Override of the interval, seconds (tests).
        clock: Where "now" comes from (tests).
        upload_dir: The server's upload folder, if not home/uploads.
    """
    from epitrace.store import open_store

    period = interval_s if interval_s is not None else settings.purge_interval_h * 3600.0
    stop = threading.Event()
    target = store or open_store(settings)

    def loop() -> None:
        while not stop.is_set():
            try:
                report = purge_now(settings, target, now=clock(), upload_dir=upload_dir)
                logger.info("scheduled purge: %s", report.counts())
            except Exception:  # noqa: BLE001 - keep serving; the next tick retries
                logger.exception("scheduled purge failed; retrying in %.0f s", period)
            stop.wait(period)

    thread = threading.Thread(target=loop, name="epitrace-retention", daemon=True)
    thread.start()

    def stop_thread() -> None:
        stop.set()
        thread.join(timeout=60)

    return stop_thread
