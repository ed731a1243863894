"""Search by description through the app on a small stored world, with attributes measured on
real PETS images (re-ID crops for colours, ground-truth boxes through the Tsai calibration for
height): ranking, case scope (window and cameras), refusal outside scope, and the audit entry."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from sqlalchemy import select

from cli_login import cheap_argon2
from epitrace.app.case_session import CaseSession
from epitrace.geometry import TsaiCalibration
from epitrace.store.attributes_repo import attributes_of, save_attributes
from epitrace.store.orm import Case, Track
from epitrace.store.records import AttributesRecord
from epitrace.tracing.describe import Description
from epitrace.vision.attributes import track_attributes
from tests_paths import PETS, PETS_GT, SHARED_DATA

pytest.importorskip("argon2")

from api.world import World, build_world  # noqa: E402

CROPS = SHARED_DATA / "reid" / "pets09_s2l1_crops" / "gallery"
pytestmark = pytest.mark.skipif(not CROPS.exists() or not PETS_GT.exists(), reason="shared PETS data not found")
PEOPLE = {1: 11, 2: 16, 3: 14, 4: 13}  # world track local id -> PETS person whose look it gets


class _Crop:
    def __init__(self, person: np.ndarray) -> None:
        self.person = person


def _measured(pets_id: int) -> AttributesRecord:
    crops = [_Crop(cv2.imread(str(p))) for p in sorted(CROPS.glob(f"{pets_id:04d}_*.jpg"))]
    gt = np.loadtxt(PETS_GT, delimiter=",")
    rows = gt[gt[:, 1] == pets_id]
    boxes = np.column_stack([rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4], rows[:, 3] + rows[:, 5]])
    return track_attributes(crops, boxes, TsaiCalibration.from_xml(PETS / "calibration" / "View_001.xml"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("describe") / "home")
    looks = {pid: _measured(pid) for pid in set(PEOPLE.values())}
    with w.store.db.session() as s:
        tracks = [(int(t.id), int(t.local_id)) for t in s.scalars(select(Track))]
    for track_id, local in tracks:  # both cameras: camera b is outside case A's scope
        save_attributes(w.store, track_id=track_id, rec=looks[PEOPLE[local]])
    yield w


def _session(world: World, name: str = "ana") -> CaseSession:
    from epitrace.app import Services, open_case
    from epitrace.privacy.users import get_user

    return open_case(Services(world.settings, world.store), get_user(world.store, name=name), world.case_a)


def _track(world: World, camera: str, local: int) -> int:
    with world.store.db.session() as s:
        return int(s.scalar(select(Track.id).where(Track.camera_id == camera, Track.local_id == local)))


def test_measured_looks_are_what_the_eye_sees(world: World) -> None:
    got = attributes_of(world.store, track_ids=[_track(world, "a", k) for k in (1, 2)])
    red, blue = got[_track(world, "a", 1)], got[_track(world, "a", 2)]
    assert (red.upper, red.lower) == ("red", "black")
    assert (blue.upper, blue.lower) == ("blue", "blue")
    assert red.height_m is not None and 1.6 < red.height_m < 1.95


def test_describe_ranks_the_described_person_first_in_scope(world: World) -> None:
    from epitrace.app.describe import describe
    from epitrace.privacy.audit import entries

    red_height = attributes_of(world.store, track_ids=[_track(world, "a", 1)])[_track(world, "a", 1)].height_m
    assert red_height is not None
    before = len(entries(world.store, case_id=world.case_a))
    found = describe(_session(world), Description(upper="red", lower="black", height_m=round(red_height, 2)))
    assert found[0].track_id == _track(world, "a", 1)
    assert found[0].matched == ("upper", "lower", "height")
    assert str(found[0].explanation).startswith("red upper, black lower, 1.")
    assert {c.camera_id for c in found} == {"a"}  # camera b's red-jacket track is another case's footage
    log = entries(world.store, case_id=world.case_a)
    assert len(log) == before + 1 and log[-1].action == "search" and log[-1].user == "ana"


def test_describe_narrows_by_window_and_refuses_other_cameras(world: World) -> None:
    from epitrace.app.describe import describe
    from epitrace.app.errors import OutOfScope
    session = _session(world)
    all_red = describe(session, Description(upper="red"))
    early = describe(session, Description(upper="red", end_ts=min(c.start_ts for c in all_red)))
    assert 0 < len(early) <= len(all_red)
    assert all(c.start_ts <= min(x.start_ts for x in all_red) for c in early)
    with pytest.raises(OutOfScope):
        describe(session, Description(upper="red", cameras=("b",)))


def test_describe_refused_on_a_pending_case(world: World) -> None:
    from epitrace.app.describe import describe
    from epitrace.tracing import CaseRuleError

    session = _session(world)
    pending = CaseSession(session.services, session.user, _with_status(session.case, "pending"), session.scope,
                          session.subjects)
    with pytest.raises(CaseRuleError):
        describe(pending, Description(upper="red"))


def _with_status(case: Case, status: str) -> Case:
    clone = copy.copy(case)
    clone.status = status
    return clone


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    from typer.testing import CliRunner

    from epitrace.cli.main import app as cli_app
    from epitrace.config import get_settings
    from epitrace.privacy.sessions import create_session
    from epitrace.privacy.users import get_user

    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="ana")))
    get_settings.cache_clear()
    return CliRunner().invoke(cli_app, list(args))


def test_cli_describe(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _cli(world, monkeypatch, "case", "describe", world.case_a, "--upper", "red", "--lower", "black",
               "--height", "1.75", "--json")
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert rows[0]["track_id"] == _track(world, "a", 1) and rows[0]["explanation"].startswith("red upper")
    table = _cli(world, monkeypatch, "case", "describe", world.case_a, "--upper", "blue", "--camera", "a")
    assert table.exit_code == 0 and "blue upper" in table.output
    bad = _cli(world, monkeypatch, "case", "describe", world.case_a, "--upper", "crimson")
    assert bad.exit_code != 0 and "unknown colour" in bad.output
    other = _cli(world, monkeypatch, "case", "describe", world.case_a, "--upper", "red", "--camera", "b")
    assert other.exit_code != 0 and "not one of case" in other.output
    traced = _cli(world, monkeypatch, "case", "trace", world.case_a, "--json")
    assert traced.exit_code == 0, traced.output
    cands = [c for per_subject in json.loads(traced.output).values() for c in per_subject]
    assert cands and all(" upper, " in c["explanation"] for c in cands)


def test_api_describe_and_explained_search(world: World, tmp_path: Path) -> None:
    import warnings

    from cli_login import PASSWORD
    from epitrace.api import ServerSettings, create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    server = ServerSettings(upload_dir=tmp_path / "uploads")
    with cheap_argon2(), TestClient(create_app(world.settings, server, retention=False)) as client:
        token = client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD}).json()["token"]
        client.cookies.clear()
        auth = {"Authorization": f"Bearer {token}"}
        base = f"/api/cases/{world.case_a}"
        r = client.post(f"{base}/describe", headers=auth, json={"upper": "red", "lower": "black", "height_m": 1.75})
        assert r.status_code == 200, r.text
        first = r.json()["candidates"][0]
        assert first["track_id"] == _track(world, "a", 1) and first["matched"] == ["upper", "lower", "height"]
        # the same words as phrases a page can translate: templates and values, never finished English
        assert first["explanation_phrases"][:2] == [{"template": "{colour} upper", "params": {"colour": "red"}},
                                                    {"template": "{colour} lower", "params": {"colour": "black"}}]
        assert client.post(f"{base}/describe", headers=auth, json={"upper": "crimson"}).status_code == 422
        assert client.post(f"{base}/describe", headers=auth, json={}).status_code == 422  # nothing described
        assert client.post(f"{base}/describe", headers=auth, json={"upper": "red", "cameras": ["b"]}).status_code == 404
        found = client.post(f"{base}/search", headers=auth, json={}).json()["subjects"][0]["candidates"]
        assert found and all(c["explanation"] and " upper, " in c["explanation"] for c in found)


def test_ingest_records_keep_their_attributes_until_the_track_goes(world: World) -> None:
    """What ingest measured is stored with the track (Store.save_tracks) and removed with it."""
    from epitrace.store import TrackRecord

    frames = np.arange(500, 505, dtype=np.int64)
    rec = TrackRecord(local_id=99, frames=frames, ts=frames / 7.0 + 1.0e9, boxes=np.tile(
        np.array([[10, 10, 40, 100]], np.float32), (5, 1)), confidence=np.full(5, 0.9, np.float32), ground=None,
        attributes=_measured(16))
    (track_id,) = world.store.save_tracks(world.video_id, [rec], 0, 0)
    got = attributes_of(world.store, track_ids=[track_id])[track_id]
    assert (got.upper, got.lower) == ("blue", "blue") and got.height_m is not None
    assert world.store.delete_tracks_from(world.video_id, 500) == 1
    assert attributes_of(world.store, track_ids=[track_id]) == {}
