"""Interrupted ingest (issue 12, F12): found on server start, listed, resumed on request.

A process killed mid-ingest leaves its video "running" with nobody working on it. On start the
server marks such videos "interrupted" (their claiming process is gone); an admin or operator
resumes one, and ingest's resume rule continues from the video's safe point without duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from epitrace.app.errors import AppError, ErrorKind
from epitrace.app.ingest import IngestRequest
from epitrace.config import Settings
from epitrace.ingest.claims import claimant_alive, read_claim
from epitrace.store import Store
from epitrace.store.ingest_repo import set_video_status, videos_with_status

INTERRUPTED = "interrupted"


class NotInterrupted(AppError, LookupError):
    """The video is not an interrupted (or failed) one: nothing to resume."""

    kind = ErrorKind.NOT_FOUND


@dataclass(frozen=True)
class StalledVideo:
    """A video whose ingest stopped before its end, as the ingest page lists it."""

    video_id: int
    camera_id: str
    name: str
    status: Literal["interrupted", "failed"]


IngestStore = Store
"""The store as the front ends' job runners hold it (they never import the store package)."""


def mark_interrupted(settings: Settings, store: Store) -> list[int]:
    """Mark every "running" video whose claiming process is dead as interrupted; their ids."""
    marked = []
    for video_id, *_ in videos_with_status(store, status="running"):
        if not claimant_alive(read_claim(settings.home, video_id)):
            set_video_status(store, video_id=video_id, status=INTERRUPTED)
            marked.append(video_id)
    if marked:
        from epitrace.privacy.audit import record

        record(store, user="system", action="ingest_interrupted", detail={"videos": marked})
    return marked


def stalled_videos(store: Store) -> list[StalledVideo]:
    """Interrupted and failed video files (resumable), by id; a live stream's lost segment cannot be replayed."""
    from pathlib import Path

    out = []
    statuses: tuple[Literal["interrupted", "failed"], ...] = ("interrupted", "failed")
    for status in statuses:
        out += [StalledVideo(vid, cam, Path(path).name, status)
                for vid, cam, path, _, _ in videos_with_status(store, status=status) if "://" not in path]
    return sorted(out, key=lambda v: v.video_id)


def resume_request(store: Store, video_id: int) -> IngestRequest:
    """The request that resumes an interrupted or failed video from its safe point.

    Raises:
        NotInterrupted: no such video among the interrupted or failed ones.
    """
    for status in (INTERRUPTED, "failed"):
        for vid, camera_id, path, start_ts, fps in videos_with_status(store, status=status):
            if vid == video_id and "://" not in path:
                return IngestRequest(source=path, camera_id=camera_id, start=datetime.fromtimestamp(start_ts, UTC),
                                     fps=fps, server_owned=True)
    raise NotInterrupted(f"video {video_id} is not interrupted or failed: nothing to resume")
