"""The routes the web app's new pages call: footage spans (gaps skipped, case scope kept),
undoing a decision (audited), the photo face picker (consent first) and the calibration check
(administrators; the error of a fit on clicked points)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from cli_login import cheap_argon2
from epitrace.privacy.audit import entries
from epitrace.store import Video

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.world import FPS, FRAMES, T0, World, api_client, build_world, login, write_video  # noqa: E402

pytest.importorskip("argon2")
GAP_S = 3600.0


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("footage") / "home")
        clip = write_video(w.settings.home / "a_later.avi")  # the same camera, an hour after its first video ends
        w.store.create_video(Video(camera_id="a", path=str(clip), sha256="c" * 64,
                                   start_ts=T0.timestamp() + FRAMES / FPS + GAP_S, fps=FPS, analysed_fps=FPS,
                                   frames_total=FRAMES))
        yield w


@pytest.fixture(scope="module")
def client(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(world, tmp_path_factory.mktemp("uploads")) as c:
        yield c


def test_footage_spans_skip_the_gap_and_keep_the_scope(client: TestClient, world: World) -> None:
    h = login(client, "ana")
    r = client.get(f"/api/cases/{world.case_a}/footage", params={"camera_id": "a"}, headers=h)
    assert r.status_code == 200, r.text
    spans = r.json()["spans"]
    assert len(spans) == 2, spans
    first_end = T0 + timedelta(seconds=FRAMES / FPS)
    assert spans[0]["start"].startswith(T0.strftime("%Y-%m-%dT%H:%M:%S"))
    assert spans[0]["end"].startswith(first_end.strftime("%Y-%m-%dT%H:%M:%S"))
    assert spans[1]["start"].startswith((first_end + timedelta(seconds=GAP_S)).strftime("%Y-%m-%dT%H:%M:%S"))
    # Camera b belongs to ben's case only: refused, as if it had no footage.
    r = client.get(f"/api/cases/{world.case_a}/footage", params={"camera_id": "b"}, headers=h)
    assert r.status_code == 404, r.text
    r = client.get(f"/api/cases/{world.case_b}/footage", params={"camera_id": "b"}, headers=h)
    assert r.status_code in (403, 404), r.text


def test_a_reject_can_be_undone_and_the_undo_is_audited(client: TestClient, world: World) -> None:
    from epitrace.store.decision_undo import decisions_of
    from epitrace.store.orm import Track

    h = login(client, "ana")
    with world.store.db.session() as s:
        other = int(s.query(Track.id).filter(Track.camera_id == "a", Track.local_id == 2).scalar())
    base = f"/api/cases/{world.case_a}/subjects/{world.subject_a}"
    r = client.post(f"{base}/decisions", json={"decision": "rejected", "track_ids": [other]}, headers=h)
    assert r.status_code == 200, r.text
    assert decisions_of(world.store, subject_id=world.subject_a, track_ids=[other]) == {other: "rejected"}
    r = client.post(f"{base}/decisions/undo", json={"track_ids": [other]}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["cleared"] == {str(other): "rejected"}
    assert decisions_of(world.store, subject_id=world.subject_a, track_ids=[other]) == {}
    assert any(e.action == "undo_decision" and e.user == "ana" for e in entries(world.store, case_id=world.case_a))
    # Ben cannot undo in ana's case, nor reach a sighting outside his scope.
    hb = login(client, "ben")
    assert client.post(f"{base}/decisions/undo", json={"track_ids": [other]}, headers=hb).status_code in (403, 404)
    r = client.post(f"/api/cases/{world.case_b}/subjects/{world.subject_b}/decisions/undo",
                    json={"track_ids": [other]}, headers=hb)
    assert r.status_code == 404, r.text


def test_photo_faces_need_consent_first(client: TestClient, world: World, shared_data: Path) -> None:
    photo = shared_data / "faces" / "stills" / "examples" / "knn_examples" / "test" / "obama_and_biden.jpg"
    h = login(client, "ana")
    url = f"/api/cases/{world.case_a}/subjects/{world.subject_a}/enrol/photo/faces"
    r = client.post(url, files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")}, headers=h)
    assert r.status_code in (403, 409), r.text  # patient-1 did not consent to face matching
    assert "consent" in r.json()["detail"]
    r = client.post(f"/api/cases/{world.case_a}/subjects", json={"label": "consenting", "face_consent": True},
                    headers=h)
    sid = r.json()["id"]
    url = f"/api/cases/{world.case_a}/subjects/{sid}/enrol/photo/faces"
    r = client.post(url, files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")}, headers=h)
    assert r.status_code == 200, r.text
    faces = r.json()["faces"]
    assert len(faces) >= 2 and [f["index"] for f in faces] == list(range(len(faces)))  # Obama and Biden at least
    xs = [f["x1"] for f in faces]
    assert xs == sorted(xs)  # leftmost first, as enrolment's `face` counts


def test_calibration_check_is_for_administrators_and_measures_the_fit(client: TestClient) -> None:
    square = {"image": [[0, 0], [100, 0], [100, 100], [0, 100]], "ground": [[0, 0], [1, 0], [1, 1], [0, 1]]}
    assert client.post("/api/cameras/calibration/check", json=square,
                       headers=login(client, "ana")).status_code == 403
    h = login(client, "root")
    r = client.post("/api/cameras/calibration/check", json=square, headers=h)
    assert r.status_code == 200 and r.json()["rmse_m"] < 1e-6  # four points: an exact fit
    off = {"image": [*square["image"], [50, 50]], "ground": [*square["ground"], [0.7, 0.5]]}
    r = client.post("/api/cameras/calibration/check", json=off, headers=h)
    body = r.json()
    assert r.status_code == 200 and 0.01 < body["rmse_m"] < 0.2 and len(body["residuals_m"]) == 5
    assert int(np.argmax(body["residuals_m"])) == 4  # the point that is off the square is the worst
    r = client.post("/api/cameras/calibration/check", json={**off, "ground": square["ground"]}, headers=h)
    assert r.status_code in (400, 422), r.text


def test_saving_a_calibration_keeps_the_rest_of_the_camera(client: TestClient, world: World) -> None:
    """The calibration page re-sent the whole camera and dropped its retention override (issue 13 note)."""
    root = login(client, "root")
    camera = {"id": "kept", "name": "Kept", "place": "Hall", "timezone": "Asia/Seoul", "fps": 7, "retention_days": 9}
    assert client.put("/api/cameras", json=camera, headers=root).status_code == 200
    points = {"image": [[0, 0], [100, 0], [100, 100], [0, 100], [50, 50]],
              "ground": [[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]]}
    assert client.put("/api/cameras/kept/calibration", json=points,
                      headers=login(client, "ana")).status_code == 403  # investigators do not set cameras up
    r = client.put("/api/cameras/kept/calibration", json=points, headers=root)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["calibration"], body["retention_days"], body["timezone"], body["place"], body["fps"]) == \
        ("points", 9, "Asia/Seoul", "Hall", 7)
    line = {**points, "image": [[0, 0], [1, 1], [2, 2], [3, 3]], "ground": [[0, 0], [1, 0], [1, 1], [0, 1]]}
    r = client.put("/api/cameras/kept/calibration", json=line, headers=root)
    assert r.status_code in (400, 422), r.text  # collinear clicks cannot define a ground plane
    assert client.get("/api/cameras/kept", headers=root).json()["calibration"] == "points"  # the old one stays
    assert client.put("/api/cameras/nowhere/calibration", json=points, headers=root).status_code == 404
    puts = [e for e in entries(world.store) if e.action == "camera_put" and '"kept"' in e.detail]
    assert len(puts) == 2 and all(e.user == "root" for e in puts)
