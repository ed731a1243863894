"""Scene cuts on real footage: none on continuous PETS, one where the shot changes, and no
stored track on both sides of a cut (issue 15, item 1)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from epitrace.config import IngestSettings, Settings
from epitrace.ingest import CameraConfig, SceneCutDetector, register_camera
from epitrace.ingest.service import ingest_file, open_pipeline
from epitrace.media import iter_frames, to_bgr
from tests_paths import PETS_VIDEO, SHARED_DATA

pytestmark = [pytest.mark.slow]
START = datetime(2009, 3, 1, 9, 0, tzinfo=UTC)
SPLICE = 40  # first frame of the second shot


def _pets(first: int, stop: int) -> list[npt.NDArray[np.uint8]]:
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video missing")
    return [to_bgr(f) for i, f in iter_frames(PETS_VIDEO) if first <= i < stop]


def test_no_cut_in_continuous_pets_frames_1_to_400() -> None:
    """Every frame of PETS S2L1 1-400 (the video is 7 fps, the analysed rate): people walking
    through a fixed view never look like a new shot."""
    detector = SceneCutDetector(IngestSettings().scene_cut_threshold)
    cuts, scores = [], []
    for index, frame in enumerate(_pets(1, 401), start=1):
        if detector(frame):
            cuts.append(index)
        scores.append(detector.last_score)
    assert len(scores) == 400
    assert cuts == [], f"false cuts at {cuts} (peak change {max(scores):.1f})"


def test_a_switch_to_another_camera_and_back_is_two_cuts() -> None:
    """PETS, then the ETH/BIWI hotel camera's view (another data set), then PETS again."""
    hotel_png = SHARED_DATA / "eth_biwi" / "seq_hotel" / "reference.png"
    if not hotel_png.exists():
        pytest.skip("shared ETH/BIWI reference image missing")
    hotel = cv2.resize(cv2.imread(str(hotel_png)), (768, 576))
    frames = _pets(0, SPLICE) + [hotel] * 5 + _pets(SPLICE, SPLICE + 10)
    detector = SceneCutDetector()
    assert [i for i, frame in enumerate(frames) if detector(frame)] == [SPLICE, SPLICE + 5]


def test_a_ptz_pan_over_walking_people_is_a_cut_and_the_still_view_before_it_is_not() -> None:
    """PETS frames 100-109 seen through a 640-px window: still for five frames, then panning
    24 px per analysed frame (a slow PTZ move, ~170 px/s), while the people keep walking."""
    frames = _pets(100, 110)
    views = [f[:, :640] for f in frames[:5]] + [f[:, 24 * k: 640 + 24 * k] for k, f in enumerate(frames[5:], 1)]
    assert {v.shape for v in views} == {(576, 640, 3)}
    detector = SceneCutDetector()
    assert [detector(v) for v in views] == [False] * 5 + [True] * 5


def _two_shot_clip(out: Path) -> Path:
    """PETS frames 0-39, then frames 40-69 as a camera on the other side of the square sees
    them (mirrored): the same people, other places in the picture."""
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 7, (768, 576))
    for i, frame in enumerate(_pets(0, SPLICE + 30)):
        writer.write(frame if i < SPLICE else cv2.flip(frame, 1))
    writer.release()
    return out


def _ingest(settings: Settings, clip: Path, threshold: float) -> tuple[list[int], list[tuple[int, int, int]]]:
    cfg = settings.model_copy(update={"ingest": settings.ingest.model_copy(update={"scene_cut_threshold": threshold})})
    store, pipeline = open_pipeline(cfg)
    register_camera(store, CameraConfig(id="pets", fps=7))
    result = ingest_file(store, pipeline, clip, "pets", START)
    with sqlite3.connect(cfg.home / "epitrace.db") as con:
        tracks = con.execute("SELECT local_id, start_frame, end_frame FROM tracks").fetchall()
    return result.scene_cuts, tracks


@pytest.mark.models
def test_no_stored_track_spans_a_shot_cut(tmp_path: Path, models_dir: Path) -> None:
    clip = _two_shot_clip(tmp_path / "two_shots.avi")
    cuts, tracks = _ingest(Settings(home=tmp_path / "cut", models_path=models_dir), clip, 27.0)
    assert cuts == [SPLICE]
    assert not [t for t in tracks if t[1] < SPLICE <= t[2]], tracks
    assert any(t[2] < SPLICE for t in tracks) and any(t[1] >= SPLICE for t in tracks), tracks
    assert len({t[0] for t in tracks}) == len(tracks), "a local id was reused after the cut"
    # Without the detector the tracker carries people across the cut: the clip does test it.
    off_cuts, off_tracks = _ingest(Settings(home=tmp_path / "off", models_path=models_dir), clip, 0.0)
    assert off_cuts == [] and [t for t in off_tracks if t[1] < SPLICE <= t[2]]
