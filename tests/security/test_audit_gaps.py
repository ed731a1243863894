"""Views and changes that left no trace in the audit log.

The promise: every search, view, export, ingest and change is in the (hash-chained) audit log.
As found:

- the picker frame (GET /api/cases/{id}/frame: who stood where on a camera at a moment, with
  their sighting ids) was served without an audit entry;
- a mosaicked thumbnail (GET .../sightings/{id}/thumbnail: a person's body, clothes and
  surroundings) was audited only when its head was clear, so an investigator could page through
  every person of a camera unseen by the log;
- replacing a camera was audited as `camera_put` with its id only, so an operator's change of its
  retention (1 day: evidence gone tonight; 36,500 days: footage kept a century) or calibration
  (every contact distance) was not in the log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.world import World, build_world, login
from cli_login import PASSWORD, cheap_argon2
from epitrace.privacy.audit import entries, verify
from epitrace.privacy.users import add_user

pytest.importorskip("argon2")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("gaps") / "home")
        add_user(w.store, name="opal", password=PASSWORD, role="operator")
        yield w



def _views(world: World, user: str, what: str) -> list[dict[str, Any]]:
    return [e.detail_dict() for e in entries(world.store, case_id=world.case_a, user=user)
            if e.action == "view" and e.detail and e.detail_dict().get("what") == what]


def test_the_picker_frame_is_audited(client: Any, world: World) -> None:
    ana = login(client, "ana")
    before = len(_views(world, "ana", "picker_frame"))
    r = client.get(f"/api/cases/{world.case_a}/frame", params={"camera_id": "a"}, headers=ana)
    assert r.status_code == 200, r.text
    seen = _views(world, "ana", "picker_frame")
    assert len(seen) == before + 1
    assert seen[-1]["camera"] == "a" and seen[-1]["video"] == r.json()["video_id"]
    assert seen[-1]["frame"] == r.json()["frame"] and seen[-1]["people"] == len(r.json()["boxes"])


def test_a_mosaicked_thumbnail_is_audited_too(client: Any, world: World) -> None:
    ana = login(client, "ana")
    before = len(_views(world, "ana", "thumbnail"))
    r = client.get(f"/api/cases/{world.case_a}/sightings/{world.track_a}/thumbnail", headers=ana)
    assert r.status_code == 200
    seen = _views(world, "ana", "thumbnail")
    assert len(seen) == before + 1 and seen[-1]["track_id"] == world.track_a and seen[-1]["clear"] is False


def test_a_refused_thumbnail_writes_no_view(client: Any, world: World) -> None:
    ana = login(client, "ana")
    before = len(_views(world, "ana", "thumbnail"))
    r = client.get(f"/api/cases/{world.case_a}/sightings/{world.track_b}/thumbnail", headers=ana)
    assert r.status_code == 404  # camera b is not case A's
    assert len(_views(world, "ana", "thumbnail")) == before


def test_a_cameras_retention_change_is_in_the_log(client: Any, world: World) -> None:
    opal = login(client, "opal")
    camera = {"id": "a", "name": "Camera A", "place": "test", "latitude": 37.5, "longitude": 126.8,
              "retention_days": 36500}
    assert client.put("/api/cameras", json=camera, headers=opal).status_code == 200
    assert client.put("/api/cameras", json={**camera, "retention_days": 1}, headers=opal).status_code == 200
    puts = [e.detail_dict() for e in entries(world.store, user="opal") if e.action == "camera_put"]
    assert puts[-2]["changed"]["retention_days"] == [None, 36500]
    assert puts[-1]["changed"]["retention_days"] == [36500, 1]
    assert verify(world.store).ok


def test_registering_a_new_camera_says_it_is_new(client: Any, world: World, tmp_path: Path) -> None:
    opal = login(client, "opal")
    camera = {"id": "z9", "name": "Camera Z", "place": "gate", "retention_days": 7}
    assert client.put("/api/cameras", json=camera, headers=opal).status_code == 200
    put = [e.detail_dict() for e in entries(world.store, user="opal") if e.action == "camera_put"][-1]
    assert put["camera"] == "z9" and put["new"] is True and put["changed"]["retention_days"] == [None, 7]


def test_cancelling_someone_elses_ingest_is_in_the_log(client: Any, world: World) -> None:
    """An operator may stop any ingest job; who stopped whose is a change the log must name."""
    import threading
    from datetime import UTC, datetime

    from epitrace.api.jobs import Job, JobManager

    release = threading.Event()

    def runner(job: Job, progress: Any) -> dict[str, Any]:
        release.wait(10)
        return {}

    manager = JobManager(world.settings, world.store, runner=runner)
    client.app.state.jobs, previous = manager, client.app.state.jobs
    try:
        job = manager.submit(Job(camera_id="a", source="/footage/lobby.avi", start=datetime(2026, 3, 2, tzinfo=UTC),
                                 created_by="root"))
        r = client.post(f"/api/ingest/jobs/{job.id}/cancel", headers=login(client, "opal"))
        assert r.status_code == 200, r.text
    finally:
        release.set()
        manager.shutdown()
        client.app.state.jobs = previous
    cancel = [e.detail_dict() for e in entries(world.store, user="opal") if e.action == "ingest_cancel"]
    assert cancel and cancel[-1]["job"] == job.id and cancel[-1]["created_by"] == "root"
    assert cancel[-1]["source"] == "lobby.avi"  # the file's name, never the server's folders


@pytest.mark.parametrize("suffix", ["", "/contacts", "/contacts/export", "/sightings"])
def test_case_data_is_never_cached_by_the_browser(client: Any, world: World, suffix: str) -> None:
    """Contact lists and case data on a shared workstation's disk cache outlive logout and retention."""
    r = client.get(f"/api/cases/{world.case_a}{suffix}", headers=login(client, "ana"))
    assert r.status_code == 200
    assert "no-store" in r.headers.get("cache-control", "")
