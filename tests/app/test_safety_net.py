"""F11: the detector safety net cannot be turned off by investigators, and covers picker frames.

As found: an investigator could export with `safety_net: false`, and picker frames had no safety
net at all, so a person the tracker missed stayed clear in both. Here a real PETS frame is served
with no stored track at all (the tracker "missed" everyone): the detector still hides the heads.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from epitrace.app.frames import decode_frame, redacted_frame_jpeg
from epitrace.config import Settings
from epitrace.store import Camera, Video, open_store
from tests_paths import PETS_GT, PETS_VIDEO

pytestmark = pytest.mark.models
FRAME = 100  # 0-based frame index; the GT file numbers frames from 1


def _gt_heads(frame: int) -> list[tuple[int, int, int, int]]:
    """Ground-truth head regions (top fifth of each person box) of a 0-based frame."""
    heads = []
    for line in PETS_GT.read_text().splitlines():
        f, _, x, y, w, h = (float(v) for v in line.split(",")[:6])
        if int(f) == frame + 1 and h > 40:
            heads.append((int(x + 0.2 * w), int(y), int(x + 0.8 * w), int(y + 0.18 * h)))
    return heads


def test_f11_picker_frames_hide_people_no_stored_track_covers(tmp_path: Path, models_dir: Path) -> None:
    if not PETS_VIDEO.exists():
        pytest.skip("shared PETS video not found")
    store = open_store(Settings(home=tmp_path / "home"))
    store.upsert_camera(Camera(id="pets", name="PETS", place="test", latitude=None, longitude=None,
                               calibration=None))
    vid = store.create_video(Video(camera_id="pets", path=str(PETS_VIDEO), sha256="p" * 64, start_ts=0.0,
                                   fps=7.0, analysed_fps=7.0, frames_total=795))
    video = store_video(store, vid)
    original = decode_frame(PETS_VIDEO, FRAME).astype(int)
    without = cv2.imdecode(np.frombuffer(redacted_frame_jpeg(store, video, FRAME), np.uint8), cv2.IMREAD_COLOR)
    with_net = cv2.imdecode(np.frombuffer(redacted_frame_jpeg(store, video, FRAME, models_dir), np.uint8),
                            cv2.IMREAD_COLOR)
    heads = _gt_heads(FRAME)
    assert len(heads) >= 4

    def changed(image: np.ndarray) -> list[bool]:
        return [bool(np.abs(image[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean() > 6)
                for x1, y1, x2, y2 in heads]

    assert not any(changed(without))  # no stored track: nothing is hidden without the net
    hidden = changed(with_net)
    assert sum(hidden) / len(hidden) >= 0.8, hidden


def store_video(store, video_id: int) -> Video:  # type: ignore[no-untyped-def]
    from epitrace.store.case_scope import video_of

    video = video_of(store, video_id=video_id)
    assert video is not None
    return video


def test_f11_investigators_cannot_turn_the_clip_safety_net_off(tmp_path: Path, models_dir: Path) -> None:
    from api.world import build_world
    from cli_login import cheap_argon2
    from epitrace.app import Services, export_clip, open_case
    from epitrace.privacy.audit import entries
    from epitrace.privacy.users import get_user

    with cheap_argon2():
        world = build_world(tmp_path / "home")
    services = Services(Settings(home=world.settings.home, models_path=models_dir), world.store)
    for name, expected in (("ana", True), ("root", False)):
        session = open_case(services, get_user(world.store, name=name), world.case_a)
        export_clip(session, track_id=world.track_a, out=tmp_path / f"{name}.mp4", safety_net=False)
        last = [e for e in entries(world.store, case_id=world.case_a) if e.action == "export"][-1]
        assert last.user == name and last.detail_dict()["safety_net"] is expected
