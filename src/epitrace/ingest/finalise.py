"""Turn a finished tracklet into a stored track: ground positions, vectors, face, mask, thumbnails."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from epitrace.ingest.feet import foot_points, foot_window
from epitrace.ingest.timing import StageTimer
from epitrace.ingest.vision_models import VisionModels
from epitrace.store import ThumbnailRecord, TrackRecord
from epitrace.tracking import Sample, Tracklet
from epitrace.vision.attributes import track_attributes
from epitrace.vision.face_chips import face_chip
from epitrace.vision.face_quality import FaceQuality, best_faces, template
from epitrace.vision.masks import FaceSample, track_mask_state

logger = logging.getLogger(__name__)

GroundMapper = Callable[[npt.NDArray[np.float32]], npt.NDArray[np.floating[Any]]]  # (n, 2) pixels -> (n, 2) metres


@dataclass(frozen=True)
class FinaliseContext:
    """Everything the finaliser needs besides the tracklet."""

    models: VisionModels
    start_ts: float
    fps: float
    analysed_step: float
    to_ground: GroundMapper | None
    min_points: int
    smoothing_points: int  # odd window of the ground-position moving average (1: none)
    body_samples: int
    face_samples: int
    thumbnails: int
    timer: StageTimer
    embed_faces: bool = True  # False: keep a face chip for a consenting case to embed later
    face_keep: int = 3  # face samples kept per track (best by quality) and averaged
    face_embed_min_px: float = 0.0  # a best face smaller (px) gets no vector or chip: search never compares it
    image_size: tuple[int, int] | None = None  # (width, height) of the frames, once the first is seen


def interpolate_gaps(t: Tracklet, step: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32],
                                                         npt.NDArray[np.float32]]:
    """Fill missed analysed frames inside a track by linear interpolation (confidence 0)."""
    frames = np.array(t.frames, np.int64)
    boxes = np.stack(t.boxes).astype(np.float32)
    conf = np.array(t.confidence, np.float32)
    all_frames = [int(frames[0])]
    for a, b in zip(frames[:-1], frames[1:], strict=False):
        k = 1
        while round(a + k * step) < b:
            all_frames.append(int(round(a + k * step)))
            k += 1
        all_frames.append(int(b))
    full = np.array(all_frames, np.int64)
    if len(full) == len(frames):
        return frames, boxes, conf
    out_boxes = np.stack([np.interp(full, frames, boxes[:, j]) for j in range(4)], axis=1)
    out_conf = np.where(np.isin(full, frames), np.interp(full, frames, conf), 0.0)
    return full, out_boxes.astype(np.float32), out_conf.astype(np.float32)


def smooth_positions(xy: npt.NDArray[np.float32], window: int) -> npt.NDArray[np.float32]:
    """Centred moving average of (n, 2) positions (edges padded; NaN rows left as they are)."""
    if window <= 1 or len(xy) < 2:
        return xy
    pad = window // 2
    kernel = np.ones(window, np.float32) / window
    out = xy.copy()
    for d in range(2):
        padded = np.pad(xy[:, d], (pad, pad), mode="edge")
        out[:, d] = np.convolve(padded, kernel, mode="valid")
    bad = ~np.isfinite(xy).all(axis=1)
    out[bad] = xy[bad]
    return out


def _spread_best(samples: list[Sample], n: int) -> list[Sample]:
    """Up to n samples, the best of each of n equal time slices of the track."""
    if len(samples) <= n:
        return list(samples)
    slices = np.array_split(np.arange(len(samples)), n)
    return [max((samples[i] for i in s), key=lambda x: x.quality) for s in slices if len(s)]


def _face_and_mask(ctx: FinaliseContext, samples: list[Sample]) -> tuple[
        npt.NDArray[np.float32] | None, list[tuple[int, bytes]], FaceQuality | None, str, float]:
    """The track's face and mask state from its best `face_keep` faces (vision.face_quality).

    The face comes as the quality-weighted mean of those faces' embeddings, or as their chips
    (best first) when embedding is left to a case; the best face's quality goes with it. A best
    face under `face_embed_min_px` keeps its quality and mask state but gets neither: search
    (tracing.face_bands) never compares a face that small, and the embedding is the face stage's
    largest cost.
    """
    m = ctx.models
    if m.faces is None or m.face_embedder is None or ctx.face_samples == 0:
        return None, [], None, "unknown", 0.0
    heads = [(s.frame, s.head) for s in sorted(samples, key=lambda x: -x.quality)[: ctx.face_samples]]
    kept = best_faces(heads, m.faces, ctx.face_keep)
    if not kept:
        return None, [], None, "unknown", 0.0
    best = kept[0]
    vector, chips = None, []
    comparable = not 0 < best.quality.size_px < ctx.face_embed_min_px  # size 0 (unknown) is compared
    if comparable and ctx.embed_faces:
        vector = template([m.face_embedder.embed(o.image, o.box) for o in kept], [o.quality.value for o in kept])
    elif comparable:
        for o in kept:
            ok, buf = cv2.imencode(".jpg", face_chip(o.image, o.box), [cv2.IMWRITE_JPEG_QUALITY, 92])
            if ok:
                chips.append((o.frame, buf.tobytes()))
    mask_state, mask_conf = "unknown", 0.0
    if m.masks is not None:
        faces = [FaceSample(o.image, o.box, o.quality.score, o.quality.size_px) for o in kept]
        mask = track_mask_state(m.masks, faces)
        mask_state, mask_conf = mask.state, mask.confidence
    return vector, chips, best.quality, mask_state, mask_conf


def finalise(t: Tracklet, ctx: FinaliseContext) -> TrackRecord | None:
    """The stored form of `t`, or None when it is too short to be a person."""
    if sum(c > 0 for c in t.confidence) < ctx.min_points or not t.samples:
        return None
    frames, boxes, conf = interpolate_gaps(t, ctx.analysed_step)
    ts = ctx.start_ts + frames / ctx.fps
    ground = None
    if ctx.to_ground is not None:
        feet = foot_points(boxes, foot_window(ctx.fps, ctx.analysed_step))
        ground = smooth_positions(ctx.to_ground(feet).astype(np.float32), ctx.smoothing_points)
    chosen = _spread_best(t.samples, ctx.body_samples)
    with ctx.timer("embeddings"):
        # each crop balanced by its own colour: a camera's running colour (vision.body_embed.CameraColour)
        # would make a track's vector depend on what the process saw before, so Ray and in-process differ
        body = ctx.models.body.embed_crops([s.person for s in chosen]).mean(axis=0)
        body = (body / max(float(np.linalg.norm(body)), 1e-12)).astype(np.float32)
    with ctx.timer("faces"):
        face, chips, face_q, mask_state, mask_conf = _face_and_mask(ctx, t.samples)
    thumbs = [ThumbnailRecord(frame=frame, kind="face", jpeg=jpeg) for frame, jpeg in chips]
    for s in sorted(chosen, key=lambda x: -x.quality)[: ctx.thumbnails]:
        ok, jpeg = cv2.imencode(".jpg", s.person, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            thumbs.append(ThumbnailRecord(frame=s.frame, kind="body", jpeg=jpeg.tobytes()))
    return TrackRecord(
        local_id=t.local_id, frames=frames, ts=ts, boxes=boxes, confidence=conf, ground=ground,
        body_vector=body, face_vector=face, face_score=face_q.score if face_q else 0.0,
        face_px=face_q.size_px if face_q else 0.0, face_quality=face_q.value if face_q else 0.0,
        face_frontal=face_q.frontal if face_q else 0.0, mask_state=mask_state,
        mask_confidence=mask_conf, thumbnails=thumbs,
        attributes=track_attributes(chosen, boxes, getattr(ctx.to_ground, "calibration", None), ctx.image_size),
    )
