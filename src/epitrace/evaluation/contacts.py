"""Contact-episode accuracy: episodes from tracked people vs. episodes from ground truth.

Ground truth (`*_world_frames*.csv`: frame (0-based), id, foot pixel, x_m, y_m): two people are
in close contact at a frame when their ground positions are within `distance` metres; a GT
episode is a run of consecutive such frames (no bridging). It lasts (last - first + 1) / fps.

Predicted episodes come from the store's tracks of the same frames:
1. Each track is given one GT identity: per frame, tracks and GT people are matched by ground
   distance (Hungarian, pairs further than `gate_m` apart are not matched), and each track takes
   the GT id it matched most often (majority vote). A track never matched keeps its own label
   (a false person). After an identity swap the track's minority part is thus credited to
   the wrong person: the swap shows up as missed and false episodes, as it would in a report.
2. Contact episodes between every two overlapping tracks come from the contact engine's core
   (`epitrace.contacts.contact_episodes`, `max_gap_frames` bridged, one-frame dips under the
   radius dropped as noise at the limit), and episodes of track pairs
   that map to the same pair of labels are united (a fragmented track does not split an
   episode twice). Two tracks with the same GT id that come close are a false contact.
3. Per label pair, scoring is event-based: a GT episode is found when a predicted episode of
   the same pair shares a frame with it, and a predicted episode is true when it shares a frame
   with a GT episode (a contact split by a track break is still the one real contact).
   Precision = true predicted / predicted, recall = found GT / GT; duration error = summed
   length of the predicted episodes overlapping a found GT episode minus its length, seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import linear_sum_assignment

from epitrace.config import Settings
from epitrace.contacts import TrackSeries, contact_episodes
from epitrace.evaluation.throwaway import EVAL_CAMERA, throwaway_pipeline
from epitrace.store import Store, sightings_repo

if TYPE_CHECKING:
    from epitrace.ingest import IngestResult

logger = logging.getLogger(__name__)

Label = str
PairKey = tuple[Label, Label]
Interval = tuple[int, int]  # first, last frame (inclusive)
WORLD_COLUMNS = ("frame", "id", "x_m", "y_m")


@dataclass(frozen=True)
class FrameTrack:
    """One track in frame units. frames: (n,) increasing; xy: (n, 2) ground metres."""

    frames: npt.NDArray[np.int64]
    xy: npt.NDArray[np.float64]


@dataclass(frozen=True)
class ContactScores:
    """How well predicted contact episodes reproduce the GT ones.

    Attributes:
        median_duration_error_s: median |predicted - GT| duration of matched episodes, seconds
            (NaN if nothing matched); `median_signed_error_s` keeps the sign (negative = short).
        missed, false: (pair, first frame, last frame) of unmatched GT / predicted episodes.
    """

    precision: float
    recall: float
    median_duration_error_s: float
    median_signed_error_s: float
    gt_episodes: int
    pred_episodes: int
    matched: int
    missed: list[tuple[PairKey, int, int]] = field(default_factory=list)
    false: list[tuple[PairKey, int, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The headline figures as JSON-ready values (the miss and false lists left out)."""
        return {"precision": self.precision, "recall": self.recall,
                "median_duration_error_s": self.median_duration_error_s,
                "median_signed_error_s": self.median_signed_error_s,
                "gt_episodes": self.gt_episodes, "pred_episodes": self.pred_episodes,
                "matched": self.matched}


def load_world_gt(path: Path, frames: tuple[int, int] | None = None) -> pd.DataFrame:
    """GT rows (frame 0-based, id, x_m, y_m) of frames `frames` (0-based, inclusive)."""
    df = pd.read_csv(path)
    missing = [c for c in WORLD_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}; expected {list(WORLD_COLUMNS)}")
    df = df[list(WORLD_COLUMNS)].astype({"frame": np.int64, "id": np.int64})
    if frames is not None:
        df = df[(df["frame"] >= frames[0]) & (df["frame"] <= frames[1])]
    return df.sort_values(["id", "frame"]).reset_index(drop=True)


def gt_tracks(df: pd.DataFrame) -> dict[Label, FrameTrack]:
    """GT people as frame tracks, keyed by their id as a string."""
    return {str(pid): FrameTrack(g["frame"].to_numpy(np.int64),
                                 g[["x_m", "y_m"]].to_numpy(np.float64))
            for pid, g in df.groupby("id")}


def gt_episodes(df: pd.DataFrame, distance: float) -> dict[PairKey, list[Interval]]:
    """GT episodes by direct frame runs (independent of the engine's core on purpose)."""
    pairs = df.merge(df, on="frame", suffixes=("_a", "_b"))
    pairs = pairs[pairs["id_a"] < pairs["id_b"]]
    close = pairs[np.hypot(pairs["x_m_a"] - pairs["x_m_b"], pairs["y_m_a"] - pairs["y_m_b"])
                  <= distance]
    out: dict[PairKey, list[Interval]] = {}
    for (a, b), g in close.groupby(["id_a", "id_b"]):
        f = np.sort(g["frame"].to_numpy())
        cut = np.flatnonzero(np.diff(f) > 1)
        out[_key(str(a), str(b))] = [(int(s), int(e)) for s, e in zip(
            f[np.r_[0, cut + 1]], f[np.r_[cut, len(f) - 1]], strict=True)]
    return out


def assign_labels(tracks: dict[int, FrameTrack], gt: dict[Label, FrameTrack],
                  gate_m: float = 1.0) -> dict[int, Label]:
    """Each track's majority GT id (per-frame Hungarian on ground distance, gated)."""
    by_frame: dict[int, list[tuple[str, int, npt.NDArray[np.float64]]]] = {}
    for kind, src in (("t", tracks), ("g", gt)):
        for key, tr in src.items():
            for f, xy in zip(tr.frames, tr.xy, strict=True):
                by_frame.setdefault(int(f), []).append((kind, key, xy))  # type: ignore[arg-type]
    votes: dict[int, dict[Label, int]] = {t: {} for t in tracks}
    for items in by_frame.values():
        ts = [(k, xy) for kind, k, xy in items if kind == "t" and np.isfinite(xy).all()]
        gs = [(k, xy) for kind, k, xy in items if kind == "g"]
        if not ts or not gs:
            continue
        cost = np.linalg.norm(np.stack([x for _, x in ts])[:, None] -
                              np.stack([x for _, x in gs])[None], axis=2)
        for i, j in zip(*linear_sum_assignment(cost), strict=True):
            if cost[i, j] <= gate_m:
                v = votes[int(ts[i][0])]
                v[str(gs[j][0])] = v.get(str(gs[j][0]), 0) + 1
    return {t: max(v, key=lambda k: (v[k], k)) if v else f"track{t}" for t, v in votes.items()}


def predicted_episodes(tracks: dict[int | Label, FrameTrack], labels: dict[int | Label, Label],
                       distance: float, fps: float,
                       max_gap_frames: int = 2) -> dict[PairKey, list[Interval]]:
    """Episodes between labelled tracks via the engine's core, united per label pair."""
    period = 1.0 / fps
    series = {k: TrackSeries(np.asarray(t.frames * period, np.float64), t.xy) for k, t in tracks.items()}
    keys = list(tracks)
    found: dict[PairKey, list[Interval]] = {}
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            ta, tb = tracks[a], tracks[b]
            if ta.frames[0] > tb.frames[-1] or tb.frames[0] > ta.frames[-1]:
                continue
            pair = contact_episodes(series[a], series[b], distance, period, max_gap_frames)
            found.setdefault(_key(labels[a], labels[b]), []).extend(
                (round(e.start_ts * fps), round(e.end_ts * fps)) for e in pair.episodes)
    return {k: _unite(v, max_gap_frames) for k, v in found.items() if v}


def score_episodes(gt: dict[PairKey, list[Interval]], pred: dict[PairKey, list[Interval]],
                   fps: float) -> ContactScores:
    """Event-based scoring per pair: found when an episode of the other side overlaps in time.

    A contact split in two by a short track break is still one real contact, so it is not a
    false alarm; the duration error of a found GT episode compares its length with the summed
    length of the predicted episodes overlapping it (a split that loses frames shows there).
    """
    errors: list[float] = []
    missed, false = [], []
    n_found = n_true_pred = 0
    for key in sorted(set(gt) | set(pred)):
        g, p = gt.get(key, []), pred.get(key, [])
        for gi in g:
            hits = [pi for pi in p if _overlap(gi, pi) > 0]
            if hits:
                n_found += 1
                predicted = sum(pi[1] - pi[0] + 1 for pi in hits)
                errors.append((predicted - (gi[1] - gi[0] + 1)) / fps)
            else:
                missed.append((key, *gi))
        for pi in p:
            if any(_overlap(gi, pi) > 0 for gi in g):
                n_true_pred += 1
            else:
                false.append((key, *pi))
    n_gt, n_pred = sum(map(len, gt.values())), sum(map(len, pred.values()))
    err = np.array(errors)
    return ContactScores(
        precision=n_true_pred / n_pred if n_pred else 1.0,
        recall=n_found / n_gt if n_gt else 1.0,
        median_duration_error_s=float(np.median(np.abs(err))) if len(err) else float("nan"),
        median_signed_error_s=float(np.median(err)) if len(err) else float("nan"),
        gt_episodes=n_gt, pred_episodes=n_pred, matched=n_found, missed=missed, false=false)


def evaluate_contacts(tracks: dict[int, FrameTrack], gt_df: pd.DataFrame, distance: float = 2.0,
                      fps: float = 7.0, gate_m: float = 1.0,
                      max_gap_frames: int = 2) -> ContactScores:
    """Score tracks' contact episodes against GT rows (`load_world_gt`) of the same frames.

    Args:
        tracks: track id -> frames and ground positions (frames 0-based like the GT).
        gt_df: GT rows, already cut to the evaluated frames.
        distance: contact radius, metres (the shared data's "close contact" is 2 m).
        fps: frames per second of both (PETS: 7).
        gate_m: largest track-to-GT distance that counts as the same person, metres.
        max_gap_frames: gaps bridged in predicted episodes (GT episodes are exact runs).

    Example:
        >>> gt = load_world_gt(csv, (0, 399))  # doctest: +SKIP
        >>> evaluate_contacts(gt_as_tracks, gt).recall  # doctest: +SKIP
        1.0
    """
    gt = gt_tracks(gt_df)
    labels = assign_labels(tracks, gt, gate_m)
    pred = predicted_episodes(dict(tracks), dict(labels), distance, fps,  # type: ignore[arg-type]
                              max_gap_frames)
    scores = score_episodes(gt_episodes(gt_df, distance), pred, fps)
    logger.info("contacts: precision %.3f recall %.3f (%d/%d), median |error| %.2f s",
                scores.precision, scores.recall, scores.matched, scores.gt_episodes,
                scores.median_duration_error_s)
    return scores


def store_frame_tracks(store: Store, video_id: int,
                       frames: tuple[int, int] | None = None) -> dict[int, FrameTrack]:
    """A video's tracks with ground positions, cut to `frames` (0-based, inclusive)."""
    with store.unit() as s:
        rows = sightings_repo.video_ground_frames(s, video_id=video_id)
    df = pd.DataFrame(rows, columns=["track", "frame", "x", "y"]).astype(
        {"x": np.float64, "y": np.float64})
    if frames is not None:
        df = df[(df["frame"] >= frames[0]) & (df["frame"] <= frames[1])]
    if len(df) and df[["x", "y"]].isna().all().all():
        raise ValueError("the tracks have no ground positions: the camera needs a calibration")
    return {int(t): FrameTrack(g["frame"].to_numpy(np.int64), g[["x", "y"]].to_numpy(np.float64))
            for t, g in df.groupby("track")}


def run_contacts_eval(video: Path, calibration: dict[str, Any], gt_world_csv: Path,
                      settings: Settings, frames: tuple[int, int] | None = None,
                      distance: float = 2.0, fps: float = 7.0,
                      max_gap_frames: int = 2) -> tuple[ContactScores, IngestResult]:
    """Ingest `video` into a throw-away home (camera calibrated by `calibration`) and score it.

    Args:
        video: the video file, ingested from its first frame.
        calibration: a calibration spec as stored with a camera, e.g.
            `{"type": "tsai_xml", "path": ".../View_001.xml"}`.
        gt_world_csv: world ground truth (`load_world_gt`).
        settings: settings whose models (and nothing else of whose home) are used.
        frames: (first, last) frames, 0-based inclusive like the world CSV (default: the GT's
            span); ingest runs from frame 0 to `last`, so the tracker starts as it would on the
            full video.
        distance: contact radius, metres.
        fps: true frame rate of the video and the GT (PETS: 7).
        max_gap_frames: gaps bridged in predicted episodes.
    """
    if frames is None:
        span = load_world_gt(gt_world_csv)["frame"]
        frames = (int(span.min()), int(span.max()))
    camera = {"id": EVAL_CAMERA, "fps": fps, "calibration": calibration}
    with throwaway_pipeline(settings, "epitrace-contacts-", camera) as run:
        result = run.ingest(video, fps=fps, stop_after_frames=frames[1] + 1)
        tracks = store_frame_tracks(run.store, result.video_id, frames)
    gt_df = load_world_gt(gt_world_csv, frames)
    return evaluate_contacts(tracks, gt_df, distance, fps, max_gap_frames=max_gap_frames), result


def parse_frame_range(text: str | None, first_frame: int = 0) -> tuple[int, int] | None:
    """'A:B' -> (A, B), inclusive; `first_frame` is 0 for the world CSV, 1 for MOTChallenge files."""
    if not text:
        return None
    try:
        first, last = (int(v) for v in text.split(":"))
    except ValueError as exc:
        raise ValueError(f"--frames {text!r}: expected A:B, e.g. {first_frame}:{first_frame + 399}") from exc
    if first < first_frame or last < first:
        raise ValueError(f"--frames {text!r}: need {first_frame} <= A <= B")
    return first, last


def _key(a: Label, b: Label) -> PairKey:
    return (a, b) if (len(a), a) <= (len(b), b) else (b, a)


def _overlap(a: Interval, b: Interval) -> int:
    return min(a[1], b[1]) - max(a[0], b[0]) + 1


def _unite(intervals: list[Interval], max_gap_frames: int) -> list[Interval]:
    out: list[list[int]] = []
    for s, e in sorted(intervals):
        if out and s - out[-1][1] - 1 <= max_gap_frames:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]
