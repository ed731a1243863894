"""The ingest runner: one video file of one camera in, stored tracks out, resumable.

Resume rule: tracks are committed only once they end before the start of every still-active
track (the safe point). The video's `resume_frame` is that safe point, so a restart decodes
from there with a fresh tracker and can neither duplicate nor lose a committed track.

Cuts (`segments.py`): every `cut_s` of video, at fixed frames, all tracks are closed and the
tracker starts afresh, so a segment's rows depend on its frames alone (Ray chunks are segments).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import av
import numpy as np

from epitrace.config import IngestSettings
from epitrace.ingest.finalise import FinaliseContext, GroundMapper, finalise
from epitrace.ingest.sampling import FrameSampler, MotionGate
from epitrace.ingest.segments import close_checked, cut_frames, id_bases
from epitrace.ingest.source import VideoError, file_sha256, iter_frames, probe_video, to_bgr
from epitrace.ingest.timing import StageTimer
from epitrace.ingest.vision_models import VisionModels
from epitrace.store import Camera, Store, TrackRecord, Video
from epitrace.tracking import Tracker, Tracklet, TrackletBuilder, cleave, make_tracker
from epitrace.vision import Detections

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (frames done, frames total)


@dataclass
class IngestResult:
    """What one ingest did; `skipped` means the file was already fully ingested."""

    video_id: int
    camera_id: str
    skipped: bool
    resumed_from: int = 0
    frames_decoded: int = 0
    frames_analysed: int = 0
    tracks_added: int = 0
    video_seconds: float = 0.0
    wall_seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def analysed_fps(self) -> float:
        return self.frames_analysed / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def times_real_time(self) -> float:
        return self.video_seconds / self.wall_seconds if self.wall_seconds else 0.0


@dataclass
class _Run:
    """Mutable state of one ingest run."""

    video_id: int
    ctx: FinaliseContext
    builder: TrackletBuilder
    pending: list[TrackRecord] = field(default_factory=list)
    analysed: int = 0  # since the last checkpoint
    analysed_run: int = 0  # in this run
    added: int = 0
    id_offset: int = 0
    previous: Detections | None = None  # detections of the last analysed frame
    cut: int = 1  # frames per cut segment
    segment: int = -1  # cut segment being analysed
    split_ids: Iterator[int] = field(default_factory=itertools.count)
    tracker: Tracker | None = None
    gate: MotionGate | None = None


@dataclass(frozen=True)
class Registration:
    """A video file registered for ingest (`register_video`)."""

    video_id: int
    camera: Camera
    frames: int  # frame count the file declares (0: unknown)
    fps: float  # true frame rate
    resume: int  # first frame still to ingest
    skipped: bool  # already fully ingested: nothing to do


def register_video(store: Store, analysed_fps: float, path: Path, camera_id: str, start: datetime,
                   fps: float | None = None, *, stored_path: str | None = None,
                   resume_cut_s: float | None = None, log: logging.Logger = logger) -> Registration:
    """Create the video row of `path` (footage of `camera_id` from `start`), or find it again.

    A video already done is `skipped`; an unfinished one resumes at its `resume_frame` (rounded
    down to the start of its cut segment when `resume_cut_s` is given), its tracks from there on
    deleted.

    Args:
        fps: true frame rate when the container's is wrong (camera override wins).
        stored_path: the path stored with the video (default `str(path)`).
        log: where the "resuming" line goes.
    """
    if start.tzinfo is None:
        raise ValueError("start time needs a time zone, e.g. 2026-03-01T09:00:00+09:00")
    camera = store.get_camera(camera_id)
    info = probe_video(path)
    true_fps = camera.fps_override or fps or info.fps
    if not true_fps or true_fps <= 0:
        raise VideoError(f"{path}: frame rate unknown; pass --fps")
    sha = file_sha256(path)
    state = store.find_video(camera_id, sha)
    if state is not None and state.status == "done":
        return Registration(state.id, camera, info.frames, true_fps, state.resume_frame, skipped=True)
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
        log.info("resuming video %s at frame %d (%d stale tracks removed)", video_id, resume, removed)
    return Registration(video_id, camera, info.frames, true_fps, resume, skipped=False)


class IngestPipeline:
    """Runs decode -> detect -> track -> per-track vectors -> store for one camera's video."""

    def __init__(self, store: Store, models: VisionModels, settings: IngestSettings) -> None:
        self.store = store
        self.models = models
        self.settings = settings
        self.checkpoint_every = settings.checkpoint_frames

    def ingest(self, path: Path, camera_id: str, start: datetime, fps: float | None = None,
               to_ground: GroundMapper | None = None, progress: Progress | None = None,
               stop_after_frames: int | None = None) -> IngestResult:
        """Ingest `path` as footage of `camera_id` starting at `start` (timezone-aware).

        Args:
            fps: true frame rate when the container's is wrong (camera override wins).
            to_ground: pixel -> metres mapping of the camera, None if uncalibrated.
            stop_after_frames: stop early (tests and benchmarks), leaving the video resumable.
        """
        reg = register_video(self.store, self.settings.analysed_fps, path, camera_id, start, fps)
        if reg.skipped:
            return IngestResult(reg.video_id, camera_id, skipped=True)
        return self._run(path, reg.frames, reg.video_id, camera_id, start.timestamp(), reg.fps,
                         reg.resume, to_ground, progress, stop_after_frames)

    def run_frames(self, path: Path, video_id: int, start_ts: float, fps: float, first: int,
                   stop: int | None, to_ground: GroundMapper | None) -> IngestResult:
        """Frames [first, stop) of an already registered video, without finishing it (Ray chunks).

        Raises VideoError when the file ends before `stop` (truncated or corrupt).
        """
        result = self._run(path, 0, video_id, "", start_ts, fps, first, to_ground, None, stop,
                           finish=False)
        if stop is not None and result.frames_decoded < stop - first:
            raise VideoError(f"{path}: decoding ended at frame {first + result.frames_decoded} "
                             f"before frame {stop}; the file is truncated or corrupt")
        return result

    def run_live(self, name: str, frames: Iterator[tuple[int, av.VideoFrame]], video_id: int,
                 camera_id: str, start_ts: float, fps: float, to_ground: GroundMapper | None,
                 progress: Progress | None = None) -> IngestResult:
        """One connection of a live stream (`stream.py`): frames until the iterator ends, then
        the video is finished like a file."""
        return self._run(Path(name), 0, video_id, camera_id, start_ts, fps, 0, to_ground, progress, None,
                         frames=frames)

    def _run(self, path: Path, total: int, video_id: int, camera_id: str, start_ts: float,
             fps: float, resume: int, to_ground: GroundMapper | None, progress: Progress | None,
             stop_after_frames: int | None, finish: bool = True,
             frames: Iterator[tuple[int, av.VideoFrame]] | None = None) -> IngestResult:
        cfg = self.settings
        timer = StageTimer()
        sampler = FrameSampler(fps, cfg.analysed_fps)
        smoothing = max(1, round(cfg.ground_smoothing_s * fps / sampler.step)) | 1
        ctx = FinaliseContext(self.models, start_ts, fps, sampler.step, to_ground,
                              cfg.min_track_frames, smoothing, cfg.body_samples, cfg.face_samples,
                              cfg.thumbnails, timer, embed_faces=cfg.face_embeddings == "ingest")
        run = _Run(video_id, ctx, TrackletBuilder(max_gap_frames=int(cfg.tracker.lost_buffer_s * fps)),
                   cut=cut_frames(cfg.cut_s, fps), tracker=make_tracker(cfg.tracker, fps / sampler.step))
        self._start_segment(run, resume)
        wall = time.perf_counter()
        last = resume - 1  # last decoded frame
        frames = iter_frames(path, resume) if frames is None else frames
        try:
            while True:
                with timer("decode"):
                    item = next(frames, None)
                    if item is None:
                        break
                    if stop_after_frames is not None and item[0] >= stop_after_frames:
                        # Close every track here; a later run resumes at this frame.
                        self._checkpoint(run, stop_after_frames - 1, done=True)
                        return self._result(run, camera_id, resume, last, fps, wall, timer)
                    last, frame = item
                    if not sampler(last):
                        continue
                    bgr = to_bgr(frame)
                self._analyse(run, last, bgr)
                if progress is not None:
                    progress(last + 1, total)
        except VideoError:
            self._checkpoint(run, last, done=False)
            if finish:
                self.store.fail_video(video_id)
            raise
        self._checkpoint(run, last, done=True)
        if not finish:
            return self._result(run, camera_id, resume, last, fps, wall, timer)
        close_checked(self.store, cfg, video_id, fps, path, total, last + 1)
        return self._result(run, camera_id, resume, last, fps, wall, timer)

    def _start_segment(self, run: _Run, frame: int) -> None:
        """Start the cut segment holding `frame` from nothing, as a Ray worker would."""
        run.segment = frame // run.cut
        assert run.tracker is not None
        run.tracker.reset()
        run.gate = MotionGate(self.settings.motion_threshold)
        run.previous = None
        run.id_offset, first_split = id_bases(self.store, run.video_id, run.segment,
                                              resumed=frame % run.cut != 0)
        run.split_ids = itertools.count(first_split)

    def _analyse(self, run: _Run, index: int, bgr: np.ndarray) -> None:
        """Cut if a new segment begins; detect (or reuse the last detections on a static frame),
        track, checkpoint."""
        segment = index // run.cut
        if segment != run.segment:
            self._checkpoint(run, segment * run.cut - 1, done=True)
            self._start_segment(run, segment * run.cut)
        assert run.gate is not None and run.tracker is not None
        timer = run.ctx.timer
        with timer("detect"):
            if run.gate(bgr) or run.previous is None:
                run.previous = self.models.persons.detect(bgr)
        with timer("track"):
            run.builder.add(index, bgr, run.tracker.update(run.previous))
        run.analysed += 1
        run.analysed_run += 1
        if run.analysed % self.checkpoint_every == 0:
            self._checkpoint(run, index, done=False)

    def _checkpoint(self, run: _Run, index: int, done: bool) -> None:
        """Finalise finished tracklets and commit those that end before the safe point."""
        finished: list[Tracklet] = run.builder.pop_all() if done else run.builder.pop_finished(index)
        for tracklet in finished:
            tracklet.local_id += run.id_offset
            parts = cleave(tracklet, run.split_ids.__next__, self.settings.cleave_threshold) \
                if self.settings.cleave_threshold > 0 else [tracklet]
            for part in parts:
                record = finalise(part, run.ctx)
                if record is not None:
                    run.pending.append(record)
        earliest = None if done else run.builder.earliest_active_frame()
        safe = index + 1 if earliest is None else earliest
        ready = [r for r in run.pending if int(r.frames[-1]) < safe]
        run.pending = [r for r in run.pending if int(r.frames[-1]) >= safe]
        with run.ctx.timer("store"):
            previous = self.store.video_state(run.video_id).frames_analysed
            self.store.save_tracks(run.video_id, ready, resume_frame=safe,
                                   frames_analysed=previous + run.analysed)
        run.analysed = 0
        run.added += len(ready)

    def _result(self, run: _Run, camera_id: str, resume: int, last: int, fps: float,
                wall: float, timer: StageTimer) -> IngestResult:
        elapsed = time.perf_counter() - wall
        decoded = max(last + 1 - resume, 0)
        return IngestResult(run.video_id, camera_id, skipped=False, resumed_from=resume,
                            frames_decoded=decoded, frames_analysed=run.analysed_run,
                            tracks_added=run.added, video_seconds=decoded / fps,
                            wall_seconds=elapsed, stages=timer.breakdown())
