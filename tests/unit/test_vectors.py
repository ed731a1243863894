"""Vector index backends: FAISS and Milvus (milvus-lite, in process) behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from epitrace.config import Settings
from epitrace.store import Camera, TrackRecord, Video, open_store
from epitrace.store.index_backends import VectorConfig, backends, make_index
from epitrace.store.milvus_index import MilvusUnavailableError, lite_path
from epitrace.store.vectors import VectorIndex, l2_normalise

BACKENDS = ["faiss", pytest.param("milvus", marks=pytest.mark.milvus)]
DIM = 16


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


@pytest.fixture(params=BACKENDS)
def config(request: pytest.FixtureRequest, tmp_path: Path) -> VectorConfig:
    return VectorConfig(backend=str(request.param), vectors_dir=tmp_path / "vectors")


@pytest.fixture()
def index(config: VectorConfig) -> Iterator[VectorIndex]:
    idx = make_index(config, "body", DIM)
    yield idx
    getattr(idx, "close", lambda: None)()


def test_add_search_cosine_scores(index: VectorIndex) -> None:
    vectors = _vectors(20)
    index.add(np.arange(100, 120), vectors * 3.0)  # scale does not matter: stored unit-length
    scores, ids = index.search(vectors[[4, 7]], k=3)
    assert ids[:, 0].tolist() == [104, 107]
    assert scores[:, 0] == pytest.approx([1.0, 1.0], abs=1e-5)
    unit = l2_normalise(vectors)
    expected = unit[[4, 7]] @ unit.T  # cosine of each query to every stored vector
    for row in range(2):
        best = np.argsort(-expected[row])[:3]
        assert ids[row].tolist() == (best + 100).tolist()
        assert scores[row] == pytest.approx(expected[row][best], abs=1e-5)
    assert len(index) == 20 and sorted(index.ids().tolist()) == list(range(100, 120))


def test_remove(index: VectorIndex) -> None:
    vectors = _vectors(10)
    index.add(np.arange(10), vectors)
    index.remove(np.array([3, 5]))
    assert sorted(index.ids().tolist()) == [0, 1, 2, 4, 6, 7, 8, 9] and len(index) == 8
    _, ids = index.search(vectors[3], k=10)
    assert 3 not in ids[0] and 5 not in ids[0]


def test_filtered_search_by_allowed_ids(index: VectorIndex) -> None:
    vectors = _vectors(50, seed=1)
    index.add(np.arange(1000, 1050), vectors)
    allowed = np.array([1003, 1010, 1042])
    scores, ids = index.search(vectors[[10, 20]], k=5, allowed_ids=allowed)
    assert ids[0, 0] == 1010 and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert set(ids[1, :3].tolist()) == set(allowed.tolist())  # only allowed ids, never 1020
    assert (ids[:, 3:] == -1).all()  # fewer than k: padded with -1 as FAISS does
    _, none = index.search(vectors[:1], k=4, allowed_ids=np.array([], np.int64))
    assert (none == -1).all()


def test_k_beyond_size_pads(index: VectorIndex) -> None:
    index.add(np.array([1, 2]), _vectors(2))
    scores, ids = index.search(_vectors(1, seed=9), k=4)
    assert sorted(ids[0, :2].tolist()) == [1, 2] and ids[0, 2:].tolist() == [-1, -1]
    assert scores[0, 0] >= scores[0, 1]


def test_persists_across_reopen(config: VectorConfig) -> None:
    vectors = _vectors(8, seed=2)
    first = make_index(config, "body", DIM)
    first.add(np.arange(8), vectors)
    first.remove(np.array([0]))
    first.save()
    getattr(first, "close", lambda: None)()
    again = make_index(config, "body", DIM)
    assert sorted(again.ids().tolist()) == list(range(1, 8))
    _, ids = again.search(vectors[6], k=1)
    assert ids[0, 0] == 6
    with pytest.raises(ValueError, match="16"):  # another dimension is refused, not mixed in
        make_index(config, "body", DIM * 2)


def test_add_checks_the_shape(index: VectorIndex) -> None:
    with pytest.raises(ValueError, match="shape"):
        index.add(np.arange(3), np.zeros((3, DIM + 1), np.float32))


def test_unknown_backend_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="faiss, milvus"):
        make_index(VectorConfig(backend="annoy", vectors_dir=tmp_path), "body", DIM)
    assert backends() == ["faiss", "milvus"]


@pytest.mark.parametrize(
    ("uri", "lite"),
    [
        ("http://milvus:19530", False),  # a server
        ("https://user:pw@milvus.example:443/epi", False),  # a server with credentials and database
        ("/var/lib/epitrace/milvus.db", True),  # milvus-lite file
        ("/var/lib/epitrace/milvus", None),  # neither: refused with a hint
    ],
)
def test_milvus_uri_kinds(uri: str, lite: bool | None) -> None:
    if lite is None:
        with pytest.raises(MilvusUnavailableError, match="EPITRACE_MILVUS_URI"):
            lite_path(uri)
    else:
        assert (lite_path(uri) is not None) == lite


@pytest.mark.milvus
def test_unreachable_milvus_server_says_what_to_check(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = VectorConfig(backend="milvus", vectors_dir=tmp_path, milvus_uri=f"http://127.0.0.1:{port}")
    with pytest.raises(MilvusUnavailableError, match="cannot reach the Milvus server"):
        make_index(config, "body", DIM)


def _track(local_id: int, body: np.ndarray, face: np.ndarray | None = None) -> TrackRecord:
    frames = np.arange(3, dtype=np.int64) + 10 * local_id
    return TrackRecord(local_id=local_id, frames=frames, ts=1000.0 + frames / 7.0,
                       boxes=np.tile(np.array([[10, 20, 40, 120]], np.float32), (3, 1)),
                       confidence=np.full(3, 0.9, np.float32), ground=None, body_vector=body, face_vector=face)


@pytest.mark.milvus
def test_store_on_milvus_and_each_database(backend_settings: Settings) -> None:
    """The scale-out configuration: body vectors in Milvus, rows in SQLite or PostgreSQL."""
    from epitrace.store.milvus_index import MilvusIndex

    settings = backend_settings.model_copy(update={"vector_backend": "milvus"})
    store = open_store(settings)
    store.upsert_camera(Camera(id="cam1", name="Cam 1"))
    vid = store.create_video(Video(camera_id="cam1", path="x.avi", sha256="a" * 64, start_ts=0.0,
                                   fps=7.0, analysed_fps=7.0))
    bodies = np.random.default_rng(5).normal(size=(4, 64)).astype(np.float32)
    face = np.random.default_rng(6).normal(size=128).astype(np.float32)
    ids = store.save_tracks(vid, [_track(i, bodies[i], face if i == 0 else None) for i in range(4)], 40, 40)
    body = store.index("body")
    assert isinstance(body, MilvusIndex) and sorted(body.ids().tolist()) == sorted(ids)
    scores, found = body.search(bodies[2], k=2, allowed_ids=np.array(ids[1:3]))
    assert found[0, 0] == ids[2] and scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert not isinstance(store.index("face"), MilvusIndex)  # sealed kinds stay in memory
    body.remove(np.array(ids[:2]))  # a crash between the SQL commit and the index write
    reopened = open_store(settings)
    assert sorted(reopened.index("body").ids().tolist()) == sorted(ids)  # repaired from SQL
    assert store.delete_tracks_from(vid, 25) == 1  # the last track (frames 30-32)
    assert sorted(reopened.index("body").ids().tolist()) == sorted(ids[:3])  # one shared collection
    fresh = open_store(settings)  # a process that never searched (e.g. a purge or a resume)
    assert fresh.delete_tracks_from(vid, 15) == 1  # frames 20-22
    assert sorted(reopened.index("body").ids().tolist()) == sorted(ids[:2])  # removed from Milvus too
