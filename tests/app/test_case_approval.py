"""Case approval (issue 12, finding F1): a case an investigator opens is pending until a supervisor
or admin other than its creator approves it, and nothing is searched or shown before.

F1 as found: any investigator opened a case with a one-character legal basis, a window from
1999 to 2099 and no camera list (= every camera), and could search at once. Each attack is
replayed here through the API and through the CLI, and must be refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli_login import PASSWORD, cheap_argon2
from epitrace.cli.main import app as cli_app
from epitrace.config import get_settings
from epitrace.privacy.audit import entries
from epitrace.privacy.sessions import create_session
from epitrace.privacy.users import add_user, get_user

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.world import World, api_client, build_world, login  # noqa: E402

pytest.importorskip("argon2")
GOOD = {"legal_basis": "Infectious Disease Control and Prevention Act art. 76-2", "onset": "2026-03-03T00:00:00Z",
        "isolation": "2026-03-04T00:00:00Z", "cameras": ["a"], "title": "cluster"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with cheap_argon2():
        w = build_world(tmp_path_factory.mktemp("approval") / "home")
        add_user(w.store, name="sue", password=PASSWORD, role="supervisor")
        yield w


@pytest.fixture(scope="module")
def client(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with api_client(world, tmp_path_factory.mktemp("uploads")) as c:
        yield c


@pytest.mark.parametrize("basis", ["x", "-", "\u200b" * 12, "ab\u202ecdefghijkl", "abc\x00defghijk", "   .   "])
def test_f1_a_meaningless_legal_basis_is_refused(client: TestClient, basis: str) -> None:
    r = client.post("/api/cases", headers=login(client, "ana"), json={**GOOD, "legal_basis": basis})
    assert r.status_code == 422, r.text
    assert "legal basis" in r.json()["detail"]


def test_f1_a_window_of_a_century_or_in_the_future_is_refused(client: TestClient) -> None:
    h = login(client, "ana")
    r = client.post("/api/cases", headers=h, json={**GOOD, "onset": "2000-01-01T00:00:00Z",
                                                    "isolation": "2099-01-01T00:00:00Z"})
    assert r.status_code == 409 and "future" in r.json()["detail"]
    r = client.post("/api/cases", headers=h, json={**GOOD, "onset": "2000-01-01T00:00:00Z",
                                                    "isolation": "2001-01-01T00:00:00Z"})
    assert r.status_code == 409 and "longer than the 30 days" in r.json()["detail"]


def test_f1_the_camera_scope_must_be_said(client: TestClient) -> None:
    h = login(client, "ana")
    missing = {k: v for k, v in GOOD.items() if k != "cameras"}
    assert client.post("/api/cases", headers=h, json=missing).status_code == 422
    empty = client.post("/api/cases", headers=h, json={**GOOD, "cameras": []})
    assert empty.status_code == 409 and "all cameras explicitly" in empty.json()["detail"]
    every = client.post("/api/cases", headers=h, json={**GOOD, "cameras": "all"})
    assert every.status_code == 201 and every.json()["camera_scope"] is None


def test_f1_a_pending_case_shows_nothing_until_someone_else_approves_it(client: TestClient, world: World) -> None:
    ana, sue, ben = login(client, "ana"), login(client, "sue"), login(client, "ben")
    made = client.post("/api/cases", headers=ana, json=GOOD)
    assert made.status_code == 201 and made.json()["status"] == "pending"
    case = made.json()["id"]
    base = f"/api/cases/{case}"
    subject = client.post(f"{base}/subjects", headers=ana, json={"label": "p1", "face_consent": False})
    assert subject.status_code == 201  # subjects can be prepared while waiting
    sid = subject.json()["id"]
    track = world.track_a
    refused = {
        "search": client.post(f"{base}/search", headers=ana, json={}),
        "enrol": client.post(f"{base}/subjects/{sid}/enrol/track", headers=ana, json={"track_id": track}),
        "sightings": client.get(f"{base}/sightings", headers=ana),
        "frame": client.get(f"{base}/frame", headers=ana, params={"camera_id": "a"}),
        "contacts": client.get(f"{base}/contacts", headers=ana),
        "report": client.get(f"{base}/report", headers=ana),
        "clip": client.post(f"{base}/exports/clip", headers=ana, json={"track_id": track}),
        "thumbnail": client.get(f"{base}/sightings/{track}/thumbnail", headers=ana),
    }
    for name, r in refused.items():
        assert r.status_code == 409 and "approval" in r.json()["detail"], (name, r.text)

    assert client.post(f"{base}/approval", headers=ana).status_code == 403  # not one's own case
    assert client.post(f"{base}/approval", headers=ben).status_code == 403  # investigators never approve
    approved = client.post(f"{base}/approval", headers=sue)
    assert approved.status_code == 200 and approved.json()["approved_by"] == "sue"
    assert client.post(f"{base}/approval", headers=sue).status_code == 409  # once
    assert client.get(f"{base}/sightings", headers=sue).status_code == 403  # approving is not seeing
    assert client.post(f"{base}/search", headers=ana, json={}).status_code == 200

    closed = client.post(f"{base}/close", headers=ana, json={"outcome": "traced; contacts notified"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    after = client.post(f"{base}/search", headers=ana, json={})
    assert after.status_code == 409 and "closed" in after.json()["detail"]
    actions = [e.action for e in entries(world.store, case_id=case)]
    assert {"case_new", "case_approve", "case_close"} <= set(actions)


def _cli(world: World, monkeypatch: pytest.MonkeyPatch, name: str, *args: str) -> Any:
    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name=name)))
    get_settings.cache_clear()
    return CliRunner().invoke(cli_app, list(args))


def test_f1_the_cli_applies_the_same_rules(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = ["case", "new", "--onset", "2026-03-03T00:00:00+00:00", "--isolation", "2026-03-04T00:00:00+00:00"]
    short = _cli(world, monkeypatch, "ana", *base, "--legal-basis", "x", "--cameras", "a")
    assert short.exit_code == 2 and "legal basis is too short" in short.output
    no_scope = _cli(world, monkeypatch, "ana", *base, "--legal-basis", GOOD["legal_basis"])
    assert no_scope.exit_code == 2  # --cameras is required
    opened = _cli(world, monkeypatch, "ana", *base, "--legal-basis", GOOD["legal_basis"], "--cameras", "a")
    assert opened.exit_code == 0 and "pending" in opened.output, opened.output
    case = opened.output.split("case ")[1].split()[0]
    trace = _cli(world, monkeypatch, "ana", "case", "trace", case)
    assert trace.exit_code == 2 and "approval" in trace.output
    ana_approves = _cli(world, monkeypatch, "ana", "case", "approve", case)
    assert ana_approves.exit_code == 2 and "needs supervisor or admin" in ana_approves.output
    by_root = _cli(world, monkeypatch, "root", *base, "--legal-basis", GOOD["legal_basis"], "--cameras", "all")
    root_case = by_root.output.split("case ")[1].split()[0]
    own = _cli(world, monkeypatch, "root", "case", "approve", root_case)
    assert own.exit_code == 2 and "someone else must approve" in " ".join(own.output.split())
    assert _cli(world, monkeypatch, "sue", "case", "approve", case).exit_code == 0
    assert _cli(world, monkeypatch, "ana", "case", "trace", case).exit_code == 0
    listed = _cli(world, monkeypatch, "sue", "case", "list")
    assert listed.exit_code == 0 and case.split("-")[-1] in listed.output  # (the table may wrap the id)


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that claims `width` x `height` pixels (a decompression bomb's header)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + \
        chunk(b"IEND", b"")


def test_f10_a_huge_photo_is_refused_from_its_header(client: TestClient, world: World) -> None:
    """F10: a 20000x20000 PNG took the server to 3 GB before a 422; its header now refuses it."""
    h = login(client, "ana")
    consented = client.post(f"/api/cases/{world.case_a}/subjects", headers=h,
                            json={"label": "bomb", "face_consent": True}).json()["id"]
    for side in (20000, 8000):  # over Pillow's own bomb guard, and under it but over ours (40 Mpx)
        bomb = _png_header_only(side, side)
        assert len(bomb) < 200
        r = client.post(f"/api/cases/{world.case_a}/subjects/{consented}/enrol/photo", headers=h,
                        files={"file": ("face.png", bomb, "image/png")})
        assert r.status_code == 413 and "megapixels" in r.json()["detail"], (side, r.text)
