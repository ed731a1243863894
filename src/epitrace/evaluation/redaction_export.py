"""Coverage of a real evidence export: ingest, find the subject's tracks, cut the clip, score it.

`redaction.redaction_coverage` scores the redaction rules on detector boxes with the subject's
box taken from the ground truth. An export instead keeps the subject's *stored tracks* clear and
mosaics everyone else's, so tracker errors count too: a track that swaps from a bystander to the
subject, once confirmed as the subject's sighting, shows the bystander for the frames before
the swap. This module measures that end to end with the product's own `export_clip`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from epitrace.config import Settings
from epitrace.evaluation.mot import load_mot
from epitrace.evaluation.redaction import RedactionScores, longest_gt_id, score_regions
from epitrace.evaluation.throwaway import EVAL_CAMERA, throwaway_pipeline
from epitrace.media import probe_video
from epitrace.privacy.clips import export_clip
from epitrace.privacy.export_redaction import DEFAULT_CONFIG, ExportRedactionConfig, Regions, box_iou
from epitrace.privacy.face_regions import FaceFinder

Points = list[tuple[int, int, float, float, float, float, float]]


@dataclass(frozen=True)
class ExportCoverage:
    """Scores of one export, and which stored tracks were kept clear as the subject."""

    scores: RedactionScores
    subject_gt_id: int
    subject_tracks: list[int]  # longest first


def subject_tracks(points: Points, gt: pd.DataFrame, gt_id: int, min_share: float = 0.5) -> list[int]:
    """Stored tracks whose boxes match GT person `gt_id` (IoU >= 0.5) in >= `min_share` of their frames.

    This is what an investigator confirming sightings by their thumbnails would pick: a track
    that is mostly the subject, swapped parts included. Longest first (most points; ties by id).
    """
    subj = gt[gt["id"] == gt_id].set_index("frame")
    matched: dict[int, int] = {}
    total: dict[int, int] = {}
    for tid, f, x1, y1, x2, y2, _ in points:
        total[tid] = total.get(tid, 0) + 1
        if f + 1 in subj.index:  # store frames are 0-based, MOT frames 1-based
            r = subj.loc[f + 1]
            g = np.array([[r.x, r.y, r.x + r.w, r.y + r.h]], np.float32)
            if box_iou(np.array([[x1, y1, x2, y2]], np.float32), g)[0, 0] >= 0.5:
                matched[tid] = matched.get(tid, 0) + 1
    return sorted((t for t, n in matched.items() if n >= min_share * total[t]), key=lambda t: (-total[t], t))


def export_redaction_coverage(video: Path, gt_mot_txt: Path, settings: Settings,
                              frames: tuple[int, int] = (1, 400), subject_gt_id: int | None = None,
                              fps: float | None = None, detector: Any = None,
                              config: ExportRedactionConfig = DEFAULT_CONFIG,
                              face_detector: FaceFinder | None = None,
                              calibration: Mapping[str, Any] | None = None) -> ExportCoverage:
    """Ingest `video` into a throw-away home, export the subject's clip over `frames`, score it.

    Args:
        video: the footage to ingest.
        gt_mot_txt: MOTChallenge ground truth of every person.
        settings: where the models are (the throw-away home replaces the data folders).
        frames: 1-based inclusive GT frames; the clip spans them (ingest starts at frame 1).
        subject_gt_id: GT person kept clear (None: the longest GT track).
        fps: true frame rate when the file's header is wrong (PETS: 7).
        detector: the export's safety-net `PersonDetector`, or None (stored tracks only).
        config: the export's redaction rules.
        face_detector: the export's face detector (`FaceDetector`), or None (no face boxes).
        calibration: the camera's calibration spec (as in cameras.yaml), registered with the
            throw-away camera so the export orders people by ground depth; None: image height.

    Raises:
        LookupError: no stored track is the subject's (checked before ingesting when the subject
            is not in the ground truth of `frames` at all).
    """
    gt = load_mot(gt_mot_txt, frames)
    gid = longest_gt_id(gt) if subject_gt_id is None else subject_gt_id
    nobody = LookupError(f"no stored track follows GT person {gid} in frames {frames[0]}-{frames[1]}: "
                         "check --subject against the ids in the ground truth")
    info = probe_video(video)
    shape = (info.height, info.width)
    rate = fps or info.fps  # the stored video's rate: ingest refuses a file with neither
    if not (gt["id"] == gid).any():
        raise nobody
    regions: dict[int, Regions] = {}

    def keep(index: int, applied: Regions) -> None:
        regions[index + 1] = applied

    camera = {"id": EVAL_CAMERA, "fps": fps, "calibration": calibration}
    with throwaway_pipeline(settings, "epitrace-redaction-", camera) as run:
        result = run.ingest(video, fps=fps, stop_after_frames=frames[1])
        tracks = subject_tracks(run.store.video_points(result.video_id), gt, gid)
        if not tracks:
            raise nobody
        export_clip(run.store, track_id=tracks[0], out=run.home / "clip.mp4", subject_track_ids=set(tracks),
                    margin_s=(frames[1] + 1) / rate, detector=detector, config=config, on_frame=keep,
                    face_detector=face_detector)
    scored = [f for f in range(frames[0], frames[1] + 1) if f in regions]
    return ExportCoverage(score_regions(gt_mot_txt, regions, shape, gid, scored), gid, tracks)
