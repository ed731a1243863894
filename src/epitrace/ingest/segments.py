"""Cut segments: fixed frame ranges at whose edges ingest closes every track and starts afresh.

A video is cut every `cut_s` seconds of video at absolute frames 0, C, 2C, ... (C =
`cut_frames`). At a cut, open tracks are committed and the tracker, the motion gate and the
reused detections start from nothing, so each segment depends only on its own frames. That is
what lets a Ray worker ingest one segment (a chunk) alone and store exactly the rows the
in-process runner stores, and it keeps a busy camera committing. `stitch` then gives the
pieces of one person across a cut the same per-video `local_id`.

Local ids are deterministic per segment: tracker ids of segment s are numbered from
s * SEGMENT_IDS, and parts split off at identity swaps from s * SEGMENT_IDS + SPLIT_OFFSET.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from epitrace.config import IngestSettings
from epitrace.ingest.sampling import FrameSampler
from epitrace.media import VideoError
from epitrace.store import Store
from epitrace.store.ingest_repo import TrackSpan, boxes_at, max_local_ids, set_local_ids, track_spans
from epitrace.vision.boxes import iou_matrix

logger = logging.getLogger(__name__)

SEGMENT_IDS = 100_000  # local ids per segment (32-bit ids: ~21k segments per video)
SPLIT_OFFSET = 50_000  # ids of identity-swap parts within a segment start here


def cut_frames(cut_s: float, fps: float) -> int:
    """Frames per cut segment (at least 1)."""
    return max(1, round(cut_s * fps))


@dataclass(frozen=True)
class Chunk:
    """Frames [start, stop) of one video; stop None means 'to the end of the file'."""

    index: int
    start: int
    stop: int | None

    @property
    def frames(self) -> int | None:
        """Frames in the chunk, None when it runs to the end of the file."""
        return None if self.stop is None else self.stop - self.start


def plan_chunks(total: int, cut: int) -> list[Chunk]:
    """One chunk per cut segment of a `total`-frame video; the last runs to the end of the file.

    A declared frame count that is a little off is harmless: the last chunk decodes until EOF.
    An unknown count (0) gives one chunk for the whole file.
    """
    if total <= 0:
        return [Chunk(0, 0, None)]
    n = max(1, -(-total // cut))
    return [Chunk(i, i * cut, (i + 1) * cut if i < n - 1 else None) for i in range(n)]


def id_bases(store: Store, video_id: int, segment: int, resumed: bool) -> tuple[int, int]:
    """(offset added to tracker ids, first split id) for `segment`.

    A segment started at its first frame numbers from its fixed base; one resumed mid-way
    continues after the ids already committed in it, so none is reused.
    """
    base = segment * SEGMENT_IDS
    if not resumed:
        return base, base + SPLIT_OFFSET
    tracked, split = max_local_ids(store, video_id=video_id,
                                   ranges=[(base, base + SPLIT_OFFSET), (base + SPLIT_OFFSET, base + SEGMENT_IDS)])
    return (base if tracked is None else tracked + 1,
            base + SPLIT_OFFSET if split is None else split + 1)


def close_video(store: Store, settings: IngestSettings, video_id: int, fps: float, frames_total: int, *,
                scene_cuts: Sequence[int] = ()) -> None:
    """Link track pieces across cuts (never across a scene cut), then mark the video done.

    The in-process runner and the Ray driver both close videos here.
    """
    step = FrameSampler(fps, settings.analysed_fps).step
    max_gap = max(round(fps), round(2 * step) + 1)  # a second of video, or two analysed frames
    stitch(store, video_id, cut_frames(settings.cut_s, fps), max_gap, scene_cuts=scene_cuts)
    store.finish_video(video_id, frames_total=frames_total,
                       frames_analysed=store.video_state(video_id).frames_analysed)


def close_checked(store: Store, settings: IngestSettings, video_id: int, fps: float, path: Path | str,
                  declared: int, end: int, *, scene_cuts: Sequence[int] = ()) -> None:
    """Close the video (`close_video`) once decoding reached frame `end` (exclusive).

    If the file declared `declared` frames (0: unknown) and decoding ended well short of them,
    the video is marked failed and VideoError raised instead (what was decoded stays stored).
    """
    step = FrameSampler(fps, settings.analysed_fps).step
    if declared and end < declared - step - 1:
        store.fail_video(video_id)
        raise VideoError(f"{path}: decoded {end} of the {declared} frames the file declares; "
                         "it is truncated (what was decoded is stored)")
    close_video(store, settings, video_id, fps, max(declared, end), scene_cuts=scene_cuts)


def _across_scene_cut(end: int, start: int, scene_cuts: Sequence[int]) -> bool:
    """True when a scene cut lies in (end, start]: the two pieces are in different scenes."""
    i = bisect_right(scene_cuts, end)
    return i < len(scene_cuts) and scene_cuts[i] <= start


def stitch(store: Store, video_id: int, cut: int, max_gap: int, min_iou: float = 0.3, *,
           scene_cuts: Sequence[int] = ()) -> int:
    """Give a track that starts just after a cut the local id of the one that ended just before.

    Pairs are matched greedily by the IoU of the last box before and the first box after the
    cut (within `max_gap` frames on either side); a pair with a scene cut between them is never
    linked. A pure function of the stored rows and the scene cuts (which both runners find
    alike), run once a video is complete, so in-process and Ray ingest link the same pairs.
    Returns the links.
    """
    scene_cuts = sorted(scene_cuts)
    tracks = track_spans(store, video_id=video_id)
    if not tracks:
        return 0
    last = max(t.end_frame for t in tracks)
    ids = {t.id: t.local_id for t in tracks}
    changed: dict[int, int] = {}
    links = 0
    for boundary in range(cut, last + 1, cut):
        before = [t for t in tracks if boundary - max_gap <= t.end_frame < boundary]
        after = [t for t in tracks if boundary <= t.start_frame < boundary + max_gap]
        if not before or not after:
            continue
        box = _edge_boxes(store, before, after)
        overlap = iou_matrix([box[(a.id, "end")] for a in before], [box[(b.id, "start")] for b in after])
        pairs = sorted(((float(overlap[i, j]), a.id, b.id)
                        for i, a in enumerate(before) for j, b in enumerate(after)
                        if not _across_scene_cut(a.end_frame, b.start_frame, scene_cuts)), reverse=True)
        used: set[int] = set()
        for iou, a_id, b_id in pairs:
            if iou < min_iou:
                break
            if a_id in used or b_id in used:
                continue
            used.update((a_id, b_id))
            if ids[b_id] != ids[a_id]:
                ids[b_id] = changed[b_id] = ids[a_id]
            links += 1
    set_local_ids(store, local_ids=changed)
    return links


def _edge_boxes(store: Store, before: list[TrackSpan],
                after: list[TrackSpan]) -> dict[tuple[int, str], npt.NDArray[np.float64]]:
    """Last box of the tracks `before` a cut, first box of those `after` it."""
    want = {(t.id, t.end_frame): (t.id, "end") for t in before}
    want.update({(t.id, t.start_frame): (t.id, "start") for t in after})
    return {want[key]: box for key, box in boxes_at(store, points=list(want)).items()}
