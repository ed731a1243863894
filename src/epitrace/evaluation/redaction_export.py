"""Coverage of a real evidence export: ingest, find the subject's tracks, cut the clip, score it.

`redaction.redaction_coverage` scores the redaction rules on detector boxes with the subject's
box taken from the ground truth. An export instead keeps the subject's *stored tracks* clear and
mosaics everyone else's, so tracker errors count too: a track that swaps from a bystander to the
subject, once confirmed as the subject's sighting, shows the bystander for the frames before
the swap. This module measures that end to end with the product's own `export_clip`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from epitrace.config import Settings
from epitrace.evaluation.mot import load_mot
from epitrace.evaluation.redaction import RedactionScores, longest_gt_id, score_regions
from epitrace.ingest import CameraConfig, register_camera
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.ingest.source import iter_frames, to_bgr
from epitrace.privacy.clips import export_clip
from epitrace.privacy.export_redaction import DEFAULT_CONFIG, ExportRedactionConfig, Regions, box_iou
from epitrace.store.orm import Video

EVAL_CAMERA = "eval-camera"
Points = list[tuple[int, int, float, float, float, float, float]]


@dataclass(frozen=True)
class ExportCoverage:
    """Scores of one export, and which stored tracks were kept clear as the subject."""

    scores: RedactionScores
    subject_gt_id: int
    subject_tracks: list[int]


def subject_tracks(points: Points, gt: pd.DataFrame, gt_id: int, min_share: float = 0.5) -> list[int]:
    """Stored tracks whose boxes match GT person `gt_id` (IoU >= 0.5) in >= `min_share` of their frames.

    This is what an investigator confirming sightings by their thumbnails would pick: a track
    that is mostly the subject, swapped parts included.
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
    return sorted(t for t, n in matched.items() if n >= min_share * total[t])


def export_redaction_coverage(video: Path, gt_mot_txt: Path, settings: Settings,
                              frames: tuple[int, int] = (1, 400), subject_gt_id: int | None = None,
                              fps: float | None = None, detector=None,  # type: ignore[no-untyped-def]
                              config: ExportRedactionConfig = DEFAULT_CONFIG) -> ExportCoverage:
    """Ingest `video` into a throw-away home, export the subject's clip over `frames`, score it.

    Args:
        frames: 1-based inclusive GT frames; the clip spans them (ingest starts at frame 1).
        subject_gt_id: GT person kept clear (None: the longest GT track).
        fps: true frame rate when the file's header is wrong (PETS: 7).
        detector: the export's safety-net `PersonDetector`, or None (stored tracks only).

    Raises:
        LookupError: no stored track is the subject's.
    """
    gt = load_mot(gt_mot_txt, frames)
    gid = longest_gt_id(gt) if subject_gt_id is None else subject_gt_id
    first_frame = iter_frames(video)
    shape = to_bgr(next(first_frame)[1]).shape[:2]
    first_frame.close()
    regions: dict[int, Regions] = {}

    def keep(index: int, applied: Regions) -> None:
        regions[index + 1] = applied

    with tempfile.TemporaryDirectory(prefix="epitrace-redaction-") as tmp:
        store, pipeline = open_pipeline(settings.with_home(Path(tmp)))
        try:
            register_camera(store, CameraConfig(id=EVAL_CAMERA, fps=fps))
            result = ingest_file(store, pipeline, video, EVAL_CAMERA, datetime(2009, 1, 1, tzinfo=UTC),
                                 fps=fps, stop_after_frames=frames[1])
            points = store.video_points(result.video_id)
            tracks = subject_tracks(points, gt, gid)
            if not tracks:
                raise LookupError(f"no stored track follows GT person {gid} in frames {frames[0]}-{frames[1]}: "
                                  "check --subject against the ids in the ground truth")
            lengths = {t: sum(1 for p in points if p[0] == t) for t in tracks}
            with store.db.session() as session:
                rate = session.get_one(Video, result.video_id).fps or 25.0
            export_clip(store, track_id=max(lengths, key=lengths.__getitem__), out=Path(tmp) / "clip.mp4",
                        subject_track_ids=set(tracks), margin_s=(frames[1] + 1) / rate, detector=detector,
                        config=config, on_frame=keep)
        finally:
            store.db.dispose()
    scored = [f for f in range(frames[0], frames[1] + 1) if f in regions]
    return ExportCoverage(score_regions(gt_mot_txt, regions, shape, gid, scored), gid, tracks)
