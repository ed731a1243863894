"""The FAISS index's IVF accelerator: exact scores, exact results when every list is probed.

Real vectors: the body embedder (v2) on the shared PETS re-ID crops, each also as five simulated
cameras (`camera_shift`), 516 vectors of 9 people. Thresholds are lowered so that this small set
gets an accelerator; the code paths are those of a million-vector store.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from epitrace.evaluation.camera_shift import SHIFTS, apply_shift
from epitrace.evaluation.reid import load_crops
from epitrace.store import ivf_accel, vectors
from epitrace.store.vectors import FaissIndex, l2_normalise
from epitrace.vision.body_embed import BodyEmbedder


@pytest.fixture(scope="module")
def real(shared_data: Path) -> tuple[np.ndarray, np.ndarray]:
    """(unit body vectors, person labels) of the re-ID crops under every camera shift."""
    root = shared_data / "reid" / "pets09_s2l1_crops"
    crops, labels = [], []
    for part in ("query", "gallery"):
        c, lab = load_crops(root / part)
        crops += c
        labels += list(lab)
    embedder = BodyEmbedder()
    rows = [embedder.embed_crops(apply_shift(name, crops)) for name in SHIFTS]
    return l2_normalise(np.concatenate(rows)), np.array(labels * len(SHIFTS))


@pytest.fixture()
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """An accelerator from 200 vectors on, and the selector path for scopes over 50 ids."""
    monkeypatch.setattr(vectors, "ACCEL_MIN", 200)
    monkeypatch.setattr(vectors, "EXACT_SCOPE", 50)


def _pair(x: np.ndarray, path: Path | None = None) -> tuple[FaissIndex, FaissIndex]:
    ids = np.arange(len(x), dtype=np.int64) * 3 + 1000  # ids unlike row numbers
    fast, exact = FaissIndex(path, x.shape[1]), FaissIndex(None, x.shape[1], accelerate=False)
    fast.add(ids, x)
    exact.add(ids, x)
    return fast, exact


@pytest.mark.usefixtures("small_thresholds")
def test_all_lists_probed_equals_exact(real: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch) -> None:
    x, _ = real
    monkeypatch.setattr(ivf_accel, "PROBE_SHARE", 1.0)
    fast, exact = _pair(x)
    assert fast._accel is not None and fast._accel.nprobe == fast._accel.nlist == 64
    queries = x[::37]
    for allowed in (None, np.arange(1000, 1000 + 3 * len(x), 6)):  # unrestricted, and half of the ids
        got_s, got_i = fast.search(queries, 5, allowed_ids=allowed)  # 258 allowed > 8 x 2 x 5: accelerated
        want_s, want_i = exact.search(queries, 5, allowed_ids=allowed)
        np.testing.assert_array_equal(got_i, want_i)
        np.testing.assert_allclose(got_s, want_s, atol=1e-5)
    asked: list[int] = []

    def spy(q: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
        asked.append(k)
        return np.full((len(q), k), -1, np.int64)

    monkeypatch.setattr(fast._accel, "candidates", spy)
    fast.search(queries, 5, allowed_ids=np.arange(1000, 1000 + 3 * len(x), 6))  # 258 allowed: accelerated
    fast.search(queries, 5, allowed_ids=np.arange(1000, 1000 + 3 * 60, 3))  # 60 allowed: exact, not asked
    assert asked == [10]  # one accelerated search, asking 2 x k candidates


@pytest.mark.usefixtures("small_thresholds")
def test_default_probes_keep_exact_scores_and_same_person_matches(real: tuple[np.ndarray, np.ndarray]) -> None:
    x, persons = real
    fast, exact = _pair(x)
    assert fast._accel is not None and fast._accel.nprobe < fast._accel.nlist  # really approximate
    got_s, got_i = fast.search(x, 10)
    want_s, want_i = exact.search(x, 10)
    by_id = {int(i): row for row, i in enumerate(np.arange(len(x)) * 3 + 1000)}
    for q, (scores, ids) in enumerate(zip(got_s, got_i, strict=True)):
        kept = ids >= 0
        cosines = x[[by_id[int(i)] for i in ids[kept]]] @ x[q]
        np.testing.assert_allclose(scores[kept], cosines, atol=1e-5)  # exact, not SQ8, scores
    # What tracing needs: exact neighbours above the body threshold (0.84) that show the same person.
    want = {(q, int(i)) for q in range(len(x)) for s, i in zip(want_s[q], want_i[q], strict=True)
            if s >= 0.84 and persons[by_id[int(i)]] == persons[q]}
    got = {(q, int(i)) for q in range(len(x)) for i in got_i[q]}
    assert len(want) > 500 and len(want & got) / len(want) >= 0.95


@pytest.mark.usefixtures("small_thresholds")
def test_removed_and_reopened(real: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    x, _ = real
    path = tmp_path / "body.faiss"
    fast, _ = _pair(x, path)
    gone = np.array([1000, 1003, 1006])
    fast.remove(gone)
    _, ids = fast.search(x[:3], 5)
    assert not np.isin(ids, gone).any() and len(fast._accel or []) == len(x) - 3
    fast.save()
    again = FaissIndex(path, x.shape[1])
    assert again._accel is not None and len(again._accel) == len(x) - 3  # reused from body.faiss.ivf
    np.testing.assert_array_equal(again.search(x[5:8], 5)[1], fast.search(x[5:8], 5)[1])
    again.remove(np.arange(1000, 1000 + 3 * 450, 3))  # 66 left, under half of ACCEL_MIN: no accelerator
    again.save()
    assert again._accel is None and not (tmp_path / "body.faiss.ivf").exists()


def test_lists_grow_with_the_index() -> None:
    assert [ivf_accel.lists_for(n) for n in (100, 100_000, 1_070_000, 10_000_000)] == [64, 256, 1024, 4096]
    accel = ivf_accel.IvfAccelerator.trained(l2_normalise(np.random.default_rng(0).normal(
        size=(2_000, 8)).astype(np.float32)), 100_000)
    assert accel.nlist == 256 and accel.nprobe == 32  # MIN_PROBES above 1/16 of 256
    assert not accel.outgrown(120_000) and accel.outgrown(140_000)  # sqrt(n) nearer 512 than 256


@pytest.mark.usefixtures("small_thresholds")
def test_an_accelerator_out_of_step_is_rebuilt(real: tuple[np.ndarray, np.ndarray], tmp_path: Path) -> None:
    x, _ = real
    path = tmp_path / "body.faiss"
    fast, _ = _pair(x, path)
    fast.save()
    stale = (tmp_path / "body.faiss.ivf").read_bytes()
    fast.remove(np.array([1000]))
    fast.add(np.array([5]), x[:1])  # as many vectors as before, one id different
    fast.save()
    (tmp_path / "body.faiss.ivf").write_bytes(stale)  # as if the process died between the two files
    again = FaissIndex(path, x.shape[1])
    assert again._accel is not None and sorted(again._accel.ids().tolist()) == sorted(again.ids().tolist())
    assert 1000 not in again._accel.ids() and again.search(x[:1], 1)[1][0, 0] == 5
