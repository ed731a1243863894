"""A subject can withdraw face-matching consent, and then no face of theirs is kept or used.

As found (AUDIT, 2026-12-06): consent could be given but never taken back. A patient who
consented to face matching and changed their mind kept their face vectors (from their photos or
their confirmed sightings) in the store, and every later search compared faces for them.
Now `POST /api/cases/{case}/subjects/{id}/consent-withdrawal` and `epitrace case
withdraw-consent` delete those vectors, record the withdrawal in the audit log and leave the
subject traceable by silhouette and clothing only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.world import World, api_client, build_world, login
from cli_login import cheap_argon2
from epitrace.config import get_settings
from epitrace.privacy.audit import entries
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import get_user
from epitrace.store.cases import add_query
from epitrace.store.orm import SubjectQuery

pytest.importorskip("argon2")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with cheap_argon2():
        yield build_world(tmp_path / "home")


@pytest.fixture
def client(world: World, tmp_path: Path) -> Iterator[Any]:
    with api_client(world, tmp_path / "uploads") as c:
        yield c


def _consenting_subject(client: Any, world: World, headers: dict[str, str]) -> int:
    """A subject who consented, enrolled by a sighting (body) and a photo's face vector."""
    r = client.post(f"/api/cases/{world.case_a}/subjects", json={"label": "consenting", "face_consent": True},
                    headers=headers)
    assert r.status_code == 201, r.text
    subject = int(r.json()["id"])
    face = np.random.default_rng(3).normal(size=128).astype(np.float32)
    add_query(world.store, subject_id=subject, kind="face", source="photo", vector=face / np.linalg.norm(face))
    r = client.post(f"/api/cases/{world.case_a}/subjects/{subject}/enrol/track", json={"track_id": world.track_a},
                    headers=headers)
    assert r.status_code == 200, r.text
    assert _queries(world, subject, "face") == 1
    return subject


def _queries(world: World, subject: int, kind: str) -> int:
    with world.store.db.session() as s:
        return int(s.scalar(select(func.count()).select_from(SubjectQuery).where(
            SubjectQuery.subject_id == subject, SubjectQuery.kind == kind)) or 0)


def test_withdrawal_deletes_face_vectors_keeps_silhouette_and_is_audited(client: Any, world: World) -> None:
    ana = login(client, "ana")
    subject = _consenting_subject(client, world, ana)

    r = client.post(f"/api/cases/{world.case_a}/subjects/{subject}/consent-withdrawal", headers=ana)
    assert r.status_code == 200, r.text
    assert r.json()["face_consent"] is False and r.json()["enrolled"] is True  # still traced by silhouette
    assert _queries(world, subject, "face") == 0
    assert _queries(world, subject, "body") >= 1
    withdrawn = [e for e in entries(world.store) if e.action == "consent_withdraw"]
    assert [(e.user, e.case_id, json.loads(e.detail or "{}")) for e in withdrawn] == [
        ("ana", world.case_a, {"subject": subject, "face_vectors_deleted": 1})]

    # the attack: use the face again after withdrawal
    from epitrace import app as core
    from epitrace.tracing import ConsentError

    session = core.open_case(core.Services(world.settings, world.store), get_user(world.store, name="ana"),
                             world.case_a)
    with pytest.raises(ConsentError):
        core.enrol_by_photo(session, subject_id=subject, images_bgr=[np.zeros((64, 64, 3), np.uint8)])
    r = client.post(f"/api/cases/{world.case_a}/search", json={}, headers=ana)
    assert r.status_code == 200, r.text
    mine = next(s for s in r.json()["subjects"] if s["subject_id"] == subject)
    assert all(c["face_score"] is None for c in mine["candidates"])


def test_another_cases_subject_is_answered_like_none(client: Any, world: World) -> None:
    r = client.post(f"/api/cases/{world.case_a}/subjects/{world.subject_b}/consent-withdrawal",
                    headers=login(client, "ana"))
    assert r.status_code == 404, r.text
    r = client.post(f"/api/cases/{world.case_b}/subjects/{world.subject_b}/consent-withdrawal",
                    headers=login(client, "ana"))
    assert r.status_code in (403, 404), r.text  # ana is not on case B


def test_the_cli_withdraws_too(client: Any, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from epitrace.cli.main import app as cli_app

    subject = _consenting_subject(client, world, login(client, "ana"))
    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_MODELS_PATH", str(world.settings.models_dir))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="ana")))
    get_settings.cache_clear()
    out = CliRunner().invoke(cli_app, ["case", "withdraw-consent", world.case_a, "--subject", str(subject)])
    assert out.exit_code == 0, out.output
    assert "1 face vector(s) deleted" in " ".join(out.output.split())
    assert _queries(world, subject, "face") == 0
