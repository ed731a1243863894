"""Retention purge: footage-derived data older than its retention period is deleted everywhere.

What goes, and when:

- **Tracks** whose `end_ts` is older than `now - retention`, where retention is the camera's
  `retention_days` (else `default_days`). With each track go its points, vectors (SQL rows and
  the ids in every FAISS index, saved), thumbnail rows and their JPEG files, sighting decisions
  and subject query vectors picked from it.
- **Videos** left with no tracks whose footage ended before the same cut-off.
- **Closed cases** closed more than `closed_case_days` ago, with their subjects, query vectors,
  decisions, assignments and exports (`evidence_dir/exports/<case>`). Only anonymous counts
  stay behind (`purge_stats`), plus the audit log, which must outlive the cases it speaks about.
- **Files**: thumbnails no row refers to (left by a crash or a cache), anything under
  `evidence_dir/clips` last written before the cut-off, every file under the upload
  folders whose sha256 is that of a purged video (a second upload of the same footage is a copy
  no row names), and uploads no video names or matches once older than the default period
  (footage never ingested: a cancelled or lost job).

Legal hold (issue 12 F7): nothing a case still holds is purged, however old. A case holds its
evidence while pending or open and, once closed, for `closed_case_days`. Held are the tracks
on the same camera as one of its subjects' confirmed (or enrolled-from) sightings whose time
spans overlap that sighting's widened by `hold_margin_s` (default 24 h, the default contact
policy window) on each side: the evidence, the contacts computed from it, and the people the
clips' redaction must cover, with their rows, vectors and thumbnails; their videos (and the
uploaded source files that clips are cut from) stay because tracks still refer to them. When the
case's period ends, the case goes and its tracks expire like any other in the same purge.

Crash safety: tracks go in batches (`batch_size` per transaction). Each batch deletes its rows
and writes its `purge_stats` counts in one transaction; files are unlinked and indices saved
only after the commit. A crash therefore leaves either untouched rows (the next run deletes
them) or committed deletions whose files or index ids linger: the next run removes the files as
orphans, and the store rebuilds any index that differs from SQL when it opens it. Re-running
`purge` always completes the job.

On SQLite, deleted rows are overwritten while purging (`PRAGMA secure_delete`) and the file is
compacted afterwards (`VACUUM`, then a WAL checkpoint that empties the WAL file), so no byte of
purged data stays in the database or its WAL file. VACUUM rewrites the whole file (it needs
about as much free disk space and takes a write lock for its duration); pass `vacuum=False`
to skip it when that is too costly: secure-delete plus the checkpoint already leave no purged
bytes (only free pages of zeros). A checkpoint cannot finish while another process holds a read
transaction open; the WAL is then emptied by that process's next checkpoint. PostgreSQL
reclaims space with its own (auto)vacuum.

Example:
    >>> from datetime import UTC, datetime
    >>> from epitrace.privacy.retention import purge
    >>> report = purge(open_store(), now=datetime.now(UTC), default_days=30)  # doctest: +SKIP
    >>> report.tracks, report.videos, report.cases  # doctest: +SKIP
    (1200, 3, 1)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from epitrace.privacy.audit import record
from epitrace.privacy.retention_files import (
    old_clips,
    orphan_thumbs,
    remove_case_exports,
    remove_empty_parents,
    stale_uploads,
    unlink,
    upload_copies,
)
from epitrace.store import retention_repo
from epitrace.store.orm import Video
from epitrace.store.orm_access import PurgeStat
from epitrace.store.repo import Store
from epitrace.store.retention_repo import HoldClause
from epitrace.store.vectors import VectorIndex

logger = logging.getLogger(__name__)

HOLD_MARGIN_S = 24 * 3600.0
"""Default legal-hold margin around a held sighting: the default contact policy window (24 h)."""

VECTOR_KINDS = ("body", "face")
"""Kinds of vector index the store keeps (`vectors_dir/<kind>.faiss`)."""

__all__ = ["HOLD_MARGIN_S", "VECTOR_KINDS", "PurgeReport", "PurgeStat", "camera_cutoffs", "purge"]


@dataclass
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove).

    Attributes:
        dry_run: True when nothing was deleted.
        tracks_by_camera: Purged tracks per camera id.
        videos: Purged video rows.
        cases: Purged closed cases.
        thumbnail_files: JPEG files of purged tracks removed.
        orphan_files: Thumbnail files no row referred to, removed.
        clip_files: Files under `evidence_dir/clips` past retention, removed.
        upload_files: Uploaded files of purged footage (the video's own and byte-identical
            copies under the upload folders), removed.
        export_files: Files of purged cases' exports (`evidence_dir/exports/<case>`), removed.
        stream_gaps: Records of live-stream outages that began before the cut-off, removed.
        vacuumed: True when the SQLite file was compacted afterwards.
    """

    dry_run: bool = False
    tracks_by_camera: dict[str, int] = field(default_factory=dict)
    videos: int = 0
    cases: int = 0
    thumbnail_files: int = 0
    orphan_files: int = 0
    clip_files: int = 0
    upload_files: int = 0
    export_files: int = 0
    stream_gaps: int = 0
    vacuumed: bool = False

    @property
    def tracks(self) -> int:
        """Purged tracks over all cameras."""
        return sum(self.tracks_by_camera.values())

    def counts(self) -> dict[str, int]:
        """The counts as a flat dict (for the audit log and the CLI)."""
        return {"tracks": self.tracks, "videos": self.videos, "cases": self.cases,
                "thumbnail_files": self.thumbnail_files, "orphan_files": self.orphan_files,
                "clip_files": self.clip_files, "upload_files": self.upload_files, "export_files": self.export_files,
                "stream_gaps": self.stream_gaps}


def purge(store: Store, *, now: datetime, default_days: int = 30, closed_case_days: int = 30,
          user: str = "system", dry_run: bool = False, batch_size: int = 5000,
          vacuum: bool = True, orphan_grace_s: float = 600.0, hold_margin_s: float = HOLD_MARGIN_S,
          upload_dirs: Sequence[Path] | None = None) -> PurgeReport:
    """Delete footage-derived data older than its retention period, everywhere.

    Args:
        store: The store to purge.
        now: The reference time (timezone-aware; naive values are taken as UTC).
        default_days: Retention of cameras without their own `retention_days`, days. Lower
            deletes sooner (less exposure, less time for investigators to open a case).
        closed_case_days: How long a closed case is kept after `closed_at`, days.
        user: Who is purging, for the audit log.
        dry_run: Only count what would go; delete nothing and write no audit entry.
        batch_size: Tracks deleted per transaction. Larger is faster but holds the write lock
            longer.
        vacuum: On SQLite, compact the file afterwards so purged bytes leave the disk.
        orphan_grace_s: Unreferenced thumbnail files younger than this (by wall clock) are kept,
            as an ingest writes its files just before committing their rows.
        hold_margin_s: Legal-hold margin around a held case's sightings, seconds (see the module
            docstring). Larger keeps more bystanders; smaller may lose contacts of long windows.
        upload_dirs: Folders where uploads are kept (default `home/uploads`, next to the
            evidence folder); copies of purged footage in them are removed.

    Returns:
        A `PurgeReport` with the counts.

    Raises:
        ValueError: A period or `batch_size` is below 1.
    """
    if min(default_days, closed_case_days, batch_size) < 1:
        raise ValueError("retention periods and batch_size must be at least 1")
    if hold_margin_s < 0:
        raise ValueError("hold_margin_s must be at least 0")
    now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    cutoffs = camera_cutoffs(store, now=now, default_days=default_days)
    default_cut = (now - timedelta(days=default_days)).timestamp()
    report = PurgeReport(dry_run=dry_run)
    case_cut = (now - timedelta(days=closed_case_days)).astimezone(UTC)
    held = retention_repo.held_tracks(case_cut=case_cut, margin_s=hold_margin_s)
    uploads = list(upload_dirs) if upload_dirs is not None else [store.evidence_dir.parent / "uploads"]
    if dry_run:
        _count_dry(store, report, cutoffs, default_cut, case_cut, held)
        report.orphan_files = sum(1 for _ in orphan_thumbs(store, orphan_grace_s))
        report.clip_files = sum(1 for _ in old_clips(store, cutoffs, default_cut))
        report.upload_files += sum(1 for _ in _stale_uploads(store, uploads, default_cut))
        return report
    indices = _open_indices(store)
    for camera_id, cutoff in [*cutoffs.items(), (None, default_cut)]:
        n = _purge_tracks(store, indices, report, camera_id, cutoff, list(cutoffs), batch_size, held)
        if n:
            report.tracks_by_camera[camera_id or "(unregistered)"] = n
    report.videos, report.upload_files = _purge_videos(store, cutoffs, default_cut, uploads)
    stale = list(_stale_uploads(store, uploads, default_cut))
    report.upload_files += unlink(stale)
    remove_empty_parents(stale, [u.resolve() for u in uploads])
    report.stream_gaps = _purge_gaps(store, cutoffs, default_cut)
    report.cases, report.export_files = _purge_cases(store, case_cut)
    report.orphan_files = unlink(orphan_thumbs(store, orphan_grace_s))
    report.clip_files = unlink(old_clips(store, cutoffs, default_cut))
    if retention_repo.compact(store.db, vacuum=vacuum):
        report.vacuumed = vacuum
    record(store, user=user, action="purge",
           detail={**report.counts(), "default_days": default_days,
                   "closed_case_days": closed_case_days, "now": now.isoformat()})
    logger.info("purge: %s", report.counts())
    return report


def _stale_uploads(store: Store, uploads: list[Path], cutoff: float) -> list[Path]:
    """Uploaded files past the default period that no video row names or matches (never ingested)."""
    with store.unit() as s:
        named = {Path(p).resolve() for p in retention_repo.video_paths(s)}
        kept = retention_repo.video_sha256s(s)
    return list(stale_uploads([u.resolve() for u in uploads], named=named, kept=kept, cutoff=cutoff))


def camera_cutoffs(store: Store, *, now: datetime, default_days: int) -> dict[str, float]:
    """Epoch-seconds cut-off of every registered camera (data ending before it goes)."""
    return {c.id: (now - timedelta(days=c.retention_days or default_days)).timestamp()
            for c in store.list_cameras()}


# ----- tracks --------------------------------------------------------------------------------
def _purge_tracks(store: Store, indices: dict[str, VectorIndex], report: PurgeReport,
                  camera_id: str | None, cutoff: float, known: list[str], batch_size: int,
                  held: HoldClause) -> int:
    """Delete one camera's expired tracks not under legal hold, `batch_size` per transaction; returns how many."""
    total = 0
    while True:
        with store.unit() as s:
            retention_repo.secure_delete(s)
            ids, paths = retention_repo.expired_track_batch(s, camera_id=camera_id, cutoff=cutoff, known=known,
                                                             limit=batch_size, held=held)
            if not ids:
                return total
            retention_repo.delete_track_rows(s, track_ids=ids)
            retention_repo.add_stat(s, kind="tracks", count=len(ids), camera_id=camera_id)
        # Committed: only now remove files and index ids (a crash here is repaired on re-run).
        report.thumbnail_files += unlink(store.evidence_dir / p for p in paths)
        for index in indices.values():
            index.remove(np.asarray(ids, np.int64))
            index.save()
        total += len(ids)
        logger.info("purged %d tracks of camera %s", total, camera_id or "(unregistered)")


def _open_indices(store: Store) -> dict[str, VectorIndex]:
    """Every vector index of the store, opened through it (so its in-memory copy is updated).

    An index file whose kind has no vectors left in SQL (a purge that crashed before saving)
    is opened with the file's own dimension, which makes the store empty it.
    """
    indices: dict[str, VectorIndex] = {}
    for kind in VECTOR_KINDS:
        if not store.updates_index(kind):
            continue  # in memory only: rebuilt from the (purged) SQL rows when next opened
        path = store.vectors_dir / f"{kind}.faiss"
        try:
            indices[kind] = store.index(kind)
        except LookupError:
            if not path.exists():
                continue
            import faiss

            indices[kind] = store.index(kind, int(faiss.read_index(str(path)).d))
    return indices


# ----- videos and cases ----------------------------------------------------------------------
def _video_expired(v: Video, cutoff: float) -> bool:
    """Whether a video's footage ended before `cutoff`.

    A video still marked 'running' is left alone (an ingest may be adding tracks) unless its row
    itself is older than the cut-off, which only a crashed ingest leaves behind.
    """
    frames = max(v.frames_total or 0, v.resume_frame or 0)
    end_ts = v.start_ts + (frames / v.fps if v.fps else 0.0)
    created = v.created_at if v.created_at.tzinfo else v.created_at.replace(tzinfo=UTC)
    return end_ts < cutoff and (v.status != "running" or created.timestamp() < cutoff)


def _purge_videos(store: Store, cutoffs: dict[str, float], default_cut: float,
                  upload_dirs: list[Path]) -> tuple[int, int]:
    """Delete expired videos' rows (those with no tracks left) and every copy of their footage the system holds.

    The uploaded source file, and byte-identical files under the upload folders.
    """
    with store.unit() as s:
        retention_repo.secure_delete(s)
        videos = [v for v in retention_repo.videos_without_tracks(s)
                  if _video_expired(v, cutoffs.get(v.camera_id, default_cut))]
        per_camera: dict[str, int] = {}
        for v in videos:
            per_camera[v.camera_id] = per_camera.get(v.camera_id, 0) + 1
        retention_repo.delete_videos(s, video_ids=[v.id for v in videos])
        for camera_id, n in per_camera.items():
            retention_repo.add_stat(s, kind="videos", count=n, camera_id=camera_id)
        kept = retention_repo.video_sha256s(s)
    roots = [u.resolve() for u in upload_dirs]
    removed: list[Path] = []
    for v in videos:  # the per-video thumbnail folder, if empty now
        folder = store.evidence_dir / "thumbs" / str(v.id)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        source = Path(v.path).resolve()
        if any(source.is_relative_to(r) for r in roots) and source.is_file() and v.sha256 not in kept:
            source.unlink()
            removed.append(source)
    copies = list(upload_copies(roots, purged={v.sha256 for v in videos}, kept=kept))
    removed += [p for p in copies if unlink([p])]
    remove_empty_parents(removed, roots)
    return len(videos), len(removed)


def _purge_gaps(store: Store, cutoffs: dict[str, float], default_cut: float) -> int:
    """Outage records of live streams: they describe footage times, so they expire with them."""
    with store.unit() as s:
        old = [i for i, camera, start in retention_repo.stream_gap_starts(s)
               if start < cutoffs.get(camera, default_cut)]
        retention_repo.delete_stream_gaps(s, gap_ids=old)
    return len(old)


def _purge_cases(store: Store, case_cut: datetime) -> tuple[int, int]:
    """Delete closed cases past their period with everything in them (their exports too).

    Keep one count. Returns (cases, export files removed).
    """
    with store.unit() as s:
        retention_repo.secure_delete(s)
        case_ids = retention_repo.expired_case_ids(s, closed_before=case_cut)
        if not case_ids:
            return 0, 0
        retention_repo.delete_cases(s, case_ids=case_ids)
        retention_repo.add_stat(s, kind="cases", count=len(case_ids), camera_id=None)
    return len(case_ids), remove_case_exports(store.evidence_dir, case_ids)


def _count_dry(store: Store, report: PurgeReport, cutoffs: dict[str, float], default_cut: float,
               case_cut: datetime, held: HoldClause) -> None:
    """Fill `report` with what a real purge would delete (files excepted)."""
    known = list(cutoffs)
    with store.unit() as s:
        for camera_id, cutoff in [*cutoffs.items(), (None, default_cut)]:
            n, thumbs = retention_repo.count_expired_tracks(s, camera_id=camera_id, cutoff=cutoff, known=known,
                                                            held=held)
            if n:
                report.tracks_by_camera[camera_id or "(unregistered)"] = n
                report.thumbnail_files += thumbs
        for v in retention_repo.videos_left_after(s, cutoffs=cutoffs, default_cut=default_cut, held=held):
            report.videos += _video_expired(v, cutoffs.get(v.camera_id, default_cut))
        report.cases = len(retention_repo.expired_case_ids(s, closed_before=case_cut))
