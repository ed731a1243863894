"""Run the real ingest pipeline on a video and score its tracks against MOT ground truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from epitrace.config import Settings
from epitrace.evaluation.mot import TrackingScores, evaluate_tracking, load_mot
from epitrace.evaluation.throwaway import EVAL_CAMERA, throwaway_pipeline
from epitrace.ingest import IngestResult


def tracks_as_mot(points: list[tuple[int, int, float, float, float, float, float]]) -> pd.DataFrame:
    """Store points -> MOTChallenge rows (1-based frames, x y w h)."""
    rows = [(f + 1, tid, x1, y1, x2 - x1, y2 - y1, c) for tid, f, x1, y1, x2, y2, c in points]
    return pd.DataFrame(rows, columns=["frame", "id", "x", "y", "w", "h", "conf"])


def run_tracking_eval(video: Path, gt: Path, settings: Settings, frames: tuple[int, int] | None,
                      fps: float | None) -> tuple[TrackingScores, IngestResult]:
    """Ingest `video` into a throw-away home and score frames `frames` (1-based, inclusive)."""
    with throwaway_pipeline(settings, "epitrace-eval-", {"id": EVAL_CAMERA, "fps": fps}) as run:
        result = run.ingest(video, fps=fps, stop_after_frames=frames[1] if frames else None)
        pred = tracks_as_mot(run.store.video_points(result.video_id))
    if frames:
        pred = pred[(pred["frame"] >= frames[0]) & (pred["frame"] <= frames[1])]
    return evaluate_tracking(load_mot(gt, frames), pred.reset_index(drop=True)), result
