"""Files retention removes: thumbnails no row refers to, and evidence clips past their period.

Split from `retention` (rows and indices) because file clean-up runs after the SQL commit and
must tolerate files that vanish or appear while it walks the folders.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

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
