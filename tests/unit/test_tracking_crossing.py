"""Crossing repair on synthetic tracks: swaps undone, lost tracks re-linked, strangers left alone."""

from __future__ import annotations

import numpy as np
import pytest

from epitrace.config import TrackerConfig
from epitrace.tracking import TrackletBuilder, make_crossing_repair
from epitrace.tracking.crossing import CrossingConfig, CrossingRepair, near
from epitrace.vision import Detections

RED = ((0, 0, 200), (40, 40, 40))  # BGR torso, legs
BLUE = ((200, 0, 0), (0, 160, 0))
GREEN = ((0, 200, 0), (200, 200, 200))
Person = tuple[tuple[int, int, int], tuple[int, int, int]]


def _frame(people: list[tuple[Person, float]]) -> np.ndarray:
    """A grey frame with each person a 24x60 two-colour box whose left edge is at x."""
    frame = np.full((120, 320, 3), 128, np.uint8)
    for (top, legs), x in people:
        frame[20:50, int(x):int(x) + 24] = top
        frame[50:80, int(x):int(x) + 24] = legs
    return frame


def _tracked(boxes: list[tuple[int, float]]) -> Detections:
    xyxy = np.array([[x, 20, x + 24, 80] for _, x in boxes], np.float32).reshape(-1, 4)
    return Detections(xyxy, np.full(len(boxes), 0.9, np.float32), np.array([t for t, _ in boxes], np.int64))


def _builder(repair: bool) -> TrackletBuilder:
    crossing = make_crossing_repair(TrackerConfig(), 7.0, 7.0) if repair else None
    return TrackletBuilder(max_gap_frames=28, repair=crossing)


def _colours(builder: TrackletBuilder, frames: dict[int, dict[float, str]]) -> dict[int, set[str]]:
    """Which person (by colour name) each open tracklet's points lie on."""
    out: dict[int, set[str]] = {}
    for key, t in builder.active.items():
        out[key] = {frames[f][float(b[0])] for f, b in zip(t.frames, t.boxes, strict=True)}
    return out


def _run(builder: TrackletBuilder, script: list[list[tuple[int, Person, str, float]]]) -> dict[int, set[str]]:
    """Feed (tracker id, person, name, x) per frame; -1 ids draw a person the tracker does not report."""
    names: dict[int, dict[float, str]] = {}
    for f, rows in enumerate(script):
        names[f] = {float(x): name for _, _, name, x in rows}
        frame = _frame([(p, x) for _, p, _, x in rows])
        builder.add(f, frame, _tracked([(t, x) for t, _, _, x in rows if t >= 0]))
    return _colours(builder, names)


def _swap_script() -> list[list[tuple[int, Person, str, float]]]:
    """Red (id 1) walks right, blue (id 2) left; they meet (one box), then id 1 follows blue."""
    script = []
    for f in range(40):
        red_x, blue_x = 80.0 + 2 * f, 140.0 - 2 * f
        if f < 15:
            script.append([(1, RED, "red", red_x), (2, BLUE, "blue", blue_x)])
        elif f < 20:  # merged: one box (id 1), blue behind red
            script.append([(-1, BLUE, "blue", blue_x), (1, RED, "red", red_x)])
        else:  # they part: id 1 goes with blue, a new id 3 takes red
            script.append([(1, BLUE, "blue", blue_x), (3, RED, "red", red_x)])
    return script


def test_a_swap_at_a_crossing_is_undone() -> None:
    repaired = _run(_builder(repair=True), _swap_script())
    assert repaired == {1: {"red"}, 2: {"blue"}}  # id 1's tail went back to blue's lost id 2, red's newborn to id 1
    unrepaired = _run(_builder(repair=False), _swap_script())
    assert unrepaired[1] == {"red", "blue"}  # what the tracker alone does


def test_later_points_follow_the_relinked_identity() -> None:
    builder = _builder(repair=True)
    script = _swap_script()
    _run(builder, script)
    before = len(builder.active[1].frames)
    builder.add(40, _frame([(RED, 160.0)]), _tracked([(3, 160.0)]))  # tracker id 3 is red's
    assert len(builder.active[1].frames) == before + 1
    assert len({k for k in builder.alias.values()}) == len(builder.alias)  # ids stay unique


def test_a_track_lost_in_a_crossing_is_relinked_to_its_newborn() -> None:
    script: list[list[tuple[int, Person, str, float]]] = []
    for f in range(40):
        red_x, blue_x = 60.0 + 2 * f, 180.0 - 2 * f
        if f < 25:
            script.append([(1, RED, "red", red_x), (2, BLUE, "blue", blue_x)])
        elif f < 30:  # red hidden behind blue: id 1 lost
            script.append([(2, BLUE, "blue", blue_x)])
        else:  # red comes out beside blue under a new id
            script.append([(2, BLUE, "blue", blue_x), (4, RED, "red", red_x + 10)])
    repaired = _run(_builder(repair=True), script)
    assert repaired == {1: {"red"}, 2: {"blue"}}
    assert 4 not in _run(_builder(repair=True), script) and 4 in _run(_builder(repair=False), script)


def test_a_lost_bystander_keeps_its_own_tracklet_when_it_returns() -> None:
    """Green (id 3) stands beside the crossing, unseen from frame 25 to 34, then is found again."""
    script: list[list[tuple[int, Person, str, float]]] = []
    for f in range(40):
        red_x, blue_x = 60.0 + 2 * f, 180.0 - 2 * f
        green = [(3, GREEN, "green", 161.0)] if f < 25 or f >= 35 else []
        if f < 25:
            script.append([(1, RED, "red", red_x), (2, BLUE, "blue", blue_x), *green])
        elif f < 30:
            script.append([(2, BLUE, "blue", blue_x), *green])
        else:
            script.append([(2, BLUE, "blue", blue_x), (4, RED, "red", red_x + 10), *green])
    assert _run(_builder(repair=True), script) == {1: {"red"}, 2: {"blue"}, 3: {"green"}}


def test_a_newborn_two_lost_tracks_match_alike_keeps_a_new_id() -> None:
    """Two red-dressed people (ids 1 and 3) are lost beside the crossing: which one came back is a guess."""
    script: list[list[tuple[int, Person, str, float]]] = []
    for f in range(40):
        red_x, blue_x = 60.0 + 2 * f, 180.0 - 2 * f
        if f < 25:
            script.append([(1, RED, "red", red_x), (2, BLUE, "blue", blue_x), (3, RED, "twin", 161.0)])
        elif f < 30:
            script.append([(2, BLUE, "blue", blue_x)])
        else:
            script.append([(2, BLUE, "blue", blue_x), (4, RED, "red", red_x + 10)])
    assert _run(_builder(repair=True), script) == {1: {"red"}, 2: {"blue"}, 3: {"twin"}, 4: {"red"}}


def test_a_stranger_born_beside_a_track_keeps_a_new_id() -> None:
    script: list[list[tuple[int, Person, str, float]]] = []
    for f in range(30):
        rows = [(1, RED, "red", 40.0 + 2 * f)]
        if f >= 15:
            rows.append((5, GREEN, "green", 70.0 + 2 * f))
        script.append(rows)
    assert _run(_builder(repair=True), script) == {1: {"red"}, 5: {"green"}}


def test_a_cut_forgets_pending_births_and_aliases() -> None:
    builder = _builder(repair=True)
    _run(builder, _swap_script()[:22])
    assert builder.repair is not None and builder.repair.pending
    builder.pop_all()
    assert not builder.repair.pending and not builder.alias


def test_switched_off_in_config() -> None:
    assert make_crossing_repair(TrackerConfig(crossing_repair=False), 7.0, 7.0) is None
    repair = make_crossing_repair(TrackerConfig(), 25.0, 5.0)
    assert isinstance(repair, CrossingRepair)
    assert repair.config == CrossingConfig(window=4, history=20, recent_frames=25, similarity=0.85, margin=0.05)


@pytest.mark.parametrize(("b", "expected"), [
    ((10, 0, 30, 60), True),  # overlapping
    ((25, 0, 45, 60), True),  # a gap of a quarter box
    ((35, 0, 55, 60), False),  # a gap of three quarters
    ((22, 40, 42, 100), False),  # side by side but at another height
])
def test_near(b: tuple[int, int, int, int], expected: bool) -> None:
    assert near(np.array([0, 0, 20, 60], np.float32), np.array(b, np.float32)) is expected
