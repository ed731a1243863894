"""Attacks on the case window: footage and people outside the approved window must not leave.

A case is approved for a window of time and a list of cameras. Every id a route takes is
checked against both, but a few use cases reached past the window without taking an id:

- a clip's margin (the CLI took any number of seconds; the API 30) was cut around the
  sighting whatever the window, so `epitrace export clip --margin 86400` exported a day of a
  camera's footage outside the case;
- contacts (and contacts of contacts) were followed along tracks into time the case never
  covered, and the contact list, its exports and the report listed them (times, places,
  exposure, thumbnails).

Camera "c" records 10 s (70 frames at 7 fps) from T0; the case's window ends at T0 + 5 s
(frame 35). The subject S (frames 0-29) is inside; C1 (frames 20-59) overlaps the window;
C2 (frames 45-69) lies wholly after it and is only a contact of C1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import av
import numpy as np
import pytest

from api.world import FPS, LEGAL_BASIS, T0, World, _rec, build_world, write_video
from cli_login import cheap_argon2
from epitrace import app as core
from epitrace.app import Services
from epitrace.config import get_policy
from epitrace.privacy.users import get_user
from epitrace.store import Camera, Video

pytest.importorskip("argon2")
WINDOW_END_FRAME = 35


@dataclass
class Chain:
    world: World
    services: Services
    case_id: str
    subject: int
    s: int
    c1: int
    c2: int


def _track(world: World, cam: str, local_id: int) -> int:
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with world.store.db.session() as s:
        return int(s.scalar(select(Track.id).where(Track.camera_id == cam, Track.local_id == local_id)))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    from epitrace.privacy.users import assign
    from epitrace.store.case_states import set_approved
    from epitrace.tracing import add_subject, confirm, enrol_track, new_case

    with cheap_argon2():
        home = tmp_path_factory.mktemp("window") / "home"
        world = build_world(home)
        store = world.store
        store.upsert_camera(Camera(id="c", name="Camera C", place="test", latitude=37.5, longitude=126.8,
                                   calibration=None))
        clip = write_video(home / "c.avi")
        vid = store.create_video(Video(camera_id="c", path=str(clip), sha256="c" * 64, start_ts=T0.timestamp(),
                                       fps=FPS, analysed_fps=FPS, frames_total=70))
        rng = np.random.default_rng(3)
        store.save_tracks(vid, [_rec(1, 0, rng.normal(size=64).astype(np.float32), 0.0, n=30),
                                _rec(2, 20, rng.normal(size=64).astype(np.float32), 0.5, n=40),
                                _rec(3, 45, rng.normal(size=64).astype(np.float32), 1.0, n=25)], 0, 0)
        store.finish_video(vid, 70, 70)
        end = T0 + timedelta(seconds=WINDOW_END_FRAME / FPS)
        case = new_case(store, legal_basis=LEGAL_BASIS, onset=end - timedelta(days=1), isolation=end,
                        title="window", cameras=["c"], user="ana")
        assign(store, user="ana", case_id=case.id)
        set_approved(store, case_id=case.id, by="root")
        subject = add_subject(store, case_id=case.id, label="patient-w", face_consent=False)
        s, c1, c2 = (_track(world, "c", n) for n in (1, 2, 3))
        enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=s)
        confirm(store, case_id=case.id, subject_id=subject.id, track_id=s, user="ana")
        yield Chain(world, Services(world.settings, store), case.id, subject.id, s, c1, c2)


def _session(chain: Chain, name: str) -> core.CaseSession:
    return core.open_case(chain.services, get_user(chain.world.store, name=name), chain.case_id)


def _frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_the_world_is_what_the_attack_needs(chain: Chain) -> None:
    session = _session(chain, "ana")
    inside = session.require_sightings([chain.s, chain.c1])
    assert inside == [chain.s, chain.c1]
    with pytest.raises(LookupError):
        session.require_sighting(chain.c2)  # after the window: not the case's


def test_a_clip_margin_beyond_the_limit_is_refused_in_the_core(chain: Chain, tmp_path: Path) -> None:
    """`epitrace export clip --margin 3600` (no bound in the CLI) must not cut an hour of footage."""
    session = _session(chain, "root")
    with pytest.raises(ValueError, match="margin"):
        core.export_clip(session, track_id=chain.s, out=tmp_path / "hour.mp4", margin_s=3600.0, safety_net=False)
    with pytest.raises(ValueError, match="margin"):
        core.export_clip(session, track_id=chain.s, out=tmp_path / "neg.mp4", margin_s=-5.0, safety_net=False)
    assert not (tmp_path / "hour.mp4").exists() and not (tmp_path / "neg.mp4").exists()


def test_a_clip_never_runs_past_the_case_window(chain: Chain, tmp_path: Path) -> None:
    """A 30 s margin (the API's maximum) around S stops at the window's end, frame 35, not the video's, 69."""
    session = _session(chain, "root")
    out = core.export_clip(session, track_id=chain.s, out=tmp_path / "s.mp4", margin_s=30.0, safety_net=False)
    assert 30 <= _frames(out) <= WINDOW_END_FRAME + 1


def test_a_clip_keeps_the_sightings_own_frames(chain: Chain, tmp_path: Path) -> None:
    """C1 overlaps the window's end: its own frames (20-59) are the case's evidence, the margin past it is not."""
    session = _session(chain, "root")
    out = core.export_clip(session, track_id=chain.c1, out=tmp_path / "c1.mp4", margin_s=30.0, safety_net=False)
    assert _frames(out) == 60  # frames 0 (margin inside the window) to 59 (the track's end), none after


def test_contacts_outside_the_window_are_not_listed(chain: Chain) -> None:
    """C2 met only C1, after the window: not in the case's contacts, first or second order."""
    session = _session(chain, "ana")
    rows = core.contacts(session, policy=get_policy("cdc"), second_order=True)
    listed = {r.contact.contact_track_id for r in rows}
    assert chain.c1 in listed  # the real contact is still there
    assert chain.c2 not in listed
    exported = core.export_contacts(session, policy=get_policy("cdc"), formats=["csv"], second_order=True)
    assert chain.c2 not in {r.contact.contact_track_id for r in exported}


def test_the_report_shows_nobody_outside_the_window(chain: Chain) -> None:
    """The report gathers contacts and their thumbnails itself: the same scope applies."""
    from epitrace.reports import gather

    data = gather(chain.world.store, case_id=chain.case_id, policy=get_policy("cdc"), second_order=True)
    everyone = {c.contact_track_id for s in data.subjects for c in s.contacts + s.second_order}
    assert chain.c1 in everyone and chain.c2 not in everyone
    assert chain.c2 not in data.contact_thumbnails


def test_a_frame_outside_the_window_is_answered_like_no_video(chain: Chain) -> None:
    """The refusal must not tell that the case's camera has footage outside the window."""
    session = _session(chain, "ana")
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with chain.world.store.db.session() as s:
        video = int(s.scalar(select(Track.video_id).where(Track.id == chain.c2)))
    with pytest.raises(LookupError) as outside:
        core.frame_image(session, video_id=video, frame=60)  # 8.6 s: after the window
    with pytest.raises(LookupError) as missing:
        core.frame_image(session, video_id=10**6, frame=60)
    # ids replaced as whole numbers only: video 6 must not turn "frame 60" into "frame N0"
    assert re.sub(rf"\b{video}\b", "N", str(outside.value)) == re.sub(rf"\b{10**6}\b", "N", str(missing.value))
