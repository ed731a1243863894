"""What one pipeline run works on: a registered video, its camera and ground mapping, a frame range.

A `VideoJob` is built once, where the video is registered (a file in the store, a Ray chunk
handed to a worker, one connection of a live stream), and passed down whole: the pipeline
never looks the camera up again and needs no placeholder values for what a caller lacks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from epitrace.ingest.cameras import ground_mapper
from epitrace.ingest.claims import write_claim
from epitrace.ingest.finalise import GroundMapper
from epitrace.ingest.segments import cut_frames
from epitrace.media import VideoError, file_sha256, probe_video
from epitrace.store import Camera, Store, Video
from epitrace.store.ingest_repo import restart_video, set_video_status

logger = logging.getLogger(__name__)

FPS_MIN, FPS_MAX = 0.1, 240.0  # the same bounds as epitrace.app.ingest_rules.FPS_RANGE


@dataclass(frozen=True)
class FrameRange:
    """Frames [first, stop) of a video; `stop` None runs to the end of the video.

    A run that reaches `stop` commits every open track and leaves the video resumable at
    `stop`; a run that reaches the end of the video closes it (unless the job says not to).
    """

    first: int = 0
    stop: int | None = None

    def __post_init__(self) -> None:
        if self.first < 0 or (self.stop is not None and self.stop < self.first):
            raise ValueError(f"frame range [{self.first}, {self.stop}) is empty or negative")


@dataclass(frozen=True)
class Registration:
    """A video file registered for ingest (`register_video`)."""

    video_id: int
    camera: Camera
    frames: int  # frame count the file declares (0: unknown)
    fps: float  # true frame rate
    resume: int  # first frame still to ingest
    skipped: bool  # already fully ingested: nothing to do


@dataclass(frozen=True)
class VideoJob:
    """One stored video ready to run through `IngestPipeline.run`.

    Attributes:
        video_id: the `videos` row the tracks go to.
        camera_id: the camera that filmed it.
        source: the file's path, or the stream URL without credentials (messages, decoding).
        start_ts: UTC epoch seconds of frame 0.
        fps: true frame rate (the camera's override wins over the container's).
        to_ground: pixel -> ground metres of the camera, None when uncalibrated.
        frames: the frames to analyse.
        declared_frames: frames the file declares, None when unknown (live streams): a file
            that ends well short of them is truncated.
        finish: close the video at the end (stitch across cuts, mark done). False for a Ray
            chunk, whose driver closes the video once every chunk is stored.
    """

    video_id: int
    camera_id: str
    source: str
    start_ts: float
    fps: float
    to_ground: GroundMapper | None = field(default=None, repr=False)
    frames: FrameRange = FrameRange()
    declared_frames: int | None = None
    finish: bool = True

    @classmethod
    def for_file(cls, reg: Registration, path: Path, start: datetime,
                 stop: int | None = None) -> VideoJob:
        """The job of a registered file, from its resume point (to `stop`, when given)."""
        return cls(reg.video_id, reg.camera.id, str(path), start.timestamp(), reg.fps,
                   ground_mapper(reg.camera.calibration), FrameRange(reg.resume, stop),
                   reg.frames or None)


def register_video(store: Store, analysed_fps: float, path: Path, camera_id: str, start: datetime,
                   fps: float | None = None, *, stored_path: str | None = None,
                   resume_cut_s: float | None = None, log: logging.Logger = logger) -> Registration:
    """Create the video row of `path` (footage of `camera_id` from `start`), or find it again.

    A video already done is `skipped`; an unfinished one resumes at its `resume_frame` (rounded
    down to the start of its cut segment when `resume_cut_s` is given), its tracks from there on
    deleted.

    Args:
        store: where the video row goes.
        analysed_fps: frames analysed per second (recorded with the video).
        path: the video file.
        camera_id: the registered camera that filmed it.
        start: time of its first frame (timezone-aware).
        fps: true frame rate when the container's is wrong (camera override wins).
        stored_path: the path stored with the video (default `str(path)`).
        resume_cut_s: cut length in seconds: resume from the start of the cut segment.
        log: where the "resuming" line goes.
    """
    if start.tzinfo is None:
        raise ValueError("start time needs a time zone, e.g. 2026-03-01T09:00:00+09:00")
    camera = store.get_camera(camera_id)
    info = probe_video(path)
    true_fps = camera.fps_override or fps or info.fps
    if not true_fps or true_fps <= 0:
        raise VideoError(f"{path}: frame rate unknown; pass --fps")
    if not FPS_MIN <= true_fps <= FPS_MAX:
        raise VideoError(f"{path.name}: frame rate {true_fps!r} is outside {FPS_MIN:g}-{FPS_MAX:g}; pass --fps")
    sha = file_sha256(path)
    state = store.find_video(camera_id, sha)
    if state is not None and state.status == "done":
        if store.count_tracks(state.id) > 0:
            return Registration(state.id, camera, info.frames, true_fps, state.resume_frame, skipped=True)
        # an empty run (e.g. a wrong fps) must not block a correct one: redo it with this run's facts
        restart_video(store, video_id=state.id, fps=true_fps, start_ts=start.timestamp(),
                      analysed_fps=analysed_fps, frames_total=info.frames)
        log.info("re-ingesting video %s: its earlier run stored no tracks", state.id)
        write_claim(store.evidence_dir.parent, state.id)
        return Registration(state.id, camera, info.frames, true_fps, 0, skipped=False)
    if state is None:
        video_id = store.create_video(Video(
            camera_id=camera_id, path=str(path) if stored_path is None else stored_path, sha256=sha,
            start_ts=start.timestamp(), fps=true_fps, analysed_fps=analysed_fps, frames_total=info.frames))
        resume = 0
    else:
        video_id, resume = state.id, state.resume_frame
        if resume_cut_s is not None:  # redo from the start of the segment holding the resume point
            cut = cut_frames(resume_cut_s, true_fps)
            resume = (resume // cut) * cut
        removed = store.delete_tracks_from(video_id, resume)
        if state.status != "running":  # interrupted or failed: it runs again now
            set_video_status(store, video_id=video_id, status="running")
        log.info("resuming video %s at frame %d (%d stale tracks removed)", video_id, resume, removed)
    write_claim(store.evidence_dir.parent, video_id)  # the home: tells a live run from a killed one
    return Registration(video_id, camera, info.frames, true_fps, resume, skipped=False)
