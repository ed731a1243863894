"""Ingest's face stage skips the embedding of a face too small for search to compare (no models needed)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from epitrace.ingest.finalise import FinaliseContext, _face_and_mask
from epitrace.ingest.timing import StageTimer
from epitrace.ingest.vision_models import VisionModels
from epitrace.tracking import Sample
from epitrace.vision import Detections

HEAD = 40  # head crop side (source pixels): observe_face upscales it 4x to 160


class OneFace:
    """A face detector that finds one face `side` source pixels wide in the middle of any head crop."""

    def __init__(self, side: float) -> None:
        self.side = side

    def detect(self, image: npt.NDArray[np.uint8], threshold: float = 0.5) -> Detections:
        half = self.side * image.shape[0] / HEAD / 2
        c = image.shape[0] / 2
        marks = np.array([[[c - half / 2, c - half / 3], [c + half / 2, c - half / 3], [c, c],
                           [c - half / 3, c + half / 2], [c + half / 3, c + half / 2]]], np.float32)
        return Detections(xyxy=np.array([[c - half, c - half, c + half, c + half]], np.float32),
                          confidence=np.array([0.9], np.float32), data={"landmarks": marks})


class CountingEmbedder:
    """Counts embeddings; returns a fixed unit vector."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, image: npt.NDArray[np.uint8], box: npt.ArrayLike) -> npt.NDArray[np.float32]:
        self.calls += 1
        return np.eye(128, dtype=np.float32)[0]


def _context(face_px: float, min_px: float, embed_faces: bool = True) -> tuple[FinaliseContext, CountingEmbedder]:
    embedder = CountingEmbedder()
    models = VisionModels(persons=None, body=None, faces=OneFace(face_px), face_embedder=embedder)  # type: ignore[arg-type]
    ctx = FinaliseContext(models, 0.0, 7.0, 1.0, None, 3, 1, 4, 8, 0, StageTimer(), embed_faces=embed_faces,
                          face_keep=3, face_embed_min_px=min_px)
    return ctx, embedder


def _samples(n: int = 5) -> list[Sample]:
    rng = np.random.default_rng(0)
    return [Sample(frame=i, box=np.zeros(4, np.float32), quality=1.0 - i / 10,
                   person=np.zeros((80, 30, 3), np.uint8),
                   head=rng.integers(0, 255, (HEAD, HEAD, 3), dtype=np.uint8)) for i in range(n)]


@pytest.mark.parametrize(("face_px", "min_px", "embedded"), [(10, 16, False), (20, 16, True), (10, 0, True)])
def test_a_face_too_small_to_compare_is_not_embedded(face_px: float, min_px: float, embedded: bool) -> None:
    ctx, embedder = _context(face_px, min_px)
    vector, chips, quality, _, _ = _face_and_mask(ctx, _samples())
    assert quality is not None and quality.size_px == pytest.approx(face_px, abs=0.5)  # the size is kept
    assert (vector is not None) == embedded and not chips
    assert embedder.calls == (3 if embedded else 0)  # the best face_keep of 5 faces, or none


@pytest.mark.parametrize(("face_px", "chipped"), [(10, False), (20, True)])
def test_a_face_too_small_to_compare_gets_no_chip_for_a_case(face_px: float, chipped: bool) -> None:
    ctx, embedder = _context(face_px, 16, embed_faces=False)
    vector, chips, quality, _, _ = _face_and_mask(ctx, _samples())
    assert vector is None and embedder.calls == 0 and quality is not None
    assert len(chips) == (3 if chipped else 0)


def test_ingest_embeds_every_face_search_may_compare() -> None:
    """A face search would compare (at or over face_review_min_px) must not be left unembedded by default."""
    from epitrace.config import IngestSettings, TracingConfig

    assert 0 < IngestSettings().face_embed_min_px <= TracingConfig().face_review_min_px
