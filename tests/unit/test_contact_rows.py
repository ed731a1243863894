"""Contact rows over a store: merge and risk, contacts of contacts, the fields a tracer acts on
(local first/last seen, place, distance uncertainty, stable person labels, risk reasons, via), and
the report and exports that show them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from epitrace.config import Settings
from epitrace.config.policies import CDC, WHO, get_policy
from epitrace.contacts import contacts_of_contacts, find_contacts
from epitrace.contacts.uncertainty import FOOT_SIGMA_PX
from epitrace.store import Camera, Store, TrackRecord, Video, open_store

FPS = 7.0


# ----- engine over a store ------------------------------------------------------------------
def _track(local_id: int, first: int, xy: np.ndarray | None, vec: list[float],
           mask: str = "unknown") -> TrackRecord:
    n = len(xy) if xy is not None else 20
    frames = np.arange(first, first + n, dtype=np.int64)
    return TrackRecord(
        local_id=local_id, frames=frames, ts=1000.0 + frames / FPS,
        boxes=np.tile(np.array([[0, 0, 10, 30]], np.float32), (n, 1)),
        confidence=np.full(n, 0.9, np.float32),
        ground=None if xy is None else np.asarray(xy, np.float32),
        body_vector=np.asarray(vec, np.float32), mask_state=mask, mask_confidence=0.9)


def _line(n: int, y: float) -> np.ndarray:
    return np.stack([np.linspace(0, 5, n), np.full(n, y)], axis=1)


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    for cam in ("cam1", "cam2", "cam3"):
        s.upsert_camera(Camera(id=cam, name=cam))
    return s


def _video(store: Store, camera: str) -> int:
    return store.create_video(Video(camera_id=camera, path=f"{camera}.avi", sha256=camera * 16,
                                    start_ts=1000.0, fps=FPS, analysed_fps=FPS))


def test_find_contacts_merges_cameras_and_rates_risk(store: Store) -> None:
    # cam1: subject S1 walks with A (1 m) for 42 frames = 6 s; B stays 6 m away.
    s1, a, b = store.save_tracks(_video(store, "cam1"), [
        _track(1, 0, _line(42, 0.0), [1, 0, 0, 0]),
        _track(2, 0, _line(42, 1.0), [0, 1, 0, 0]),
        _track(3, 0, _line(42, 6.0), [0, 0, 1, 0])], 42, 42)
    # cam2, later: subject S2 with A2 (A again, masked subject) for 42 frames.
    s2, a2 = store.save_tracks(_video(store, "cam2"), [
        _track(1, 100, _line(42, 0.0), [1, 0, 0, 0], mask="mask"),
        _track(2, 100, _line(42, 0.5), [0, 0.999, 0.045, 0])], 200, 200)
    # cam3 is uncalibrated: C merely shares 20 frames with S3.
    s3, c = store.save_tracks(_video(store, "cam3"), [
        _track(1, 300, None, [1, 0, 0, 0]), _track(2, 300, None, [0, 0, 0, 1])], 400, 400)
    policy = get_policy("custom", distance=2.0, minutes=10 / 60, window_h=1)  # 10 s
    contacts = find_contacts(store, [s1, s2, s3], policy)
    by_track = {x.contact_track_id: x for x in contacts}
    assert set(by_track) == {a, a2, c}  # B never within 2 m
    assert by_track[a].person_id == by_track[a2].person_id  # one person on two cameras
    assert by_track[a].person_exposure_s == pytest.approx(12.0)  # 6 s + 6 s, one window
    assert by_track[a].exposure_s == pytest.approx(6.0)
    assert by_track[a].risk == by_track[a2].risk == "high"  # 12 s unmasked (A: unknown mask)
    assert by_track[a2].min_distance_m == pytest.approx(0.5)
    assert by_track[a2].subject_mask.state == "mask"
    assert not by_track[c].calibrated and by_track[c].risk == "low"  # 20 frames < 10 s
    assert contacts[0].risk == "high"  # highest risk first
    # Without merging, each 6 s half stays under the 10 s policy.
    split = find_contacts(store, [s1, s2], policy, merge_threshold=1.01)
    assert {x.risk for x in split} == {"medium"}  # 6 s unmasked >= half of 10 s


def test_contacts_of_contacts_exclude_the_subject(store: Store) -> None:
    vid = _video(store, "cam1")
    s, a, d = store.save_tracks(vid, [
        _track(1, 0, _line(30, 0.0), [1, 0, 0, 0]),
        _track(2, 0, _line(30, 1.0), [0, 1, 0, 0]),
        _track(3, 0, _line(30, 2.5), [0, 0, 1, 0])], 30, 30)  # d: 1.5 m from a, 2.5 m from s
    first = find_contacts(store, [s], CDC)
    assert [x.contact_track_id for x in first] == [a]
    second = contacts_of_contacts(store, first, CDC)
    assert [(x.subject_track_id, x.contact_track_id) for x in second] == [(a, d)]


SEOUL_POINTS = {  # a 10 m x 10 m floor seen at 10 px/m, marks clicked up to 2 px off
    "type": "points",
    "image": [[0, 0], [101, 0], [100, 100], [0, 102], [50, 49], [20, 80]],
    "ground": [[0, 0], [10, 0], [10, 10], [0, 10], [5, 5], [2, 8]],
}


def test_contact_rows_carry_place_local_times_and_distance_uncertainty(store: Store) -> None:
    from epitrace.geometry import build_calibration

    store.upsert_camera(Camera(id="seoul", name="Seoul Station", place="Gate 3", timezone="Asia/Seoul",
                               calibration=SEOUL_POINTS))
    s, a = store.save_tracks(_video(store, "seoul"), [
        _track(1, 0, _line(21, 0.0), [1, 0, 0, 0], mask="mask"),
        _track(2, 7, _line(21, 1.2)[7:], [0, 1, 0, 0], mask="no_mask")], 21, 21)
    (c,) = find_contacts(store, [s], CDC)
    assert (c.camera_id, c.camera_name, c.place) == ("seoul", "Seoul Station", "Gate 3")
    assert c.first_seen.utcoffset() == timedelta(hours=9)  # the camera's zone, not UTC
    assert c.first_seen.isoformat().endswith("+09:00")
    assert c.first_seen.timestamp() == pytest.approx(1000.0 + 7 / FPS)  # the first shared frame
    assert c.last_seen.timestamp() == pytest.approx(1000.0 + 20 / FPS)
    rmse = build_calibration(SEOUL_POINTS).reprojection_error()
    assert rmse is not None and rmse.rmse_m > 0
    # 10 px per metre: each foot point's pixel error is FOOT_SIGMA_PX / 10 m per axis, two people, plus the fit
    expected = np.hypot(np.sqrt(2) * FOOT_SIGMA_PX / 10, rmse.rmse_m)
    assert c.distance_uncertainty_m == pytest.approx(expected, rel=0.05)
    assert c.min_distance_m == pytest.approx(1.2)
    assert (c.subject_mask.state, c.contact_mask.state) == ("mask", "no_mask")
    assert c.risk_reason.startswith("low: 2.0 s within 1.83 m")  # 14 frames: far under 15 min
    assert c.person_label == f"P{a}" and c.via is None


def test_uncalibrated_cameras_have_no_uncertainty_and_matrices_a_pixel_one(store: Store) -> None:
    s, _ = store.save_tracks(_video(store, "cam3"), [
        _track(1, 0, None, [1, 0, 0, 0]), _track(2, 0, None, [0, 1, 0, 0])], 20, 20)
    (c,) = find_contacts(store, [s], CDC)
    assert c.distance_uncertainty_m is None and c.min_distance_m is None  # co-presence
    assert c.first_seen.utcoffset() == timedelta(0)  # a camera without a zone keeps UTC
    store.upsert_camera(Camera(id="cam1", name="cam1", calibration={
        "type": "homography", "matrix": [[0.01, 0, 0], [0, 0.01, 0], [0, 0, 1]]}))
    s1, _ = store.save_tracks(_video(store, "cam1"), [
        _track(1, 0, _line(20, 0.0), [1, 0, 0, 0]), _track(2, 0, _line(20, 1.0), [0, 1, 0, 0])], 20, 20)
    (c1,) = find_contacts(store, [s1], CDC)
    assert c1.min_distance_m == pytest.approx(1.0)
    # a matrix has no point pairs (no fit error), but its foot points still carry pixel error: 100 px per metre
    assert c1.distance_uncertainty_m == pytest.approx(np.sqrt(2) * FOOT_SIGMA_PX / 100)


def test_distance_uncertainty_grows_away_from_a_tsai_camera(shared_data: Path) -> None:
    """PETS View_001 (a Tsai file: no point pairs) had no uncertainty at all; far people are less sure."""
    from epitrace.contacts.uncertainty import distance_sigma
    from epitrace.geometry import build_calibration

    cal = build_calibration({"type": "tsai_xml",
                             "path": str(shared_data / "pets2009_s2l1" / "calibration" / "View_001.xml")})
    near, far = cal.image_to_ground(np.array([[384.0, 560.0], [384.0, 200.0]]))
    sigma_near = distance_sigma(cal, near, near + [1.0, 0.0])
    sigma_far = distance_sigma(cal, far, far + [1.0, 0.0])
    assert sigma_near is not None and sigma_far is not None
    assert 0.01 < sigma_near < sigma_far and sigma_far > 2 * sigma_near, (sigma_near, sigma_far)


def test_bad_camera_zone_is_a_clear_error(store: Store) -> None:
    store.upsert_camera(Camera(id="cam1", name="cam1", timezone="Mars/Olympus"))
    s, _ = store.save_tracks(_video(store, "cam1"), [
        _track(1, 0, _line(20, 0.0), [1, 0, 0, 0]), _track(2, 0, _line(20, 1.0), [0, 1, 0, 0])], 20, 20)
    with pytest.raises(ValueError, match="cam1.*Mars/Olympus"):
        find_contacts(store, [s], CDC)


def test_person_labels_stay_across_policies_and_second_order_runs(store: Store) -> None:
    # cam1: subject S1; A at 0.9 m (a WHO and CDC contact); B at 1.5 m (CDC only); D 1.85 m from
    # S1 but 0.95 m from A (a contact of A under both policies, never of S1).
    s1, a, b1, d = store.save_tracks(_video(store, "cam1"), [
        _track(1, 0, _line(42, 0.0), [1, 0, 0, 0]),
        _track(2, 0, _line(42, 0.9), [0, 1, 0, 0]),
        _track(3, 0, _line(42, -1.5), [0, 0, 1, 0]),
        _track(4, 0, _line(42, 1.85), [0, 0, 0, 1])], 42, 42)
    # cam2, later: B again (a look-alike), 0.5 m from S2: a contact under both policies.
    s2, b2 = store.save_tracks(_video(store, "cam2"), [
        _track(1, 100, _line(42, 0.0), [1, 0, 0, 0]),
        _track(2, 100, _line(42, 0.5), [0, 0, 0.999, 0.045])], 200, 200)
    runs = {}
    for policy in (CDC, WHO):
        first = find_contacts(store, [s1, s2], policy)
        second = contacts_of_contacts(store, first, policy)
        runs[policy.name] = ({c.contact_track_id: c.person_label for c in first},
                             {c.contact_track_id: (c.person_label, c.via) for c in second})
    cdc, who = runs["cdc"], runs["who"]
    assert cdc[0] == {a: f"P{a}", b1: f"P{b1}", b2: f"P{b1}"}  # B is one person on two cameras
    assert who[0] == {a: f"P{a}", b2: f"P{b1}"}  # B1 out of WHO's 1 m: B keeps its label
    assert cdc[1] == who[1] == {d: (f"P{d}", f"P{a}")}  # found through A, named the same


def test_unknown_subject_track_fails(store: Store) -> None:
    with pytest.raises(LookupError, match="999"):
        find_contacts(store, [999], CDC)


# ----- report and exports -------------------------------------------------------------------
def _photo(track: TrackRecord) -> TrackRecord:
    import cv2

    from epitrace.store import ThumbnailRecord

    img = np.full((80, 30, 3), 180, np.uint8)
    jpeg = cv2.imencode(".jpg", img)[1].tobytes()
    return replace(track, thumbnails=[ThumbnailRecord(frame=int(track.frames[0]), kind="body", jpeg=jpeg)])


def _report_case(store: Store) -> tuple[Any, Any, dict[str, int]]:
    """A case with two subjects' sightings on two Seoul cameras, contacts A, B (two cameras), D via A."""
    from datetime import UTC, datetime

    from epitrace.reports import gather
    from epitrace.tracing import add_subject, confirm, new_case

    for cam, place in (("seoul", "Gate 3"), ("busan", "Platform 1")):
        store.upsert_camera(Camera(id=cam, name=cam.title(), place=place, timezone="Asia/Seoul",
                                   calibration=SEOUL_POINTS))
    s1, a, b1, d = store.save_tracks(_video(store, "seoul"), [
        _photo(_track(1, 0, _line(42, 0.0), [1, 0, 0, 0])),
        _photo(_track(2, 0, _line(42, 0.9), [0, 1, 0, 0])),
        _photo(_track(3, 0, _line(42, -1.5), [0, 0, 1, 0])),
        _photo(_track(4, 0, _line(42, 2.6), [0, 0, 0, 1]))], 42, 42)  # D: 2.6 m from S1, 1.7 m from A
    s2, b2 = store.save_tracks(_video(store, "busan"), [
        _track(1, 100, _line(42, 0.0), [1, 0, 0, 0]),
        _track(2, 100, _line(42, 0.5), [0, 0, 0.999, 0.045])], 200, 200)
    case = new_case(store, legal_basis="IDCPA art. 76-2", onset=datetime.fromtimestamp(90_000, UTC))
    subject = add_subject(store, case_id=case.id, label="patient-1", face_consent=False)
    for track in (s1, s2):
        confirm(store, case_id=case.id, subject_id=subject.id, track_id=track)
    policy = get_policy("custom", distance=2.0, minutes=10 / 60, window_h=1)  # 10 s
    return gather(store, case_id=case.id, policy=policy), case, {"a": a, "b1": b1, "b2": b2, "d": d}


def test_report_and_exports_list_people_in_local_time_with_photos(store: Store, tmp_path: Path) -> None:
    import csv
    import json

    from epitrace.contacts.cases import case_contacts
    from epitrace.reports import FIELDS, write_contacts_csv, write_contacts_json, write_report
    from epitrace.reports.render_pdf import evidence_photos, summary_lines
    from epitrace.store.cases import get_case

    data, case, ids = _report_case(store)
    a, b1, b2, d = ids["a"], ids["b1"], ids["b2"], ids["d"]
    policy = data.policy
    html, pdf = write_report(data, tmp_path)
    text = html.read_text()
    # Two people (B met on two cameras) from three sightings: the count agrees with the table.
    assert "2 contact people (from 3 sightings)" in text
    assert "Contacts of contacts: 1 contact person (from 1 sighting)" in text  # D, through A
    assert f"<td>P{d}</td><td>P{a}</td>" in text
    assert f">P{a}<" in text and f">P{b1}<" in text and f">P{b2}<" not in text
    assert "1970-01-01 09:16:40 KST" in text  # frame 0 at 1000 s UTC, read in Seoul
    assert "UTC" not in text  # every time in the cameras' zone, the report's own stamp too
    assert re.search(r"Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST by EpiTrace", text), text[:600]
    assert text.count(f'alt="P{a}"') == 1 and text.count(f'alt="P{b1}"') == 1  # each person's photo
    lines = "\n".join(summary_lines(data))
    assert "2 contact people (from 3 sightings)" in lines and "KST" in lines and "why: high:" in lines
    assert re.search(r"Generated \S+ \S+ KST by EpiTrace", lines) and "UTC" not in lines  # when the PDF was made
    assert f" - P{d} via P{a}  risk MEDIUM" in lines
    assert [c for c, _ in evidence_photos(data)] == [
        "subject patient-1 #1", f"P{b1} (high)\ncontact of patient-1", f"P{a} (medium)\ncontact of patient-1",
        f"P{d} (medium)\ncontact of P{a}"]
    assert pdf.read_bytes().count(b"/Subtype /Image") >= 4  # photos drawn into the PDF

    items = [(s.label, o, c) for s, o, c in case_contacts(store, case=get_case(store, case_id=case.id),
                                                           policy=policy)]
    with write_contacts_csv(items, tmp_path / "c.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == FIELDS and len(rows) == 3
    assert {r["person_label"] for r in rows} == {f"P{a}", f"P{b1}"}
    assert all(r["first_seen"].endswith("+09:00") and r["risk_reason"] for r in rows)
    doc = json.loads(write_contacts_json(items, tmp_path / "c.json", case_id=case.id, policy=policy).read_text())
    assert (doc["people"], doc["sightings"], doc["policy"]["name"]) == (2, 3, "custom")


def test_the_report_speaks_korean_to_a_korean_reader(store: Store, tmp_path: Path) -> None:
    """Issue 13 gap: the web spoke Korean but the report and its risk reasons stayed English."""
    from epitrace.reports import write_report
    from epitrace.reports.i18n import gettext_for
    from epitrace.reports.render_pdf import evidence_photos, summary_lines

    data, _case, ids = _report_case(store)
    html, pdf = write_report(data, tmp_path, lang="ko")
    text = html.read_text(encoding="utf-8")
    assert '<html lang="ko">' in text and "법적 근거" in text and "접촉자 2명 (목격 3건)" in text
    assert f"사건 {_case.id}" in text and "사례" not in text  # the web's word for a case (사건), not another
    assert 'html[lang="ko"] body{word-break:keep-all' in text  # Korean lines break at spaces, not mid-word
    assert "높음" in text and "정책(custom: 1 h 안에 2 m 이내 10 s)" in text  # the rule's reason, in Korean
    for english in ("Legal basis", "first seen", "reaches the policy", "contact people", ">high<"):
        assert english not in text, english
    assert "1970-01-01 09:16:40 KST" in text  # times stay local with their zone
    ko = gettext_for("ko")
    lines = "\n".join(summary_lines(data, ko))
    assert "이유: 높음:" in lines and f"P{ids['d']} 경유 P{ids['a']}" in lines
    assert evidence_photos(data, ko)[0][0] == "대상자 patient-1 #1"
    assert b"Nanum" in pdf.read_bytes()  # Hangul drawn from a Korean font, not as empty boxes
    with pytest.raises(ValueError, match="en, ko"):
        write_report(data, tmp_path / "fr", lang="fr")
    assert not (tmp_path / "fr").exists()  # refused before anything is written


def test_every_report_message_has_a_korean_translation() -> None:
    import re

    import epitrace.reports as reports
    from epitrace.contacts.risk import REASONS
    from epitrace.reports.i18n import gettext_for
    from epitrace.reports.render_pdf import PDF_NOTE

    folder = Path(reports.__file__).parent
    sources = [f.read_text(encoding="utf-8") for f in (*folder.glob("*.py"), *folder.glob("templates/*.j2"))]
    used = {m for text in sources for m in re.findall(r"""\b_\(\s*"([^"]+)"|\b_\(\s*'([^']+)'""", text)}
    messages = {m for pair in used for m in pair if m} | set(REASONS.values()) | {PDF_NOTE}
    assert len(messages) > 50, "the pattern finds the report's messages"
    ko = gettext_for("ko")
    missing = sorted(m for m in messages if ko(m) == m)
    assert missing == [], missing
