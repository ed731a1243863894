"""An investigator's loop through the API on stored sightings: pick, search, confirm, route,
contacts, report; with redaction of everything that is not a confirmed subject, and an audit
entry (with the case's legal basis) for each step."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import cv2
import numpy as np

from .world import LEGAL_BASIS, World


def _image(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_pick_search_confirm_route_contacts_report(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    h, base = tokens["ana"], f"/api/cases/{world.case_a}"
    subject = client.post(f"{base}/subjects", headers=h, json={"label": "patient-2"}).json()["id"]

    frame = client.get(f"{base}/frame", headers=h, params={"camera_id": "a"}).json()
    assert frame["width"] == 320 and len(frame["boxes"]) >= 2  # the busiest frame: two people
    image = client.get(frame["image_url"], headers=h)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert _image(image.content).shape[:2] == (240, 320)

    picked = frame["boxes"][0]["track_id"]
    r = client.post(f"{base}/subjects/{subject}/enrol/track", headers=h, json={"track_id": picked})
    assert r.status_code == 200 and r.json()["queries"] == {"body": 1}

    found = client.post(f"{base}/search", headers=h, json={"subject_ids": [subject]}).json()["subjects"][0]
    matches = [c["track_id"] for c in found["candidates"] if c["match"]]
    assert picked in matches
    r = client.post(f"{base}/subjects/{subject}/decisions", headers=h,
                    json={"decision": "confirmed", "track_ids": matches})
    assert r.status_code == 200

    route = client.get(f"{base}/subjects/{subject}/trajectory", headers=h).json()
    assert [t for v in route["visits"] for t in v["track_ids"]] and route["visits"][0]["camera_id"] == "a"

    contacts = client.get(f"{base}/contacts", headers=h, params={"policy": "who"}).json()
    assert contacts["policy"]["name"] == "who" and contacts["count"] >= 1
    assert all(c["risk"] in ("high", "medium", "low") for c in contacts["data"])
    for c in contacts["data"]:
        _assert_contact_fields(c)
        assert c["time_zone"] == "UTC" and datetime.fromisoformat(c["first_seen"]).utcoffset() == timedelta(0)
    exported = client.get(f"{base}/contacts/export", headers=h, params={"policy": "who", "format": "csv"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(table) == contacts["count"] and {r["person_label"] for r in table} == {
        c["person_label"] for c in contacts["data"]}
    doc = client.get(f"{base}/contacts/export", headers=h, params={"policy": "who", "format": "json"}).json()
    assert doc["case_id"] == world.case_a and doc["sightings"] == contacts["count"]
    for c in doc["contacts"]:
        _assert_contact_fields(c)

    report = client.get(f"{base}/report", headers=h, params={"format": "html"})
    assert report.status_code == 200 and world.case_a in report.text
    assert "attachment" in report.headers["content-disposition"]
    korean = client.get(f"{base}/report", headers=h, params={"format": "html", "lang": "ko"})
    assert korean.status_code == 200 and '<html lang="ko">' in korean.text and "법적 근거" in korean.text
    assert client.get(f"{base}/report", headers=h, params={"lang": "fr"}).status_code == 422
    pdf = client.get(f"{base}/report", headers=h, params={"format": "pdf"})
    assert pdf.content.startswith(b"%PDF")

    log = client.get("/api/audit", headers=tokens["root"], params={"case_id": world.case_a, "user": "ana"}).json()
    actions = {e["action"] for e in log["data"]}
    assert {"subject_add", "enrol", "search", "confirm", "view", "export"} <= actions
    assert any(e["action"] == "export" and (e.get("detail") or {}).get("what") == "contact_list" for e in log["data"])
    assert all(e["legal_basis"] == LEGAL_BASIS for e in log["data"])


ITEM_1 = {"first_seen", "last_seen", "camera_id", "camera_name", "place", "exposure_s", "person_exposure_s",
          "min_distance_m", "distance_uncertainty_m", "subject_mask", "contact_mask", "person_label", "risk",
          "risk_reason", "via"}


def _assert_contact_fields(c: dict) -> None:  # type: ignore[type-arg]
    """The fields issue 13 item 1 asks of every contact row, with sane values."""
    assert ITEM_1 <= set(c), ITEM_1 - set(c)
    first, last = datetime.fromisoformat(c["first_seen"]), datetime.fromisoformat(c["last_seen"])
    assert first.tzinfo is not None and first <= last  # aware: ISO 8601 with the offset
    assert c["person_label"].startswith("P") and c["risk_reason"].startswith(f"{c['risk']}:")
    assert c["via"] is None  # first-order contacts
    assert c["min_distance_m"] is not None and c["distance_uncertainty_m"] is None  # no calibration points


def test_cli_case_contacts_json_prints_the_contact_fields(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from epitrace.cli.main import app
    from epitrace.config import get_settings
    from epitrace.privacy.sessions import create_session
    from epitrace.privacy.users import get_user

    monkeypatch.setenv("EPITRACE_HOME", str(world.settings.home))
    monkeypatch.setenv("EPITRACE_TOKEN", create_session(world.store, user=get_user(world.store, name="ana")))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["case", "contacts", world.case_a, "--policy", "who", "--json"])
        second = CliRunner().invoke(app, ["case", "contacts", world.case_a, "--policy", "cdc", "--second-order",
                                          "--json"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(r["order"] == 1 for r in rows)
    for r in rows:
        _assert_contact_fields(r)
        assert (r["camera_name"], r["place"], r["time_zone"]) == ("Camera A", "test", "UTC")
    assert second.exit_code == 0, second.output
    labels = {r["contact_track_id"]: r["person_label"] for r in json.loads(second.stdout) if r["order"] == 1}
    assert labels == {r["contact_track_id"]: r["person_label"] for r in rows}  # same people, same labels


def test_every_thumbnail_is_redacted_for_its_one_person(client, world: World, tokens) -> None:  # type: ignore[no-untyped-def]
    """F2 (confirm is not unmask) and F3 (a clear crop shows its own person only).

    In the world, sighting `track_a` (x 120-150 px) and the contact beside it (x 140-170 px) stand
    shoulder to shoulder: each one's crop holds part of the other's head. Columns given below are
    in crop pixels (crops are 30 px wide, the checkerboard "head" is the top 20 rows).
    """
    h, base = tokens["ana"], f"/api/cases/{world.case_a}"
    contacts = client.get(f"{base}/contacts", headers=h).json()["data"]
    other = next(c["contact_track_id"] for c in contacts if c["contact_track_id"] != world.track_a)

    def served(track_id: int, who: str = "ana") -> np.ndarray:
        r = client.get(f"{base}/sightings/{track_id}/thumbnail", headers=tokens[who])
        assert r.status_code == 200, r.text
        return _image(r.content).astype(int)

    def stored(track_id: int) -> np.ndarray:
        return _image(world.store.read_evidence(_thumb(world, track_id))).astype(int)

    def differs(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.abs(a - b).mean() > 20)

    subject_original, other_original = stored(world.track_a), stored(other)
    for track_id, original in ((other, other_original), (world.track_a, subject_original)):
        shown = served(track_id)
        assert differs(shown[:20], original[:20])  # contact and confirmed subject alike: mosaicked
        assert not differs(shown[30:], original[30:])  # only heads are touched
    log = client.get("/api/audit", headers=tokens["aud"], params={"case_id": world.case_a}).json()["data"]
    assert not any(e["action"] == "unmask" for e in log)  # the confirmation unmasked nobody

    short = client.post(f"{base}/contacts/{other}/unmask", headers=h, json={"reason": "because"})
    assert short.status_code == 422  # a reason must say why
    hidden = client.post(f"{base}/contacts/{other}/unmask", headers=h, json={"reason": "\u200b" * 20})
    assert hidden.status_code == 422  # invisible characters are not a reason (F13)
    r = client.post(f"{base}/subjects/{world.subject_a}/unmask", headers=h,
                    json={"reason": "to compare with the patient's own photo"})
    assert r.status_code == 200
    subject = served(world.track_a)
    assert not differs(subject[:20, :10], subject_original[:20, :10])  # the subject's own head: clear
    assert differs(subject[:20, 16:], subject_original[:20, 16:])  # the neighbour's head in the crop: not
    assert differs(served(other)[:20], other_original[:20])  # unmasking the subject showed nobody else

    r = client.post(f"{base}/contacts/{other}/unmask", headers=h, json={"reason": "to call them for a test today"})
    assert r.status_code == 200
    now = served(other)
    assert not differs(now[:20, 22:], other_original[:20, 22:])  # the contact's own head: clear
    assert differs(now[:20, :14], other_original[:20, :14])  # the subject's head beside it: still hidden
    assert differs(served(other, "root")[:20], other_original[:20])  # the grant is ana's alone
    log = client.get("/api/audit", headers=tokens["aud"], params={"case_id": world.case_a}).json()["data"]
    assert any(e["action"] == "unmask" and e["detail"]["track_id"] == other for e in log)
    assert any(e["action"] == "unmask" and e["detail"]["track_id"] == world.track_a for e in log)


def _thumb(world: World, track_id: int) -> str:
    from epitrace.store.cases import first_thumbnails

    path = first_thumbnails(world.store, track_ids=[track_id]).get(track_id)
    assert path is not None
    return path


def test_case_creation_assigns_the_creator_and_checks_rules(client, tokens) -> None:  # type: ignore[no-untyped-def]
    h = tokens["ben"]
    r = client.post("/api/cases", headers=h, json={"legal_basis": "IDCPA art. 76-2", "onset": "2026-03-03T00:00:00Z",
                                                   "isolation": "2026-03-05T00:00:00Z", "cameras": ["a"],
                                                   "title": "new"})
    assert r.status_code == 201
    case = r.json()
    assert case["status"] == "pending" and case["camera_scope"] == ["a"]
    assert client.get(f"/api/cases/{case['id']}", headers=h).status_code == 200  # the creator may open it
    assert client.get(f"/api/cases/{case['id']}", headers=tokens["ana"]).status_code == 403
    bad = client.post("/api/cases", headers=h, json={"legal_basis": "IDCPA art. 76-2", "onset": "2026-03-03T00:00:00Z",
                                                     "isolation": "2026-03-05T00:00:00Z", "cameras": ["zz"]})
    assert bad.status_code == 409 and "unknown camera" in bad.json()["detail"]
    naive = client.post("/api/cases", headers=h, json={"legal_basis": "IDCPA art. 76-2", "onset": "2026-03-03T00:00:00",
                                                       "cameras": "all"})
    assert naive.status_code == 422


def test_audit_chain_verifies_for_auditors(client, tokens) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/audit/verify", headers=tokens["aud"])
    assert r.status_code == 200 and r.json()["ok"] is True
