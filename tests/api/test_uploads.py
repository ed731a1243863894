"""Refusing bad input cleanly: oversized and malformed uploads, malformed JSON, unknown ids."""

from __future__ import annotations

import cv2
import numpy as np

from .conftest import uploads_in
from .world import World, write_video


def _form(camera: str = "a") -> dict[str, str]:
    return {"camera_id": camera, "start": "2026-03-02T09:00:00Z"}


def test_an_oversized_upload_is_refused_with_413_and_nothing_kept(client, tokens, server_settings) -> None:  # type: ignore[no-untyped-def]
    big = b"\0" * (2 * 1024 * 1024)  # the limit in these tests is 1 MiB
    r = client.post("/api/ingest/jobs", headers=tokens["root"], data=_form(), files={"file": ("big.avi", big)})
    assert r.status_code == 413 and "too large" in r.json()["detail"]
    assert uploads_in(server_settings.upload_dir) == []


def test_a_chunked_oversized_body_is_cut_off(client, tokens) -> None:  # type: ignore[no-untyped-def]
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b"x" * 65536

    r = client.post("/api/cases", headers={**tokens["ana"], "Content-Type": "application/json"}, content=chunks())
    assert r.status_code == 413


def test_a_file_that_is_not_a_video_is_refused_with_422(client, tokens, server_settings) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/ingest/jobs", headers=tokens["root"], data=_form(),
                    files={"file": ("clip.avi", b"RIFF....AVI not really a video" * 20)})
    assert r.status_code == 422 and r.json()["detail"].startswith("'clip.avi': no video stream")
    assert uploads_in(server_settings.upload_dir) == []


def test_unknown_camera_and_zone_less_start_are_refused(client, tokens, tmp_path) -> None:  # type: ignore[no-untyped-def]
    clip = write_video(tmp_path / "ok.avi", frames=8).read_bytes()
    r = client.post("/api/ingest/jobs", headers=tokens["root"], data=_form("nope"), files={"file": ("ok.avi", clip)})
    assert r.status_code == 404 and "unknown camera" in r.json()["detail"]
    r = client.post("/api/ingest/jobs", headers=tokens["root"], data={"camera_id": "a", "start": "2026-03-02T09:00:00"},
                    files={"file": ("ok.avi", clip)})
    assert r.status_code == 422 and "zone" in r.json()["detail"]


def test_server_paths_are_for_admins_and_unreachable_streams_are_refused(client, tokens) -> None:  # type: ignore[no-untyped-def]
    body = {"source": "/etc/passwd", "camera_id": "a", "start": "2026-03-02T09:00:00Z"}
    assert client.post("/api/ingest/jobs/source", headers=tokens["ana"], json=body).status_code == 403
    assert client.post("/api/ingest/jobs/source", headers=tokens["root"], json=body).status_code == 422
    stream = client.post("/api/ingest/jobs/source", headers=tokens["root"], json={**body, "source": "rtsp://cam/1"})
    assert stream.status_code == 422 and "cannot reach the stream" in stream.json()["detail"]


def test_malformed_json_and_unknown_fields_are_422_with_a_message(client, tokens) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/cases", headers={**tokens["ana"], "Content-Type": "application/json"}, content=b"{not json")
    assert r.status_code == 422 and r.json()["detail"].startswith("invalid request")
    r = client.post("/api/cases", headers=tokens["ana"], json={"legal_basis": "x", "onset": "2026-03-02T09:00:00Z",
                                                                 "surprise": 1})
    assert r.status_code == 422 and "surprise" in r.json()["detail"]


def test_photo_enrolment_checks_consent_size_and_format(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    url = f"/api/cases/{world.case_a}/subjects/{world.subject_a}/enrol/photo"
    jpeg = cv2.imencode(".jpg", np.zeros((40, 40, 3), np.uint8))[1].tobytes()
    r = client.post(url, headers=tokens["ana"], files={"file": ("face.jpg", jpeg, "image/jpeg")})
    assert r.status_code == 409 and "consent" in r.json()["detail"]  # no consent: refused before any face work
    consented = client.post(f"/api/cases/{world.case_a}/subjects", headers=tokens["ana"],
                            json={"label": "consented", "face_consent": True}).json()["id"]
    url = f"/api/cases/{world.case_a}/subjects/{consented}/enrol/photo"
    r = client.post(url, headers=tokens["ana"], files={"file": ("face.jpg", b"GIF89a nonsense", "image/jpeg")})
    assert r.status_code == 422 and "not a readable image" in r.json()["detail"]
    r = client.post(url, headers=tokens["ana"], files={"file": ("face.jpg", b"\xff" * (700 * 1024), "image/jpeg")})
    assert r.status_code == 413
