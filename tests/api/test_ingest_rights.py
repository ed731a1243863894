"""Issue 12 attacks on ingest through the API: F4 (store paths), F5 (URLs), F6 (rights), F12, F13."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from epitrace.api import create_app
from epitrace.ingest.claims import write_claim
from epitrace.privacy.audit import entries
from epitrace.privacy.users import add_user
from epitrace.store import Video

from .conftest import uploads_in
from .world import PASSWORD, T0, World, login, write_video

SOURCE = "/api/ingest/jobs/source"


@pytest.fixture(scope="module")
def ran() -> list[Any]:
    return []


@pytest.fixture(scope="module")
def client2(world: World, server_settings, ran: list[Any]) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An app whose jobs are recorded, not run (the real runner is tested with models elsewhere)."""
    add_user(world.store, name="olga", password=PASSWORD, role="operator")
    app = create_app(world.settings, server_settings, retention=False)

    def runner(job, progress):  # type: ignore[no-untyped-def]
        ran.append(job)
        return {"video_id": 0}

    app.state.jobs._runner = runner
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def heads(client2: TestClient) -> dict[str, dict[str, str]]:
    return {name: login(client2, name) for name in ("root", "ana", "olga")}


def _body(source: str, **kw: Any) -> dict[str, Any]:
    return {"source": source, "camera_id": "a", "start": "2026-03-02T09:00:00Z", **kw}


def test_f6_investigators_neither_ingest_nor_register_cameras(client2: TestClient, heads, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """F6: an investigator uploads footage to any camera and re-registers cameras: refused (403)."""
    clip = write_video(tmp_path / "ok.avi", frames=8).read_bytes()
    form = {"camera_id": "a", "start": "2026-03-02T09:00:00Z"}
    r = client2.post("/api/ingest/jobs", headers=heads["ana"], data=form, files={"file": ("ok.avi", clip)})
    assert r.status_code == 403
    assert client2.put("/api/cameras", headers=heads["ana"], json={"id": "zz"}).status_code == 403
    assert client2.get("/api/ingest/jobs", headers=heads["ana"]).status_code == 403
    r = client2.post("/api/ingest/jobs", headers=heads["olga"], data=form, files={"file": ("ok.avi", clip)})
    assert r.status_code == 202, r.text  # an operator may
    assert client2.get("/api/cameras", headers=heads["olga"]).status_code == 200  # the ingest page lists them
    r = client2.put("/api/cameras", headers=heads["olga"], json={"id": "op-cam", "name": "by olga"})
    assert r.status_code == 200, r.text
    puts = [e for e in entries(world_store(client2)) if e.action == "camera_put" and e.user == "olga"]
    assert puts and "op-cam" in str(puts[-1].detail)


def world_store(client: TestClient) -> Any:
    return client.app.state.services.store  # type: ignore[attr-defined]


def test_f5_investigators_never_make_the_server_fetch_a_url(client2: TestClient, heads) -> None:  # type: ignore[no-untyped-def]
    """F5: an investigator's stream URL to an internal host: refused before any connection (403)."""
    r = client2.post(SOURCE, headers=heads["ana"], json=_body("rtsp://127.0.0.1:1/x"))
    assert r.status_code == 403
    r = client2.post(SOURCE, headers=heads["root"], json=_body("file:///etc/passwd"))
    assert r.status_code == 422 and "file://" in r.json()["detail"]


def test_f5_closed_and_unknown_hosts_answer_alike(client2: TestClient, heads) -> None:  # type: ignore[no-untyped-def]
    """F5: port scanning through the stream check: a closed port and a dead host give one message."""
    closed = client2.post(SOURCE, headers=heads["root"], json=_body("rtsp://127.0.0.1:1/x")).json()["detail"]
    unknown = client2.post(SOURCE, headers=heads["root"], json=_body("rtsp://no-such-host.invalid:1/x")).json()
    assert closed.replace("127.0.0.1", "H") == unknown["detail"].replace("no-such-host.invalid", "H")
    assert "refused" not in closed.lower() and "errno" not in closed.lower()


def test_f4_a_server_path_naming_the_database_is_refused(client2: TestClient, heads, world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """F4: an admin names the database, its WAL or a symlink to it as an ingest path: refused, DB untouched."""
    db = world.settings.home / "epitrace.db"
    link = tmp_path / "innocent.avi"
    link.symlink_to(db)
    for path in (db, db.with_name("epitrace.db-wal"), link, world.settings.key_file):
        r = client2.post(SOURCE, headers=heads["root"], json=_body(str(path)))
        assert r.status_code == 403, (path, r.text)
        assert "EpiTrace's home" in r.json()["detail"] and str(world.settings.home) not in r.json()["detail"]


def test_f13_absurd_fps_refused(client2: TestClient, heads, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """F13: fps=5e-324 (stored 0 tracks and blocked a correct re-ingest): refused with 422."""
    clip = write_video(tmp_path / "f.avi", frames=8)
    r = client2.post(SOURCE, headers=heads["root"], json=_body(str(clip), fps=5e-324))
    assert r.status_code == 422 and "between 0.1 and 240" in r.json()["detail"]
    r = client2.post("/api/ingest/jobs", headers=heads["root"],
                     data={"camera_id": "a", "start": "2026-03-02T09:00:00Z", "fps": "5e-324"},
                     files={"file": ("f.avi", clip.read_bytes())})
    assert r.status_code == 422


def test_f13_a_failed_upload_never_shows_the_server_folders(client2: TestClient, heads, server_settings) -> None:  # type: ignore[no-untyped-def]
    """F13: a failed upload's error named the server's folders: now only the uploaded file's name."""
    form = {"camera_id": "a", "start": "2026-03-02T09:00:00Z"}
    for content in (b"", b"RIFF\x00\x00\x00\x00AVI LIST" + b"\x01" * 4000, b"not a video" * 50):
        r = client2.post("/api/ingest/jobs", headers=heads["root"], data=form, files={"file": ("x.avi", content)})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert str(server_settings.upload_dir) not in detail and "/tmp" not in detail and "x.avi" in detail
    assert uploads_in(server_settings.upload_dir) == [] or all(p.name == "ok.avi"
                                                               for p in uploads_in(server_settings.upload_dir))


def test_f12_interrupted_videos_are_listed_and_resumed(world: World, server_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """F12: kill -9 mid-ingest left a video "running" forever: on start it is interrupted, listed, resumable."""
    clip = write_video(tmp_path / "killed.avi", frames=8)
    store = world.store
    vid = store.create_video(Video(camera_id="a", path=str(clip), sha256="k" * 64, start_ts=T0.timestamp(),
                                   fps=7.0, analysed_fps=7.0, frames_total=8))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_claim(world.settings.home, vid)  # claimed by this (live) process first ...
    live = create_app(world.settings, server_settings, retention=False)
    assert vid not in live.state.jobs.interrupted  # a live claimant's video is left alone
    claim = world.settings.home / "ingest" / "claims" / f"{vid}.json"
    claim.write_text(claim.read_text().replace(f'"pid": {__import__("os").getpid()}', f'"pid": {dead.pid}'))
    app = create_app(world.settings, server_settings, retention=False)  # a server start after the kill
    assert vid in app.state.jobs.interrupted
    jobs: list[Any] = []
    app.state.jobs._runner = lambda job, progress: jobs.append(job) or {}
    with TestClient(app) as c:
        root = login(c, "root")
        listed = c.get("/api/ingest/interrupted", headers=root).json()["data"]
        assert {"video_id": vid, "camera_id": "a", "name": "killed.avi", "status": "interrupted"} in listed
        assert c.post(f"/api/ingest/videos/{vid}/resume", headers=login(c, "ana")).status_code == 403
        r = c.post(f"/api/ingest/videos/{vid}/resume", headers=root)
        assert r.status_code == 202 and r.json()["source"] == "killed.avi"
        assert c.post("/api/ingest/videos/999999/resume", headers=root).status_code == 404
    app.state.jobs.shutdown(5)
    assert jobs and jobs[0].source == str(clip) and jobs[0].server_owned
