"""Face bands on real photos and video: no false match on the deepface pairs (clean and degraded
to CCTV-like faces), degraded true pairs still shown, face sampling by quality, no-face photos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_vision import (  # noqa: F401 (pytest fixtures)
    data_dir_fixture,
    face_detector_fixture,
    face_embedder_fixture,
    vision_models_fixture,
)

from epitrace.config import TracingConfig
from epitrace.evaluation.face_band_eval import BandRow, Sample, photo_band_rows, photo_samples, track_band_rows
from epitrace.evaluation.face_degrade import degrade, head_crop, level
from epitrace.evaluation.faces import read_identities, read_pairs
from epitrace.media import iter_frames, to_bgr
from epitrace.tracing.face_bands import FaceEvidence, face_band
from epitrace.vision.face_embed import NoFaceError
from epitrace.vision.face_quality import best_faces, observe_face

PAIRS = "faces/deepface_pairs/master.csv"
IDENTITIES = "faces/deepface_pairs/identities_from_pairs.csv"  # 61 of the photos, by identity
CONDITIONS = ("clean", "60px", "20px")  # the closest negatives to the threshold are at 60 px


@pytest.fixture(scope="module", name="samples")
def samples_fixture(data_dir: Path, face_detector, face_embedder) -> dict[tuple[str, str], Sample | None]:
    pairs = read_pairs(data_dir / PAIRS) + read_pairs(data_dir / IDENTITIES)
    names = sorted({n for a, b, _ in pairs for n in (a, b)})
    return photo_samples([data_dir / PAIRS.rsplit("/", 1)[0] / n for n in names], face_detector, face_embedder,
                         tuple(level(c) for c in CONDITIONS if c != "clean"))


@pytest.fixture(scope="module", name="rows")
def rows_fixture(data_dir: Path, samples: dict[tuple[str, str], Sample | None]) -> dict[str, BandRow]:
    rows = photo_band_rows(read_pairs(data_dir / PAIRS), samples, TracingConfig(), CONDITIONS)
    return {r.condition: r for r in rows}


@pytest.mark.models
def test_match_band_false_accepts_at_most_one_in_a_thousand(rows: dict[str, BandRow]) -> None:
    for name in CONDITIONS:
        r = rows[name]
        assert r.different_pairs >= 260, name  # every different-person pair was judged
        assert r.far_match <= 0.001, (name, r.false_matches)
    assert rows["clean"].tar_match >= 0.9  # the match band is not empty
    assert rows["60px"].tar_match >= 0.9


@pytest.mark.models
def test_track_templates_never_reach_match_for_a_stranger(data_dir: Path,
                                                          samples: dict[tuple[str, str], Sample | None]) -> None:
    """Tracks of 3 degraded faces, scored by their template as ingest stores them."""
    identity = read_identities(data_dir / IDENTITIES)
    assert identity is not None and len(identity) == 61
    rows = {r.condition: r for r in track_band_rows(identity, samples, TracingConfig(), ("60px", "20px"))}
    for r in rows.values():
        assert r.different_pairs >= 700 and r.far_match <= 0.001, r
    assert rows["track of 3 60px"].tar_match >= 0.9
    assert rows["track of 3 20px"].tar_any >= 0.85


@pytest.mark.models
def test_degraded_true_pairs_are_shown_for_review(data_dir: Path, rows: dict[str, BandRow],
                                                  samples: dict[tuple[str, str], Sample | None],
                                                  face_detector, face_embedder) -> None:
    r = rows["20px"]
    assert r.tar_match <= 0.1  # a 20-px face cannot clear the photo threshold ...
    assert r.tar_any >= 0.85  # ... but most true pairs are still shown as "possible"
    a, b, same = read_pairs(data_dir / PAIRS)[0]  # the file's first pair, degraded here to 30 px
    enrol = samples[("clean", a)]
    image = cv2.imread(str(data_dir / PAIRS.rsplit("/", 1)[0] / b))
    small, box = degrade(image, face_detector.detect(image).xyxy[0], level("30px"))
    probe = observe_face(head_crop(small, box), face_detector)
    assert same and enrol is not None and probe is not None
    q = probe.quality
    assert 25 <= q.size_px <= 36  # the degraded face is CCTV-sized
    cosine = float(enrol[0] @ face_embedder.embed(probe.image, probe.box))
    verdict = face_band(FaceEvidence(cosine, q.size_px, q.value, q.frontal), TracingConfig())
    assert verdict.band in ("review", "match"), verdict.reason


@pytest.mark.models
def test_face_sampling_prefers_the_large_sharp_face(data_dir: Path, face_detector) -> None:
    image = cv2.imread(str(data_dir / "faces/stills/examples/obama.jpg"))
    box = face_detector.detect(image).xyxy[0]
    sharp, small_box = degrade(image, box, level("60px"))
    tiny, tiny_box = degrade(image, box, level("20px"))
    heads = [(1, head_crop(tiny, tiny_box)), (2, head_crop(sharp, small_box)),
             (3, cv2.GaussianBlur(head_crop(sharp, small_box), (0, 0), 3.0))]
    kept = best_faces(heads, face_detector, k=2)
    assert [o.frame for o in kept][0] == 2
    assert len(kept) == 2 and kept[0].quality.value > kept[1].quality.value
    assert kept[0].quality.size_px == pytest.approx(60, abs=12)


@pytest.mark.models
def test_a_photo_without_a_face_is_a_clear_error(data_dir: Path, face_detector, face_embedder,
                                                 tmp_path: Path) -> None:
    _, frame = next(iter_frames(data_dir / "pets2009_s2l1/video/vtest.avi"))
    empty = np.ascontiguousarray(to_bgr(frame)[:140, :240])  # building and grass, nobody there
    assert observe_face(empty, face_detector) is None
    with pytest.raises(NoFaceError, match="no face found"):
        face_embedder.embed_photo(empty, face_detector)
    path = tmp_path / "empty.jpg"
    cv2.imwrite(str(path), empty)
    assert photo_samples([path], face_detector, face_embedder, (level("20px"),)) == {
        ("clean", "empty.jpg"): None, ("20px", "empty.jpg"): None}
    with pytest.raises(ValueError, match="cannot read image"):
        photo_samples([tmp_path / "missing.jpg"], face_detector, face_embedder)
