"""Unmasking is for contacts and subjects, not for anyone on the case's cameras.

As found: POST /api/cases/{id}/contacts/{track_id}/unmask (and `epitrace case unmask CASE N`)
checked only that sighting N lay in the case's window and cameras. An investigator could list
the case's sightings and unmask any passer-by (a 15-character reason was the only hurdle), though
the promise is that only the one person an image is about is ever shown, and the pages offer
unmasking for contacts only.

In the world, case A's subject is confirmed on camera a's track 1 (frames 0-9); track 2 (frames
2-11, 1 m away) is a contact; tracks 3 and 4 (frames 30-40) were never near the subject.
"""

from __future__ import annotations

from typing import Any

import pytest

from api.world import World, login
from epitrace.privacy.unmask import unmasked_tracks
from epitrace.privacy.users import get_user

pytest.importorskip("argon2")
REASON = {"reason": "to identify this person for a test today"}




def _track(world: World, local_id: int) -> int:
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with world.store.db.session() as s:
        return int(s.scalar(select(Track.id).where(Track.camera_id == "a", Track.local_id == local_id)))


def test_a_bystander_cannot_be_unmasked(client: Any, world: World) -> None:
    ana, base = login(client, "ana"), f"/api/cases/{world.case_a}"
    bystander = _track(world, 4)
    listed = client.get(f"{base}/sightings", headers=ana).json()["data"]
    assert bystander in {s["id"] for s in listed}  # in the case's scope: what the attack starts from
    contacts = client.get(f"{base}/contacts", params={"policy": "custom", "distance": 50, "minutes": 0},
                          headers=ana).json()["data"]
    assert bystander not in {c["contact_track_id"] for c in contacts}  # no contact under any policy
    r = client.post(f"{base}/contacts/{bystander}/unmask", json=REASON, headers=ana)
    assert r.status_code == 409, r.text
    assert "contact" in r.json()["detail"]
    ana_user = get_user(world.store, name="ana")
    assert bystander not in unmasked_tracks(world.store, user=ana_user, case_id=world.case_a)
    for who in ("ana", "root"):  # admins too: the rule is the case's, not the role's
        r = client.post(f"{base}/contacts/{_track(world, 3)}/unmask", json=REASON, headers=login(client, who))
        assert r.status_code == 409


def test_a_contact_and_the_subject_still_can(client: Any, world: World) -> None:
    ana, base = login(client, "ana"), f"/api/cases/{world.case_a}"
    contact = _track(world, 2)
    assert client.post(f"{base}/contacts/{contact}/unmask", json=REASON, headers=ana).status_code == 200
    assert client.post(f"{base}/contacts/{world.track_a}/unmask", json=REASON, headers=ana).status_code == 200
    granted = unmasked_tracks(world.store, user=get_user(world.store, name="ana"), case_id=world.case_a)
    assert {contact, world.track_a} <= granted


def test_the_cli_applies_the_same_rule(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from epitrace.cli.main import app as cli_app
    from epitrace.config import get_settings
    from epitrace.privacy.sessions import create_session

    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="ben")))
    get_settings.cache_clear()
    try:
        from sqlalchemy import select

        from epitrace.store.orm import Track

        with world.store.db.session() as s:
            bystander = int(s.scalar(select(Track.id).where(Track.camera_id == "b", Track.local_id == 4)))
        result = CliRunner().invoke(cli_app, ["case", "unmask", world.case_b, str(bystander), "--reason",
                                              REASON["reason"]])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2 and "contact" in result.output
