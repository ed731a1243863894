"""Live streams (RTSP, HTTP, RTMP, ...) into the store.

Every connection is a stored segment, every outage a recorded gap.

The reader (`stream_reader.py`) reconnects with back-off and stamps frames; here each
connection becomes one stored video (a stream segment) run by the ordinary pipeline. When the
stream drops, the segment's tracks are committed, a `stream_gaps` row is opened, and the first
frame after reconnecting closes it. So a drop loses at most the gap, and the gap itself is on
record ("camera not watching" is not "nobody there").
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import av

from epitrace.ingest.cameras import ground_mapper
from epitrace.ingest.claims import write_claim
from epitrace.ingest.finalise import GroundMapper
from epitrace.ingest.job import VideoJob
from epitrace.ingest.pipeline import IngestPipeline, IngestResult
from epitrace.ingest.stream_reader import (
    LIVE_SCHEMES,
    Connected,
    Ended,
    Finished,
    StreamError,
    StreamOptions,
    StreamReader,
    backoff_delays,
    is_live_url,
    safe_url,
)
from epitrace.store import Store, Video, ingest_repo
from epitrace.store.ingest_repo import Gap

__all__ = ["LIVE_SCHEMES", "Gap", "StreamError", "StreamOptions", "StreamReader", "StreamResult",
           "backoff_delays", "ingest_stream", "is_live_url", "list_gaps", "safe_url"]
logger = logging.getLogger(__name__)


@dataclass
class StreamResult:
    """What a live ingest did: one IngestResult per connection, gaps recorded, frames dropped."""

    url: str
    segments: list[IngestResult] = field(default_factory=list)
    gaps: list[int] = field(default_factory=list)  # stream_gaps ids
    frames_dropped: int = 0


def _frames(events: queue.Queue[Any], until: list[Ended]) -> Iterator[tuple[int, av.VideoFrame]]:
    """Frames of one connection, until its Ended event (left in `until`)."""
    while True:
        event = events.get()
        if isinstance(event, Ended):
            until.append(event)
            return
        if isinstance(event, Finished):  # cannot happen before Ended; keep it for the caller
            events.put(event)
            return
        yield event


def list_gaps(store: Store, camera_id: str | None = None, since_ts: float | None = None) -> list[Gap]:
    """Recorded stream gaps, oldest first: what a report or the web app shows as 'not watching'."""
    return ingest_repo.list_gaps(store, camera_id=camera_id, since_ts=since_ts)


def _forward_stop(stop: threading.Event, reader: StreamReader) -> None:
    while reader.is_alive():
        if stop.wait(0.2):
            reader.stop()
            return


def ingest_stream(store: Store, pipeline: IngestPipeline, url: str, camera_id: str,
                  fps: float | None = None, options: StreamOptions | None = None,
                  on_segment: Callable[[IngestResult], None] | None = None,
                  stop: threading.Event | None = None) -> StreamResult:
    """Ingest a live stream of `camera_id` until stopped, out of time, or given up on.

    It stops when `stop` is set, after `options.max_seconds`, or when the stream stays down.

    Raises:
        StreamError: the URL never connected (after `first_attempts` tries), or stayed down
            longer than `give_up_after_s`; what was ingested before is stored.
    """
    options = options or StreamOptions()
    camera = store.get_camera(camera_id)  # unknown camera: fail before connecting
    to_ground = ground_mapper(camera.calibration)
    reader = StreamReader(url, camera.fps_override or fps, pipeline.settings.analysed_fps, options)
    reader.start()
    result, gap = StreamResult(safe_url(url)), None
    if stop is not None:  # hands the caller's stop to the reader; ends with the reader
        threading.Thread(target=_forward_stop, args=(stop, reader), daemon=True).start()
    try:
        while True:
            event = reader.events.get()
            if isinstance(event, Finished):
                if event.error is not None:
                    raise event.error
                break
            assert isinstance(event, Connected), event
            if gap is not None:
                ingest_repo.close_gap(store, gap_id=gap, end_ts=event.anchor_ts, attempts=event.attempts)
                gap = None
            ended: list[Ended] = []
            segment = _run_segment(store, pipeline, reader, event, url, camera_id, to_ground, ended)
            result.segments.append(segment)
            if on_segment is not None:
                on_segment(segment)
            if ended and ended[0].reason:
                gap = ingest_repo.open_gap(store, camera_id=camera_id, url=safe_url(url),
                                           start_ts=ended[0].last_ts, reason=ended[0].reason)
                result.gaps.append(gap)
    finally:
        reader.stop()
        result.frames_dropped = reader.dropped
    return result


def _run_segment(store: Store, pipeline: IngestPipeline, reader: StreamReader, connected: Connected,
                 url: str, camera_id: str, to_ground: GroundMapper | None, ended: list[Ended]) -> IngestResult:
    """One connection as one stored video, through the ordinary pipeline."""
    name = safe_url(url)
    key = hashlib.sha256(f"{name}|{connected.anchor_ts:.6f}".encode()).hexdigest()
    video_id = store.create_video(Video(
        camera_id=camera_id, path=name, sha256=key, start_ts=connected.anchor_ts, fps=connected.fps,
        analysed_fps=pipeline.settings.analysed_fps, frames_total=0))
    write_claim(store.evidence_dir.parent, video_id)  # a server start leaves a live reader's segment alone
    job = VideoJob(video_id, camera_id, name, connected.anchor_ts, connected.fps, to_ground)
    return pipeline.run(job, _frames(reader.events, ended))
