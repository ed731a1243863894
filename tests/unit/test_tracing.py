"""Cases, enrolment (with and without consent), search, confirm/reject, space-time, route, report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from epitrace.config import Settings, TracingConfig, get_policy
from epitrace.store import Camera, Store, ThumbnailRecord, TrackRecord, Video, open_store
from epitrace.tracing import (
    CaseRuleError,
    ConsentError,
    add_subject,
    confirm,
    enrol_photo,
    enrol_track,
    new_case,
    reject,
    search_subject,
    trace_case,
    trajectory,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RNG = np.random.default_rng(42)
PERSON = RNG.normal(size=64).astype(np.float32)  # the subject's look
FACE = RNG.normal(size=128).astype(np.float32)


def _jpeg() -> bytes:
    img = np.full((80, 30, 3), 180, np.uint8)
    checker = (np.indices((20, 30)).sum(axis=0) // 2 % 2 * 200).astype(np.uint8)
    img[:20] = checker[..., None]  # fine detail in the head rows: a mosaic must wipe it out
    return cv2.imencode(".jpg", img)[1].tobytes()


def _rec(local_id: int, t: float, body: np.ndarray, face: np.ndarray | None = None, x: float = 0.0) -> TrackRecord:
    frames = np.arange(10, dtype=np.int64) + int(t * 7)
    return TrackRecord(
        local_id=local_id, frames=frames, ts=T0.timestamp() + frames / 7.0,
        boxes=np.tile(np.array([[100, 100, 130, 180]], np.float32), (10, 1)),
        confidence=np.full(10, 0.9, np.float32),
        ground=np.stack([np.full(10, x), np.zeros(10)], axis=1).astype(np.float32),
        body_vector=body, face_vector=face, mask_state="no_mask", mask_confidence=0.9,
        thumbnails=[ThumbnailRecord(frame=int(frames[0]), kind="body", jpeg=_jpeg())])


def _noisy(v: np.ndarray, scale: float) -> np.ndarray:
    return (v + RNG.normal(scale=scale, size=v.shape)).astype(np.float32)


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    s.upsert_camera(Camera(id="a", name="Station", latitude=37.5, longitude=126.8))
    s.upsert_camera(Camera(id="b", name="Market", latitude=37.6, longitude=126.8))  # ~11 km away
    for cam in ("a", "b"):
        vid = s.create_video(Video(camera_id=cam, path=f"{cam}.avi", sha256=cam * 64, start_ts=T0.timestamp(),
                                   fps=7.0, analysed_fps=7.0))
        recs = [_rec(i, 60.0 * i, RNG.normal(size=64).astype(np.float32)) for i in range(1, 9)]
        if cam == "a":
            recs.append(_rec(20, 30.0, _noisy(PERSON, 0.1), _noisy(FACE, 0.1)))  # subject at 09:00:30
            recs.append(_rec(21, 31.0, RNG.normal(size=64).astype(np.float32), x=1.0))  # a contact beside them
        else:
            recs.append(_rec(30, 120.0, _noisy(PERSON, 0.1)))  # subject 90 s later, 11 km away: impossible
            recs.append(_rec(31, 3600.0, _noisy(PERSON, 0.1)))  # an hour later: possible
        s.save_tracks(vid, recs, 0, 0)
    return s


def _case(store: Store, consent: bool) -> tuple[str, int]:
    case = new_case(store, legal_basis="Infectious Disease Control and Prevention Act art. 76-2",
                    onset=T0 + timedelta(days=1))
    return case.id, add_subject(store, case_id=case.id, label="patient-1", face_consent=consent).id


def _track_by_local(store: Store, local_id: int) -> int:
    from sqlalchemy import select

    from epitrace.store.orm import Track

    with store.db.session() as s:
        return int(s.scalar(select(Track.id).where(Track.local_id == local_id)))


def test_case_needs_a_legal_basis_and_at_most_ten_subjects(store: Store) -> None:
    with pytest.raises(CaseRuleError, match="legal basis"):
        new_case(store, legal_basis="  ", onset=T0)
    case_id, _ = _case(store, consent=False)
    for n in range(9):
        add_subject(store, case_id=case_id, label=f"s{n}", face_consent=False)
    with pytest.raises(CaseRuleError, match="10"):
        add_subject(store, case_id=case_id, label="eleventh", face_consent=False)


def test_default_window_starts_two_days_before_onset(store: Store) -> None:
    case = new_case(store, legal_basis="x", onset=T0, isolation=T0 + timedelta(days=1))
    assert case.window_start_ts == (T0 - timedelta(days=2)).timestamp()
    assert case.window_end_ts == (T0 + timedelta(days=1)).timestamp()


def test_face_path_refuses_without_consent(store: Store) -> None:
    case_id, subject = _case(store, consent=False)
    called = []
    with pytest.raises(ConsentError, match="not consented"):
        enrol_photo(store, case_id=case_id, subject_id=subject, image_bgr=np.zeros((9, 9, 3), np.uint8),
                    embed_face=lambda img: called.append(1) or FACE)
    assert called == []  # the embedder was never even run
    enrol_track(store, case_id=case_id, subject_id=subject, track_id=_track_by_local(store, 20))
    from epitrace.store.cases import query_vectors

    assert query_vectors(store, subject_id=subject, kind="face") == []  # the track's face was not taken
    found = search_subject(store, case_id=case_id, subject_id=subject, config=TracingConfig())
    assert all(c.face_score is None for c in found)


def test_picked_sighting_finds_the_subject_and_filters_the_impossible(store: Store) -> None:
    case_id, subject = _case(store, consent=False)
    picked = _track_by_local(store, 20)
    enrol_track(store, case_id=case_id, subject_id=subject, track_id=picked)
    confirm(store, case_id=case_id, subject_id=subject, track_id=picked)
    found = search_subject(store, case_id=case_id, subject_id=subject, config=TracingConfig())
    matches = [c.track_id for c in found if c.match]
    assert _track_by_local(store, 31) in matches  # an hour later at the market
    assert _track_by_local(store, 30) not in [c.track_id for c in found]  # 11 km in 90 s: dropped
    assert len(matches) == 2  # the picked one and the market, nobody else
    reject(store, case_id=case_id, subject_id=subject, track_id=_track_by_local(store, 31))
    again = search_subject(store, case_id=case_id, subject_id=subject, config=TracingConfig())
    assert _track_by_local(store, 31) not in [c.track_id for c in again]


def test_face_photo_enrolment_with_consent(store: Store) -> None:
    case_id, subject = _case(store, consent=True)
    enrol_photo(store, case_id=case_id, subject_id=subject, image_bgr=np.zeros((9, 9, 3), np.uint8),
                embed_face=lambda img: FACE / np.linalg.norm(FACE))
    found = search_subject(store, case_id=case_id, subject_id=subject, config=TracingConfig())
    assert found[0].track_id == _track_by_local(store, 20) and found[0].face_score > 0.9


def test_unknown_is_a_valid_answer(store: Store) -> None:
    case_id, subject = _case(store, consent=True)
    stranger = RNG.normal(size=128).astype(np.float32)
    enrol_photo(store, case_id=case_id, subject_id=subject, image_bgr=np.zeros((9, 9, 3), np.uint8),
                embed_face=lambda img: stranger)
    found = search_subject(store, case_id=case_id, subject_id=subject, config=TracingConfig())
    assert not any(c.match for c in found)


def test_trace_route_contacts_and_redacted_report(store: Store, tmp_path: Path) -> None:
    case_id, subject = _case(store, consent=False)
    picked = _track_by_local(store, 20)
    enrol_track(store, case_id=case_id, subject_id=subject, track_id=picked)
    confirm(store, case_id=case_id, subject_id=subject, track_id=picked)
    confirm(store, case_id=case_id, subject_id=subject, track_id=_track_by_local(store, 31))
    results = trace_case(store, case_id=case_id, config=TracingConfig())
    assert set(results) == {subject}
    visits = trajectory(store, subject_id=subject)
    assert [v.camera_name for v in visits] == ["Station", "Market"]
    from epitrace.reports import gather, write_report

    data = gather(store, case_id=case_id, policy=get_policy("cdc"))
    (section,) = data.subjects
    contact = _track_by_local(store, 21)
    assert contact in {c.contact_track_id for c in section.contacts}
    redacted = cv2.imdecode(np.frombuffer(data.contact_thumbnails[contact], np.uint8), cv2.IMREAD_COLOR)
    original = cv2.imdecode(np.frombuffer(_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(redacted[:20].astype(int) - original[:20].astype(int)).mean() > 40  # head mosaicked
    assert np.abs(redacted[40:].astype(int) - original[40:].astype(int)).mean() < 5  # body kept
    html, pdf = write_report(data, tmp_path)
    text = html.read_text()
    assert "Station" in text and "Market" in text and "legal basis" in text.lower()
    assert pdf.read_bytes().startswith(b"%PDF")


def test_confirmed_sightings_are_never_dropped_by_the_space_time_check() -> None:
    """Two confirmed sightings at once on one camera (a split or doubled track) stay listed;
    an unconfirmed one that conflicts with a confirmed one is dropped."""
    from epitrace.config import TracingConfig
    from epitrace.store.orm import Track
    from epitrace.tracing.search import _candidates, _Query

    a = Track(id=1, camera_id="c", start_ts=0.0, end_ts=10.0)
    b = Track(id=2, camera_id="c", start_ts=2.0, end_ts=8.0)
    c = Track(id=3, camera_id="c", start_ts=3.0, end_ts=9.0)
    q = _Query(1, {1: "confirmed", 2: "confirmed"}, None, None)
    found = _candidates(q, {1: 0.95, 2: 0.9, 3: 0.9}, {}, TracingConfig(), {1: a, 2: b, 3: c}, [a, b], {})
    assert {x.track_id for x in found} == {1, 2}
