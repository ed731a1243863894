"""Re-link identities by appearance where people cross: the IoU tracker's swaps and lost tracks.

Why: when two people cross, a detector often gives one box for both; when they part, the IoU
tracker keeps the merged track on whichever person its motion model favours and starts a new
track on the other (or resumes a lost one on the wrong person). On PETS S2L1 with NanoDet that
put person 15's first 30 frames and person 9's next 140 on one id, then left person 9's track on
person 17 while a new id took person 9 (IDF1 0.81).

A *birth* (a new track) beside other tracks is where such an error shows. Once the newborn has
`window` points, each partner's appearance before the crossing (`pre`: its mean colour signature
over `history` points before the birth, long enough that the merged stretch is a minority; the
mean makes the cosine each point's vote) is matched to every appearance
after it (`post`: the newborn's first points, and each still-active partner's points since the
birth). Linking a pre to a post is worth their signature cosine minus `similarity` (what a link
must beat; a post left unlinked starts a new identity, worth 0). The best assignment
(Hungarian) replaces the tracker's own (each active partner continues itself; the newborn is
new) only when it links the newborn and beats by `margin` both every assignment that leaves the
newborn new and every one that links it to another identity (an ambiguous link is no link).
Tails are then exchanged from the birth frame: a key permutation, so ids stay unique and later
points of each tracker id follow its re-assigned identity.

The decision needs only the segment's own frames, so Ray chunks and in-process runs agree.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from epitrace.config import TrackerConfig
from epitrace.tracking.signature import mean_signature
from epitrace.tracking.tracklets import Tracklet

logger = logging.getLogger(__name__)
Vector = npt.NDArray[np.float32]
WINDOW_S = 0.7  # appearance averaged over this much of each segment (5 points at 7 fps)
HISTORY_S = 4.0  # a partner's appearance before the crossing: its mean over this much before the birth
RECENT_S = 1.0  # a partner lost longer ago than this is no partner


@dataclass(frozen=True)
class CrossingConfig:
    """How births are judged; windows count points (analysed frames), gaps video frames.

    Args:
        window: points averaged into each appearance (newborn's first, partner's before/after).
        history: a partner's last points before the birth averaged into its appearance; long
            enough that the crossing itself (one box for two people, 1-2 s) is a minority.
        recent_frames: a lost partner must have been seen this many video frames before the birth.
        similarity: signature cosine a link must exceed to beat starting a new identity.
        margin: how much the best assignment must beat the tracker's own (sum of cosines).
    """

    window: int
    history: int
    recent_frames: int
    similarity: float
    margin: float


@dataclass
class _Birth:
    key: int
    frame: int
    partners: list[int]


def near(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> bool:
    """Boxes side by side or overlapping: a gap under half the narrower width, half the height shared."""
    width = min(a[2] - a[0], b[2] - b[0])
    height = min(a[3] - a[1], b[3] - b[1])
    gap = max(a[0], b[0]) - min(a[2], b[2])  # negative when they overlap
    shared = min(a[3], b[3]) - max(a[1], b[1])
    return bool(gap < 0.5 * width and shared >= 0.5 * height)


def _points_from(t: Tracklet, frame: int) -> int:
    """Index of the first point at or after `frame`."""
    return int(np.searchsorted(np.asarray(t.frames), frame))


def plan(birth_key: int, frame: int, partners: list[int], active: MutableMapping[int, Tracklet],
         config: CrossingConfig) -> dict[int, int] | None:
    """The key permutation that re-links tails from `frame` on, or None to keep the tracker's.

    Args:
        birth_key: the newborn tracklet (all its points at or after `frame`).
        frame: the birth frame.
        partners: tracklets beside the newborn at its birth (active or recently lost).
        active: open tracklets by key.
        config: windows and thresholds.
    """
    newborn = active[birth_key]
    outgoing: list[tuple[int, Vector]] = []  # (key, appearance before the crossing)
    incoming: list[tuple[int, Vector]] = [(birth_key, mean_signature(newborn.signatures[:config.window]))]
    for key in partners:
        t = active[key]
        split = _points_from(t, frame)
        if split < config.window:
            continue  # too young to know what it looked like
        outgoing.append((key, mean_signature(t.signatures[max(0, split - config.history):split])))
        if split < len(t.frames):
            incoming.append((key, mean_signature(t.signatures[split:split + config.window])))
    if not outgoing:
        return None
    gain = np.array([[float(o @ i) - config.similarity for _, i in incoming] for _, o in outgoing])
    best, (rows, cols) = _best(gain)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("birth %d at %d: before %s, after %s, cosines %s", birth_key, frame, [k for k, _ in outgoing],
                     [k for k, _ in incoming], np.round(gain + config.similarity, 3).tolist())
    links = {incoming[c][0]: outgoing[r][0] for r, c in zip(rows, cols, strict=True) if gain[r, c] > 0}
    if birth_key not in links:
        return None
    chosen = [k for k, _ in outgoing].index(links[birth_key])
    # Column 0 is the newborn: the best without it (the tracker's own is one such assignment), and
    # with it linked to each other identity; the chosen one must beat them all by `margin`.
    others = [_total(gain[:, 1:])] + [gain[r, 0] + _total(np.delete(gain[:, 1:], r, axis=0))
                                      for r in range(len(outgoing)) if r != chosen and gain[r, 0] > 0]
    if best - max(others) < config.margin:
        return None
    return _permutation(links)


def _best(gain: npt.NDArray[np.float64]) -> tuple[float, tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """The best one-to-one assignment (links worth their gain, no link worth 0): its value and pairs."""
    positive = np.maximum(gain, 0.0)
    rows, cols = linear_sum_assignment(positive, maximize=True)
    return float(positive[rows, cols].sum()) if gain.size else 0.0, (rows, cols)


def _total(gain: npt.NDArray[np.float64]) -> float:
    """Value of the best one-to-one assignment, links worth their gain, no link worth 0."""
    return _best(gain)[0]


def _permutation(links: dict[int, int]) -> dict[int, int]:
    """Complete `links` (tail's key -> identity's key, one-to-one) to a bijection of the keys involved.

    A key that receives a tail but gives none away (its tracker id lost, or its tail left as a
    new identity) takes over a key whose tail left and which receives none; every other key
    keeps its own, so a lost bystander's tracker id still finds its own tracklet if it returns.
    """
    perm = dict(links)
    given = sorted(k for k in links if k not in links.values())
    taken = sorted(k for k in links.values() if k not in links)
    perm.update(zip(taken, given, strict=True))
    return perm


def exchange_tails(active: MutableMapping[int, Tracklet], perm: dict[int, int], frame: int) -> None:
    """Move each key's points from `frame` on to `perm[key]`; empty tracklets are dropped."""
    tails = {}
    for key in perm:
        t = active.get(key)
        if t is None:
            continue
        i = _points_from(t, frame)
        tails[key] = (t.frames[i:], t.boxes[i:], t.confidence[i:], t.signatures[i:],
                      [s for s in t.samples if s.frame >= frame])
        del t.frames[i:], t.boxes[i:], t.confidence[i:], t.signatures[i:]
        t.samples = [s for s in t.samples if s.frame < frame]
    for key, (frames, boxes, confidence, signatures, samples) in tails.items():
        target = active.setdefault(perm[key], Tracklet(local_id=perm[key]))
        target.frames += frames
        target.boxes += boxes
        target.confidence += confidence
        target.signatures += signatures
        target.samples += samples
    for key in perm:
        if key in active and not active[key].frames:
            del active[key]


@dataclass
class CrossingRepair:
    """Watches births in a `TrackletBuilder` and re-links them once they have `window` points."""

    config: CrossingConfig
    pending: list[_Birth] = field(default_factory=list)

    def reset(self) -> None:
        """Forget pending births (a cut)."""
        self.pending.clear()

    def born(self, key: int, frame: int, active: MutableMapping[int, Tracklet]) -> None:
        """Note a new tracklet and the tracklets beside it (seen at most `recent_frames` ago)."""
        box = active[key].boxes[0]
        partners = []
        for other, t in active.items():
            if other == key or t.frames[0] >= frame:
                continue
            i = max(_points_from(t, frame + 1) - 1, 0)  # its box at the birth, or its last before
            if frame - t.frames[i] <= self.config.recent_frames and near(box, t.boxes[i]):
                partners.append(other)
        if partners:
            self.pending.append(_Birth(key, frame, partners))

    def decide(self, frame: int, active: MutableMapping[int, Tracklet]) -> list[dict[int, int]]:
        """Judge the births that are ready; re-link tails in `active`; returns each permutation applied.

        The caller must re-map its tracker ids through the permutations, in order.
        """
        applied = []
        waiting = []
        for birth in self.pending:
            newborn = active.get(birth.key)
            if newborn is None or newborn.frames[0] != birth.frame:
                continue  # already finished or re-linked
            if len(newborn.frames) < self.config.window:
                if frame - newborn.frames[-1] <= self.config.recent_frames:
                    waiting.append(birth)
                continue
            partners = [k for k in birth.partners if k in active]
            perm = plan(birth.key, birth.frame, partners, active, self.config) if partners else None
            if perm is not None:
                logger.debug("crossing at frame %d: tails re-linked %s", birth.frame, perm)
                exchange_tails(active, perm, birth.frame)
                applied.append(perm)
        self.pending = waiting
        return applied


def make_crossing_repair(config: TrackerConfig, video_fps: float, analysed_fps: float) -> CrossingRepair | None:
    """The repair `config` asks for (None when `crossing_repair` is off), windows set for the frame rates."""
    if not config.crossing_repair:
        return None
    return CrossingRepair(CrossingConfig(
        window=max(2, round(WINDOW_S * analysed_fps)), history=max(4, round(HISTORY_S * analysed_fps)),
        recent_frames=max(1, round(RECENT_S * video_fps)), similarity=config.crossing_similarity,
        margin=config.crossing_margin))
