"""Files retention removes.

Thumbnails no row refers to, evidence clips past their period, every copy of purged footage under
the upload folders, uploads no video row names once past the period, and a purged case's exports.

Split from `retention` (rows and indices) because file clean-up runs after the SQL commit and
must tolerate files that vanish or appear while it walks the folders.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from epitrace.media import file_sha256
from epitrace.store import retention_repo
from epitrace.store.repo import Store


def unlink(paths: Iterable[Path]) -> int:
    """Remove each path that still exists; returns how many were removed."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


def orphan_thumbs(store: Store, grace_s: float) -> Iterator[Path]:
    """Files under `evidence_dir/thumbs` that no thumbnail row refers to.

    Folders are per video (`thumbs/<video id>/`), so each folder is checked against the rows of
    that video's tracks; other folders against the exact paths.
    """
    root = store.evidence_dir / "thumbs"
    if not root.is_dir():
        return
    young = time.time() - grace_s
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [f for f in folder.rglob("*") if f.is_file() and f.stat().st_mtime < young]
        if not files:
            continue
        rels = [f.relative_to(store.evidence_dir).as_posix() for f in files]
        with store.unit() as s:
            if folder.name.isdigit():
                refs = retention_repo.thumbnail_paths_of_video(s, video_id=int(folder.name))
            else:
                refs = retention_repo.known_thumbnail_paths(s, paths=rels)
        refs = {Path(r).as_posix() for r in refs}
        yield from (f for f, rel in zip(files, rels, strict=True) if rel not in refs)
    for f in root.iterdir():
        if f.is_file() and f.stat().st_mtime < young:  # loose files: never written by the store
            yield f


def old_clips(store: Store, cutoffs: dict[str, float], default_cut: float) -> Iterator[Path]:
    """Files under `evidence_dir/clips` last modified before the retention cut-off.

    A file under `clips/<camera id>/` uses that camera's cut-off; any other the default one.
    """
    root = store.evidence_dir / "clips"
    if not root.is_dir():
        return
    for dirpath, _dirs, names in os.walk(root):
        rel = Path(dirpath).relative_to(root).parts
        cutoff = cutoffs.get(rel[0], default_cut) if rel else default_cut
        for name in names:
            path = Path(dirpath) / name
            if path.stat().st_mtime < cutoff:
                yield path


def upload_copies(upload_dirs: Sequence[Path], *, purged: set[str], kept: set[str]) -> Iterator[Path]:
    """Files under the upload folders whose sha256 is that of purged footage.

    An upload of footage already ingested is a second copy the video row never names (ingest
    deduplicates by sha256); purging must not leave it behind. Files whose hash a remaining
    video still has are kept.
    """
    doomed = purged - kept
    if not doomed:
        return
    for path in _upload_files(upload_dirs):
        try:
            if file_sha256(path) in doomed:
                yield path
        except OSError:
            continue


def stale_uploads(upload_dirs: Sequence[Path], *, named: set[Path], kept: set[str], cutoff: float) -> Iterator[Path]:
    """Files under the upload folders that no video row names or matches, last written before `cutoff`.

    Footage uploaded but never ingested (a job cancelled while queued, a queue lost with a server
    restart, a job that failed before its first commit) has no row to expire with: without this it
    would stay for ever. Only files older than the retention period go, so a queued upload is safe.
    """
    for path in _upload_files(upload_dirs):
        try:
            if path.stat().st_mtime < cutoff and path.resolve() not in named and file_sha256(path) not in kept:
                yield path
        except OSError:
            continue


def _upload_files(upload_dirs: Sequence[Path]) -> Iterator[Path]:
    """Regular files (never links) anywhere under the upload folders that exist."""
    for root in upload_dirs:
        if not root.is_dir():
            continue
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                try:
                    if path.is_file() and not path.is_symlink():
                        yield path
                except OSError:
                    continue


def remove_empty_parents(paths: Iterable[Path], roots: Sequence[Path]) -> None:
    """Remove each path's folder if it is empty now and inside (not equal to) one of `roots`."""
    resolved = [r.resolve() for r in roots]
    for path in paths:
        folder = path.parent.resolve()
        if any(folder != r and folder.is_relative_to(r) for r in resolved):
            try:
                folder.rmdir()
            except OSError:
                pass


def remove_case_exports(evidence_dir: Path, case_ids: Iterable[str]) -> int:
    """Delete `evidence_dir/exports/<case id>/` (clips and reports cut for a case); returns files removed."""
    removed = 0
    for case_id in case_ids:
        folder = evidence_dir / "exports" / case_id
        if folder.is_dir() and folder.resolve().parent == (evidence_dir / "exports").resolve():
            removed += sum(1 for f in folder.rglob("*") if f.is_file())
            shutil.rmtree(folder, ignore_errors=True)
    return removed
