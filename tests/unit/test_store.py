"""Store: migrations, tracks with vectors and thumbnails, index repair, deletion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy.exc import StatementError

from epitrace.config import Settings
from epitrace.store import (
    Camera,
    FaissIndex,
    Store,
    ThumbnailRecord,
    TrackRecord,
    UnknownCameraError,
    Video,
    open_store,
)


def _record(local_id: int, first: int, n: int = 5, seed: int = 0) -> TrackRecord:
    rng = np.random.default_rng(seed)
    frames = np.arange(first, first + n, dtype=np.int64)
    boxes = np.tile(np.array([[10, 20, 40, 120]], np.float32), (n, 1)) + local_id
    return TrackRecord(
        local_id=local_id, frames=frames, ts=1000.0 + frames / 7.0, boxes=boxes,
        confidence=np.full(n, 0.9, np.float32), ground=np.zeros((n, 2), np.float32),
        body_vector=rng.normal(size=64).astype(np.float32),
        face_vector=rng.normal(size=128).astype(np.float32) if local_id % 2 else None,
        mask_state="mask", mask_confidence=0.8,
        thumbnails=[ThumbnailRecord(frame=first, kind="body", jpeg=b"\xff\xd8jpeg")],
    )


@pytest.fixture()
def settings(backend_settings: Settings) -> Settings:
    """Every test here runs on SQLite and on PostgreSQL (tests/pg_fixture.py)."""
    return backend_settings


@pytest.fixture()
def store(settings: Settings) -> Store:
    s = open_store(settings)
    s.upsert_camera(Camera(id="cam1", name="Cam 1"))
    return s


def _video(store: Store) -> int:
    return store.create_video(Video(camera_id="cam1", path="x.avi", sha256="a" * 64, start_ts=0.0,
                                    fps=7.0, analysed_fps=7.0))


def test_unknown_camera_names_the_known_ones(store: Store) -> None:
    with pytest.raises(UnknownCameraError, match="cam1"):
        store.get_camera("nope")


def test_tracks_vectors_and_thumbnails_are_stored(store: Store) -> None:
    vid = _video(store)
    ids = store.save_tracks(vid, [_record(1, 0, seed=1), _record(2, 3, seed=2)], 10, 10)
    assert store.count_tracks(vid) == 2
    body = store.index("body")
    assert sorted(body.ids().tolist()) == sorted(ids)
    assert len(store.index("face")) == 1  # only the odd track had a face
    assert len(list(store.evidence_dir.rglob("*.jpg.sealed"))) == 2
    assert store.video_state(vid).resume_frame == 10
    assert len(store.video_points(vid)) == 10


def test_search_finds_the_stored_vector(store: Store) -> None:
    vid = _video(store)
    recs = [_record(i, i, seed=i) for i in range(6)]
    ids = store.save_tracks(vid, recs, 10, 10)
    scores, found = store.index("body").search(recs[3].body_vector, k=2)
    assert found[0, 0] == ids[3] and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    _, scoped = store.index("body").search(recs[3].body_vector, k=1, allowed_ids=np.array(ids[:2]))
    assert scoped[0, 0] in ids[:2]


def test_stale_index_is_rebuilt_from_sql(settings: Settings, store: Store) -> None:
    vid = _video(store)
    ids = store.save_tracks(vid, [_record(i, i, seed=i) for i in range(3)], 5, 5)
    # Simulate a crash after the SQL commit but before the index file was written.
    stale = FaissIndex(settings.vectors_dir / "body.faiss", 64)
    stale.remove(np.array(ids[1:]))
    stale.save()
    reopened = open_store(settings)
    assert sorted(reopened.index("body").ids().tolist()) == sorted(ids)


def test_delete_tracks_removes_rows_vectors_and_files(store: Store) -> None:
    vid = _video(store)
    store.save_tracks(vid, [_record(2, 0, seed=1), _record(3, 8, seed=3)], 20, 20)
    assert store.delete_tracks_from(vid, 5) == 1
    assert store.count_tracks(vid) == 1
    assert len(store.index("face")) == 0  # the deleted track owned the only face vector
    assert len(list(store.evidence_dir.rglob("*.jpg.sealed"))) == 1


def test_failed_save_leaves_no_files(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    vid = _video(store)
    bad = _record(1, 0)
    object.__setattr__(bad, "mask_confidence", "not-a-number")  # the flush will fail
    with pytest.raises((TypeError, ValueError, StatementError)):
        store.save_tracks(vid, [_record(2, 0), bad], 5, 5)
    assert store.count_tracks(vid) == 0
    assert not list(store.evidence_dir.rglob("*.jpg.sealed"))


def test_migrations_create_schema_once(settings: Settings) -> None:
    open_store(settings)
    again = open_store(settings)  # a second open must not re-create or fail
    assert again.list_cameras() == []
    if settings.database_url is None:
        assert Path(settings.db_url.removeprefix("sqlite:///")).exists()
    with again.db.engine.connect() as c:  # at the newest revision, on either backend
        assert c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == _head()


def _head() -> str:
    from alembic.script import ScriptDirectory

    from epitrace.store.db import alembic_config

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


# ----- unit of work --------------------------------------------------------------------------
def _open_case(store: Store, session: object) -> str:
    from datetime import UTC, datetime

    from epitrace.tracing import add_subject, new_case

    case = new_case(store, legal_basis="Act art. 1", onset=datetime(2026, 3, 1, tzinfo=UTC),
                    isolation=datetime(2026, 3, 4, tzinfo=UTC), cameras=["cam1"], session=session)
    add_subject(store, case_id=case.id, label="P1", face_consent=False, session=session)
    return case.id


def test_unit_commits_a_use_case_and_its_audit_entry_together(store: Store) -> None:
    from epitrace.privacy.audit import entries, record, verify
    from epitrace.store.cases import get_case

    with store.unit() as s:
        case_id = _open_case(store, s)
        assert [x.label for x in get_case(store, case_id=case_id, session=s).subjects] == ["P1"]
        record(store, user="ana", action="case_new", case_id=case_id, session=s)
    assert [x.label for x in get_case(store, case_id=case_id).subjects] == ["P1"]
    assert [e.action for e in entries(store, case_id=case_id)] == ["case_new"]
    assert verify(store).ok


def test_unit_rolls_back_everything_with_its_audit_entry(store: Store) -> None:
    from epitrace.privacy.audit import entries, record, verify
    from epitrace.store.cases import find_cases

    record(store, user="ana", action="login")  # the chain the rolled-back entry would extend
    with pytest.raises(RuntimeError, match="after the audit"), store.unit() as s:
        case_id = _open_case(store, s)
        record(store, user="ana", action="case_new", case_id=case_id, session=s)
        raise RuntimeError("fails after the audit entry was written")
    assert find_cases(store) == []
    assert [e.action for e in entries(store)] == ["login"]
    record(store, user="ana", action="search")  # the chain goes on where it was
    assert verify(store).ok and verify(store).checked == 2


def test_a_refusal_is_audited_even_when_its_unit_rolls_back(store: Store) -> None:
    from epitrace.privacy.audit import entries, verify
    from epitrace.privacy.users import AccessDenied, add_user, require_case_access

    case_id = _open_case(store, None)
    bob = add_user(store, name="bob", password="long enough pw", role="investigator")
    with pytest.raises(AccessDenied), store.unit() as s:
        require_case_access(store, user=bob, case_id=case_id, session=s)
    denials = [e for e in entries(store) if e.action == "deny"]
    assert [(e.user, e.case_id) for e in denials] == [("bob", case_id)]
    assert verify(store).ok


def test_open_store_is_complete(settings: Settings) -> None:
    from epitrace.store.index_backends import VectorConfig

    store = open_store(settings)
    assert store.vector_config == VectorConfig.from_settings(settings)
    bare = Store(store.db, settings.vectors_dir, settings.evidence_dir)  # FAISS files by default
    assert bare.vector_config == VectorConfig(backend="faiss", vectors_dir=settings.vectors_dir)


def test_an_entry_outside_a_unit_that_holds_the_log_is_refused_not_deadlocked(store: Store) -> None:
    from epitrace.privacy.audit import entries, record
    from epitrace.store.audit_repo import ChainHeldError

    with store.unit() as s:
        record(store, user="ana", action="search", session=s)
        with pytest.raises(ChainHeldError, match="session="):
            record(store, user="ana", action="view")  # would wait for `s` forever
    record(store, user="ana", action="view")  # the unit ended: the log is free again
    assert [e.action for e in entries(store)] == ["search", "view"]


def test_a_whole_trace_runs_in_one_unit_on_one_connection(store: Store) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import event

    from epitrace.config import TracingConfig
    from epitrace.privacy.audit import entries, record
    from epitrace.tracing import add_subject, confirm, enrol_track, new_case, trace_case, trajectory

    ids = store.save_tracks(_video(store), [_record(i, 10 * i, seed=i) for i in range(6)], 60, 60)
    store.index("body")
    store.index("face")  # opened (and built from SQL) once per process, as in a server
    connections: list[object] = []
    event.listen(store.db.engine, "checkout", lambda *args: connections.append(args[0]))
    with store.unit() as s:
        case = new_case(store, legal_basis="Act art. 1", onset=datetime.fromtimestamp(2 * 86400, UTC),
                        session=s)
        subject = add_subject(store, case_id=case.id, label="P1", face_consent=True, session=s)
        enrol_track(store, case_id=case.id, subject_id=subject.id, track_id=ids[1], session=s)
        confirm(store, case_id=case.id, subject_id=subject.id, track_id=ids[1], user="ana", session=s)
        found = trace_case(store, case_id=case.id, config=TracingConfig(), session=s)[subject.id]
        route = trajectory(store, subject_id=subject.id, session=s)
        record(store, user="ana", action="search", case_id=case.id, session=s)
    assert len(connections) == 1
    assert found[0].track_id == ids[1] and found[0].decision == "confirmed"
    assert {c.track_id for c in found} == set(ids)  # every sighting is a candidate, the confirmed first
    assert [v.track_ids for v in route] == [[ids[1]]]
    again = trace_case(store, case_id=case.id, config=TracingConfig())[subject.id]  # committed, the same
    assert [(c.track_id, c.score) for c in again] == [(c.track_id, c.score) for c in found]
    assert [e.action for e in entries(store, case_id=case.id)] == ["search"]
