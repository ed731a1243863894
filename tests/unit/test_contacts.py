"""Contact engine: policies, episode tables, co-presence, risk rules, cross-camera merge, and
the contact evaluation reproducing ground truth from ground truth."""

from __future__ import annotations

from contextlib import nullcontext as does_not_raise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from epitrace.config.policies import CDC, WHO, ContactPolicy, get_policy
from epitrace.contacts import (
    ExposureInterval,
    PolicyRiskRule,
    TrackSeries,
    common_times,
    contact_episodes,
    get_risk_rule,
    group_people,
    max_window_exposure,
)
from epitrace.evaluation.contacts import (
    evaluate_contacts,
    gt_episodes,
    gt_tracks,
    load_world_gt,
    parse_frame_range,
    score_episodes,
)

FPS = 7.0
P = 1 / FPS
FAR, NEAR = 5.0, 1.0


# ----- policies -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected", "exception"),
    [
        (("cdc",), (1.83, 900.0, 24.0), does_not_raise()),  # CDC: 6 ft, 15 min in 24 h
        (("WHO",), (1.0, 900.0, 24.0), does_not_raise()),  # names are case-insensitive
        (("custom", 2.0, 5), (2.0, 300.0, 24.0), does_not_raise()),  # minutes -> seconds
        (("who", 1.5), (1.5, 900.0, 24.0), does_not_raise()),  # preset with an override
        (("custom",), None, pytest.raises(ValueError, match="distance")),  # custom needs values
        (("fda",), None, pytest.raises(ValueError, match="cdc, who, custom")),  # unknown name
    ],
)
def test_get_policy(args: tuple[Any, ...], expected: tuple[float, float, float] | None,
                    exception: Any) -> None:
    with exception:
        p = get_policy(*args)
        assert (p.distance_m, p.min_cumulative_s, p.window_h) == pytest.approx(expected)


def test_presets_and_strict_policy() -> None:
    assert get_policy("cdc") is CDC and get_policy("who") is WHO
    assert get_policy("who", 1.5).name == "who+custom"  # a report never claims plain WHO
    with pytest.raises(ValueError):
        ContactPolicy(name="x", distance_m=1, min_cumulative_s=1, window_h=1, radius=2)  # type: ignore[call-arg]


# ----- episodes -----------------------------------------------------------------------------
def _pair(distances: list[float]) -> tuple[TrackSeries, TrackSeries]:
    """Two tracks on a line whose per-frame distance is `distances` (NaN = unmapped)."""
    n = len(distances)
    t = 100.0 + np.arange(n) * P
    a = TrackSeries(t, np.zeros((n, 2)))
    b = TrackSeries(t, np.stack([np.asarray(distances, float), np.zeros(n)], axis=1))
    return a, b


@pytest.mark.parametrize(
    ("distances", "gap", "expected"),  # expected: (first frame, last frame, contact frames)
    [
        ([NEAR] * 5, 2, [(0, 4, 5)]),  # one run
        ([FAR, NEAR, FAR, FAR, FAR, FAR], 2, [(1, 1, 1)]),  # a 1-frame episode lasts 1/fps
        ([NEAR, FAR, FAR, NEAR], 2, [(0, 3, 2)]),  # gap of 2 bridged
        ([NEAR, FAR, FAR, FAR, NEAR], 2, [(0, 0, 1), (4, 4, 1)]),  # gap of 3 splits
        ([NEAR, FAR, NEAR], 0, [(0, 0, 1), (2, 2, 1)]),  # no bridging
        ([2.0, 2.0, 2.0001], 0, [(0, 1, 2)]),  # the radius itself is a contact
        ([NEAR, np.nan, NEAR], 0, [(0, 0, 1), (2, 2, 1)]),  # unmapped point: no contact
        ([FAR] * 4, 2, []),  # never close
    ],
)
def test_episode_table(distances: list[float], gap: int,
                       expected: list[tuple[int, int, int]]) -> None:
    a, b = _pair(distances)
    r = contact_episodes(a, b, 2.0, P, max_gap_frames=gap, min_frames=1)
    got = [(round((e.start_ts - 100) / P), round((e.end_ts - 100) / P), e.n_frames)
           for e in r.episodes]
    assert got == expected


@pytest.mark.parametrize(
    ("distances", "expected"),  # expected: (first frame, last frame, contact frames)
    [
        ([2.1, 1.98, 2.05, 2.3], []),  # one frame dipping under the radius: noise at the limit
        ([FAR, 1.93, FAR, FAR, FAR, 1.9, FAR], []),  # two isolated dips, 3 frames apart
        ([FAR, 1.9, 1.95, FAR], [(1, 2, 2)]),  # two frames: a (short) contact
        ([1.9, FAR, 1.9, FAR], [(0, 2, 2)]),  # two contact frames bridged over one
        ([FAR, NEAR, FAR, FAR, FAR, NEAR, NEAR, NEAR], [(5, 7, 3)]),  # only the lone frame goes
    ],
)
def test_one_frame_flicker_at_the_radius_is_no_episode(distances: list[float],
                                                       expected: list[tuple[int, int, int]]) -> None:
    a, b = _pair(distances)
    r = contact_episodes(a, b, 2.0, P)  # default: an episode needs two contact frames
    got = [(round((e.start_ts - 100) / P), round((e.end_ts - 100) / P), e.n_frames)
           for e in r.episodes]
    assert got == expected
    assert r.exposure_s == pytest.approx(sum((e - s + 1) * P for s, e, _ in expected))
    with pytest.raises(ValueError, match="min_frames"):
        contact_episodes(a, b, 2.0, P, min_frames=0)
    for e, (first, last, _) in zip(r.episodes, expected, strict=True):
        assert e.duration_s == pytest.approx((last - first + 1) * P)
    assert r.exposure_s == pytest.approx(sum((f1 - f0 + 1) * P for f0, f1, _ in expected))
    assert r.calibrated


def test_min_distance_over_episode_and_pair() -> None:
    a, b = _pair([3.0, 1.2, 0.4, 1.9, 4.0])
    r = contact_episodes(a, b, 2.0, P)
    assert r.min_distance_m == pytest.approx(0.4)
    assert r.episodes[0].min_distance_m == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("offset_periods", "matched"),
    [(0.0, 5), (0.3, 5), (-0.45, 5), (0.6, 0)],  # tolerance is half a frame period
)
def test_common_times_tolerance(offset_periods: float, matched: int) -> None:
    t = np.arange(5) * 3 * P  # every third frame, so no other stamp is near
    ia, ib = common_times(t, t + offset_periods * P, 0.5 * P)
    assert len(ia) == len(ib) == matched


def test_missing_common_frames_are_bridged_like_gaps() -> None:
    t = np.arange(10) * P
    a = TrackSeries(t, np.zeros((10, 2)))
    keep = np.array([0, 1, 2, 5, 6, 9])  # b misses 3-4 (bridged) and 7-8 (bridged)
    b = TrackSeries(t[keep], np.full((6, 2), 0.5))
    r = contact_episodes(a, b, 1.0, P, max_gap_frames=2)
    assert len(r.episodes) == 1 and r.episodes[0].duration_s == pytest.approx(10 * P)
    assert contact_episodes(a, b, 1.0, P, max_gap_frames=1).episodes[0].n_frames == 3


def test_uncalibrated_tracks_give_co_presence_only() -> None:
    a = TrackSeries(np.arange(0, 10) * P)
    b = TrackSeries(np.arange(4, 20) * P, np.zeros((16, 2)))  # one side calibrated is not enough
    r = contact_episodes(a, b, 2.0, P)
    assert not r.calibrated and r.min_distance_m is None
    assert [(e.n_frames, e.min_distance_m) for e in r.episodes] == [(6, None)]
    assert r.exposure_s == pytest.approx(6 * P)


def test_series_validates_shapes() -> None:
    with pytest.raises(ValueError, match=r"\(3, 2\)"):
        TrackSeries(np.arange(3.0), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="increasing"):
        TrackSeries(np.array([0.0, 0.0]))


@pytest.mark.parametrize(
    ("intervals", "window", "expected"),
    [
        ([(0, 10), (5, 20)], 100, 20),  # overlapping views counted once
        ([(0, 10), (50, 60)], 30, 10),  # never both in one 30 s window
        ([(0, 10), (20, 30)], 30, 20),  # both fit
        ([], 30, 0),
    ],
)
def test_max_window_exposure(intervals: list[tuple[float, float]], window: float,
                             expected: float) -> None:
    assert max_window_exposure(intervals, window) == pytest.approx(expected)


# ----- risk ---------------------------------------------------------------------------------
POLICY = ContactPolicy(name="test", distance_m=2.0, min_cumulative_s=60, window_h=1)


def _iv(start: float, seconds: float, calibrated: bool = True,
        unmasked: bool = True) -> ExposureInterval:
    return ExposureInterval(start, start + seconds, calibrated, unmasked)


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([_iv(0, 60)], "high"),  # meets the time, unmasked
        ([_iv(0, 30), _iv(100, 30)], "high"),  # cumulative within the window
        ([_iv(0, 40), _iv(7200, 40)], "medium"),  # 80 s in all, but 2 h apart: 40 s per 1 h
        ([_iv(0, 60, unmasked=False)], "medium"),  # meets it, both masked
        ([_iv(0, 30), _iv(100, 30, unmasked=False)], "medium"),  # half the time unmasked
        ([_iv(0, 20), _iv(100, 20, unmasked=False)], "low"),  # under the time
        ([_iv(0, 600, calibrated=False)], "medium"),  # co-presence is never high
        ([_iv(0, 10, calibrated=False)], "low"),
        ([], "low"),
    ],
)
def test_policy_risk_rule(intervals: list[ExposureInterval], expected: str) -> None:
    assert PolicyRiskRule().level(intervals, POLICY) == expected


RULE = "the policy (test: 60 s within 2 m in 1 h)"
BARE = "with at least one without a mask (or mask not seen)"


@pytest.mark.parametrize(
    ("intervals", "expected"),  # one row per branch of PolicyRiskRule
    [
        ([_iv(0, 30), _iv(100, 30)], f"high: 60 s within 2 m {BARE} reaches {RULE}"),
        ([_iv(0, 40), _iv(100, 30, unmasked=False)],
         f"medium: 70 s within 2 m reaches {RULE}, but both wore masks for all but 40 s of it"),
        ([_iv(0, 40)], f"medium: 40 s within 2 m {BARE} reaches half of {RULE}"),
        ([_iv(0, 600, calibrated=False)],
         f"medium: 10.0 min together on an uncalibrated camera (distance not measured) reaches "
         f"{RULE}; co-presence alone is never high"),
        ([_iv(0, 20), _iv(100, 20, unmasked=False), _iv(300, 5, calibrated=False)],
         f"low: 40 s within 2 m (20 s unmasked) and 5.0 s together on an uncalibrated camera "
         f"stays under {RULE}"),
        ([], "low: no exposure"),
    ],
)
def test_risk_reason_names_the_branch(intervals: list[ExposureInterval], expected: str) -> None:
    assessed = PolicyRiskRule().assess(intervals, POLICY)
    assert assessed.reason == expected
    assert assessed.reason.startswith(f"{assessed.level}:")
    assert assessed.level == PolicyRiskRule().level(intervals, POLICY)


def test_unknown_risk_rule_fails_loudly() -> None:
    with pytest.raises(ValueError, match="policy"):
        get_risk_rule("strict")


# ----- cross-camera merge -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tracks", "cameras", "expected"),
    [
        ([1, 2], ["a", "b"], [0, 0]),  # look-alikes on two cameras merge
        ([1, 2], ["a", "a"], [0, 1]),  # same camera: separate tracks stay separate people
        ([1, 3], ["a", "b"], [0, 1]),  # different looks never merge
        ([1, 1, 4], ["a", "a", "b"], [0, 0, 1]),  # same track twice; 4 has no vector
    ],
)
def test_group_people(tracks: list[int], cameras: list[str], expected: list[int]) -> None:
    v = {1: np.array([1.0, 0.0]), 2: np.array([0.995, 0.0998]), 3: np.array([0.0, 1.0])}
    assert group_people(tracks, cameras, v, threshold=0.9) == expected


# ----- evaluation ---------------------------------------------------------------------------
def test_score_episodes_table() -> None:
    gt = {("1", "2"): [(0, 9), (20, 29)], ("1", "3"): [(5, 6)]}
    pred = {("1", "2"): [(2, 9), (12, 13)], ("2", "3"): [(0, 3)]}
    s = score_episodes(gt, pred, FPS)
    assert (s.matched, s.gt_episodes, s.pred_episodes) == (1, 3, 3)
    assert s.precision == pytest.approx(1 / 3) and s.recall == pytest.approx(1 / 3)
    assert s.median_signed_error_s == pytest.approx(-2 / FPS)  # predicted 2 frames short
    assert len(s.missed) == 2 and len(s.false) == 2


@pytest.mark.parametrize(("text", "expected"), [("0:399", (0, 399)), (None, None)])
def test_parse_frame_range(text: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_frame_range(text) == expected
    with pytest.raises(ValueError):
        parse_frame_range("5:1")


@pytest.mark.parametrize("gap", [0, 2])
def test_gt_as_tracks_reproduces_gt_episodes(shared_data: Path, gap: int) -> None:
    """The engine's core on GT positions finds exactly the GT episodes (21 at 2 m)."""
    gt_df = load_world_gt(shared_data / "pets2009_s2l1/PETS2009-S2L1_world_frames0000-0399.csv",
                          (0, 399))
    tracks = {1000 + int(k): t for k, t in gt_tracks(gt_df).items()}
    scores = evaluate_contacts(tracks, gt_df, distance=2.0, fps=FPS, max_gap_frames=gap)
    assert scores.gt_episodes == 21 == sum(map(len, gt_episodes(gt_df, 2.0).values()))
    assert (scores.precision, scores.recall) == (1.0, 1.0)
    assert scores.median_duration_error_s == 0.0 and not scores.missed and not scores.false


# ----- CLI errors (no models needed) --------------------------------------------------------
@pytest.mark.parametrize(
    ("register", "message"),
    [
        (False, "unknown camera"),  # the camera must be registered
        (True, "no calibration"),  # contacts need ground positions
    ],
)
def test_eval_contacts_cli_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  register: bool, message: str) -> None:
    from typer.testing import CliRunner

    from epitrace.cli.main import app
    from epitrace.config import get_settings

    monkeypatch.setenv("EPITRACE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        if register:
            assert runner.invoke(app, ["cameras", "add", "cam-u"]).exit_code == 0
        result = runner.invoke(app, ["eval", "contacts", "--video", "x.avi", "--camera", "cam-u",
                                     "--gt-world", "gt.csv"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert message in result.output
