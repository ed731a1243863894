"""The ingest runner: one video of one camera in, stored tracks out, resumable.

Resume rule: tracks are committed only once they end before the start of every still-active
track (the safe point). The video's `resume_frame` is that safe point, so a restart decodes
from there with a fresh tracker and can neither duplicate nor lose a committed track.

Cuts (`segments.py`): every `cut_s` of video, at fixed frames, all tracks are closed and the
tracker starts afresh, so a segment's rows depend on its frames alone (Ray chunks are segments).
Scene cuts (`scene_cuts.py`: a shot cut, PTZ move or feed switch) end every track the same way,
wherever they fall, so no track spans two scenes, and `stitch` never links pieces across one
(a resumed run knows only the scene cuts it saw itself).

Files, Ray chunks and live-stream connections all run through `IngestPipeline.run(job, frames)`
with a `VideoJob` built once by their caller.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import av
import numpy as np

from epitrace.config import IngestSettings
from epitrace.ingest.finalise import FinaliseContext, finalise
from epitrace.ingest.job import FrameRange, Registration, VideoJob, register_video
from epitrace.ingest.sampling import FrameSampler, MotionGate
from epitrace.ingest.scene_cuts import SceneCutDetector
from epitrace.ingest.segments import close_checked, cut_frames, id_bases
from epitrace.ingest.timing import StageTimer
from epitrace.ingest.vision_models import VisionModels
from epitrace.media import VideoError, iter_frames, to_bgr
from epitrace.store import Store, TrackRecord
from epitrace.tracking import Tracker, Tracklet, TrackletBuilder, cleave, make_crossing_repair, make_tracker
from epitrace.vision import Detections
from epitrace.vision.registry import PERSON_DEFAULTS

__all__ = ["FrameRange", "Frames", "IngestPipeline", "IngestResult", "Progress", "Registration", "VideoJob",
           "register_video"]
logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (frames done, frames total; 0 when unknown)
Frames = Iterator[tuple[int, av.VideoFrame]]  # (frame index, decoded frame), indices increasing


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
    scene_cuts: list[int] = field(default_factory=list)  # frames that started a new scene

    @property
    def analysed_fps(self) -> float:
        """Analysed frames per wall-clock second."""
        return self.frames_analysed / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def times_real_time(self) -> float:
        """Seconds of video ingested per wall-clock second."""
        return self.video_seconds / self.wall_seconds if self.wall_seconds else 0.0


@dataclass
class _Run:
    """Mutable state of one run of a job."""

    job: VideoJob
    ctx: FinaliseContext
    builder: TrackletBuilder
    sampler: FrameSampler
    tracker: Tracker
    scenes: SceneCutDetector
    cut: int  # frames per cut segment
    gate: MotionGate | None = None
    pending: list[TrackRecord] = field(default_factory=list)
    analysed: int = 0  # since the last checkpoint
    analysed_run: int = 0  # in this run
    added: int = 0
    id_offset: int = 0
    next_id: int = 0  # first local id not yet used in this segment
    previous: Detections | None = None  # detections of the last analysed frame
    segment: int = -1  # cut segment being analysed
    split_ids: Iterator[int] = field(default_factory=itertools.count)
    scene_cuts: list[int] = field(default_factory=list)
    wall: float = field(default_factory=time.perf_counter)


class IngestPipeline:
    """Runs decode -> detect -> track -> per-track vectors -> store for one camera's video."""

    def __init__(self, store: Store, models: VisionModels, settings: IngestSettings) -> None:
        self.store = store
        self.models = models
        self.settings = settings
        self.checkpoint_every = settings.checkpoint_frames

    def ingest(self, path: Path, camera_id: str, start: datetime, fps: float | None = None,
               progress: Progress | None = None, stop_after_frames: int | None = None) -> IngestResult:
        """Register `path` as footage of `camera_id` from `start` (timezone-aware) and run it.

        Args:
            path: the video file.
            camera_id: the registered camera that filmed it.
            start: time of its first frame (timezone-aware).
            fps: true frame rate when the container's is wrong (camera override wins).
            progress: called with (frames done, frames the file declares or 0).
            stop_after_frames: stop early (tests and benchmarks), leaving the video resumable.
        """
        reg = register_video(self.store, self.settings.analysed_fps, path, camera_id, start, fps)
        if reg.skipped:
            return IngestResult(reg.video_id, camera_id, skipped=True)
        return self.run(VideoJob.for_file(reg, path, start, stop_after_frames), progress=progress)

    def run(self, job: VideoJob, frames: Frames | None = None, progress: Progress | None = None) -> IngestResult:
        """Analyse `frames` of `job` (default: decode the job's file over its frame range).

        Reaching `job.frames.stop` commits every open track and leaves the video resumable there.
        Reaching the end closes the video when `job.finish` (stitching, marking it done); a
        chunk (`finish` False) that ends before its stop raises VideoError instead.

        Raises:
            VideoError: decoding broke (what was decoded is committed and, for a finishing job,
                the video is marked failed) or the file is truncated.
        """
        state = self._begin(job)
        first, stop = job.frames.first, job.frames.stop
        source = iter_frames(Path(job.source), first) if frames is None else frames
        timer, last = state.ctx.timer, first - 1  # last decoded frame
        try:
            while True:
                with timer("decode"):
                    item = next(source, None)
                    if item is None:
                        break
                    if stop is not None and item[0] >= stop:  # close every track; resume here later
                        self._checkpoint(state, stop - 1, done=True)
                        return self._result(state, last)
                    last, frame = item
                    if not state.sampler(last):
                        continue
                    bgr = to_bgr(frame)
                self._analyse(state, last, bgr)
                if progress is not None:
                    progress(last + 1, job.declared_frames or 0)
        except VideoError:
            self._checkpoint(state, last, done=False)
            if job.finish:
                self.store.fail_video(job.video_id)
            raise
        self._checkpoint(state, last, done=True)
        if job.finish:
            close_checked(self.store, self.settings, job.video_id, job.fps, job.source,
                          job.declared_frames or 0, last + 1, scene_cuts=state.scene_cuts)
        elif stop is not None and last + 1 < stop:
            raise VideoError(f"{job.source}: decoding ended at frame {last + 1} before frame {stop}; "
                             "the file is truncated or corrupt")
        return self._result(state, last)

    def _begin(self, job: VideoJob) -> _Run:
        cfg = self.settings
        sampler = FrameSampler(job.fps, cfg.analysed_fps)
        smoothing = max(1, round(cfg.ground_smoothing_s * job.fps / sampler.step)) | 1
        ctx = FinaliseContext(self.models, job.start_ts, job.fps, sampler.step, job.to_ground,
                              cfg.min_track_frames, smoothing, cfg.body_samples, cfg.face_samples,
                              cfg.thumbnails, StageTimer(), embed_faces=cfg.face_embeddings == "ingest",
                              face_keep=cfg.face_keep, face_embed_min_px=cfg.face_embed_min_px)
        builder = TrackletBuilder(max_gap_frames=int(cfg.tracker.lost_buffer_s * job.fps),
                                  repair=make_crossing_repair(cfg.tracker, job.fps, job.fps / sampler.step))
        state = _Run(job, ctx, builder,
                     sampler, make_tracker(cfg.tracker, job.fps / sampler.step,
                                           PERSON_DEFAULTS[cfg.person_detector].low_gate_iou),
                     SceneCutDetector(cfg.scene_cut_threshold), cut_frames(cfg.cut_s, job.fps))
        self._start_segment(state, job.frames.first)
        return state

    def _start_segment(self, run: _Run, frame: int) -> None:
        """Start the cut segment holding `frame` from nothing, as a Ray worker would."""
        run.segment = frame // run.cut
        run.id_offset, first_split = id_bases(self.store, run.job.video_id, run.segment,
                                              resumed=frame % run.cut != 0)
        run.split_ids = itertools.count(first_split)
        self._restart_tracking(run, run.id_offset)

    def _restart_tracking(self, run: _Run, id_offset: int) -> None:
        """A fresh tracker, motion gate and scene detector; tracker ids numbered from `id_offset`."""
        run.tracker.reset()
        run.gate = MotionGate(self.settings.motion_threshold)
        run.scenes.reset()
        run.previous = None
        run.id_offset = run.next_id = id_offset

    def _analyse(self, run: _Run, index: int, bgr: np.ndarray) -> None:
        """Analyse one frame: cut, detect, track, checkpoint.

        Cuts if a new segment or scene begins; reuses the last detections on a static frame.
        """
        if run.ctx.image_size is None:  # heights need the frame's centre (geometry.pose)
            run.ctx = replace(run.ctx, image_size=(int(bgr.shape[1]), int(bgr.shape[0])))
        segment = index // run.cut
        if segment != run.segment:
            self._checkpoint(run, segment * run.cut - 1, done=True)
            self._start_segment(run, segment * run.cut)
        timer = run.ctx.timer
        with timer("scene"):
            new_scene = run.scenes(bgr)
        if new_scene:  # end every track before this frame; ids go on after the segment's last
            self._checkpoint(run, index - 1, done=True)
            self._restart_tracking(run, run.next_id)
            run.scenes(bgr)  # the new scene's first frame is what the next one is compared with
            run.scene_cuts.append(index)
            logger.info("%s: scene cut at frame %d (change %.1f)", run.job.source, index,
                        run.scenes.last_score)
        assert run.gate is not None
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
            run.next_id = max(run.next_id, tracklet.local_id + 1)
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
        video_id = run.job.video_id
        with run.ctx.timer("store"):
            previous = self.store.video_state(video_id).frames_analysed
            self.store.save_tracks(video_id, ready, resume_frame=safe, frames_analysed=previous + run.analysed)
        run.analysed = 0
        run.added += len(ready)

    def _result(self, run: _Run, last: int) -> IngestResult:
        job = run.job
        decoded = max(last + 1 - job.frames.first, 0)
        return IngestResult(job.video_id, job.camera_id, skipped=False, resumed_from=job.frames.first,
                            frames_decoded=decoded, frames_analysed=run.analysed_run,
                            tracks_added=run.added, video_seconds=decoded / job.fps,
                            wall_seconds=time.perf_counter() - run.wall, stages=run.ctx.timer.breakdown(),
                            scene_cuts=list(run.scene_cuts))
