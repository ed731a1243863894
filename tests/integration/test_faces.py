"""Face detection, embedding and verification on real photos (faces/stills, deepface pairs)."""

from __future__ import annotations

import csv
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

from epitrace.evaluation.faces import best_threshold, evaluate_face_pairs, rates_at, read_pairs
from epitrace.vision.face_embed import (
    DEFAULT_MATCH_DISTANCE,
    MultipleFacesError,
    NoFaceError,
)
from epitrace.vision.face_quality import best_faces, sharpness
from epitrace.vision.faces import nms

# --- fast checks: no models -------------------------------------------------------------------


def test_nms_keeps_best_of_overlapping_and_separate_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.6, 0.9, 0.5], np.float32)
    assert nms(boxes, scores, 0.3).tolist() == [1, 2]


def test_multiple_faces_error_lists_boxes() -> None:
    err = MultipleFacesError(np.array([[1, 2, 3, 4], [10, 20, 30, 40]], np.float32))
    assert "2 faces" in str(err) and "[10, 20, 30, 40]" in str(err)
    assert err.boxes.shape == (2, 4)


@pytest.mark.parametrize(
    ("distances", "same", "threshold", "expected"),
    [
        ([0.1, 0.2, 0.5, 0.6], [True, True, False, False], 0.4, (1.0, 0.0, 0.0)),  # separable
        (
            [0.1, 0.45, 0.3, 0.6],
            [True, True, False, False],
            0.4,
            (0.5, 0.5, 0.5),
        ),  # one of each wrong
    ],
)
def test_rates_at(
    distances: list[float], same: list[bool], threshold: float, expected: tuple[float, float, float]
) -> None:
    assert rates_at(np.array(distances), np.array(same), threshold) == pytest.approx(expected)


def test_best_threshold_separates_when_possible() -> None:
    t, acc = best_threshold(np.array([0.1, 0.2, 0.5, 0.6]), np.array([True, True, False, False]))
    assert acc == 1.0 and 0.2 < t < 0.5


def test_read_pairs_master(data_dir: Path) -> None:
    pairs = read_pairs(data_dir / "faces/deepface_pairs/master.csv")
    assert len(pairs) == 300
    assert sum(same for *_, same in pairs) == 38  # "No"/" No" spellings both count as different


def test_sharpness_drops_with_blur(data_dir: Path) -> None:
    gray = cv2.imread(str(data_dir / "faces/stills/examples/obama.jpg"), cv2.IMREAD_GRAYSCALE)
    assert sharpness(cv2.GaussianBlur(gray, (0, 0), 6)) < 0.5 * sharpness(gray)


# --- real models ------------------------------------------------------------------------------


def _stills(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "faces/stills/identities.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.models
def test_detects_one_face_per_portrait_and_two_in_pair(data_dir: Path, face_detector) -> None:
    stills = data_dir / "faces/stills"
    for row in _stills(data_dir):
        image = cv2.imread(str(stills / row["file"]), cv2.IMREAD_UNCHANGED)
        faces = face_detector.detect(image)
        if row["role"] in ("enrol", "probe", "probe_lowres", "probe_partial"):
            assert len(faces) == 1, row["file"]
        elif row["file"].endswith(("two_people.jpg", "kit_with_rose.jpg")):
            assert len(faces) == 2, row["file"]
        assert faces.data["landmarks"].shape == (len(faces), 5, 2)
        assert (faces.xyxy[:, 2] <= image.shape[1]).all() and (
            faces.xyxy[:, 3] <= image.shape[0]
        ).all()


@pytest.mark.models
@pytest.mark.parametrize("face_px", [12, 17, 24])
def test_detects_cctv_sized_face_in_small_head_crop(
    data_dir: Path, face_detector, face_px: int
) -> None:
    image = cv2.imread(str(data_dir / "faces/stills/examples/obama.jpg"))
    (x1, y1, x2, y2) = face_detector.detect(image).xyxy[0]
    scale = face_px / (x2 - x1)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    cx, cy = int((x1 + x2) / 2 * scale), int((y1 + y2) / 2 * scale)
    crop = small[max(cy - 30, 0) : cy + 30, max(cx - 30, 0) : cx + 30]  # ~60x60 head region
    faces = face_detector.detect(crop)
    assert len(faces) == 1
    fx = (faces.xyxy[0, 0] + faces.xyxy[0, 2]) / 2
    assert abs(fx - (cx - max(cx - 30, 0))) < face_px  # found where the face is


@pytest.mark.models
def test_enrol_one_photo_finds_same_person_and_no_one_else(
    data_dir: Path, face_detector, face_embedder
) -> None:
    stills = data_dir / "faces/stills"
    rows = _stills(data_dir)
    enrolled: dict[str, np.ndarray] = {}
    for row in rows:
        if row["role"] == "enrol" and row["identities"] not in enrolled:
            image = cv2.imread(str(stills / row["file"]))
            enrolled[row["identities"]] = face_embedder.embed_photo(image, face_detector)
    names = list(enrolled)
    gallery = np.stack([enrolled[n] for n in names])
    for row in rows:
        if row["role"] not in ("enrol", "probe", "probe_lowres", "probe_partial", "probe_multi"):
            continue
        image = cv2.imread(str(stills / row["file"]))
        faces = face_detector.detect(image)
        matched = set()
        for box in faces.xyxy:
            distance = np.linalg.norm(gallery - face_embedder.embed(image, box), axis=1)
            hits = [names[i] for i in np.flatnonzero(distance <= DEFAULT_MATCH_DISTANCE)]
            assert len(hits) <= 1, (row["file"], hits)
            matched.update(hits)
        assert matched == set(row["identities"].split(";")), row["file"]


@pytest.mark.models
def test_embed_photo_errors(data_dir: Path, face_detector, face_embedder) -> None:
    with pytest.raises(NoFaceError):
        face_embedder.embed_photo(np.full((200, 200, 3), 127, np.uint8), face_detector)
    two = cv2.imread(str(data_dir / "faces/stills/examples/two_people.jpg"))
    with pytest.raises(MultipleFacesError) as info:
        face_embedder.embed_photo(two, face_detector)
    assert info.value.boxes.shape == (2, 4)
    vector = face_embedder.embed(two, info.value.boxes[0])
    assert vector.shape == (128,) and vector.dtype == np.float32
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.models
def test_best_faces_prefer_a_sharp_large_face(data_dir: Path, face_detector) -> None:
    image = cv2.imread(str(data_dir / "faces/stills/examples/obama.jpg"))
    blurred = cv2.GaussianBlur(image, (0, 0), 5)
    tiny = cv2.resize(image, None, fx=0.08, fy=0.08, interpolation=cv2.INTER_AREA)
    blank = np.zeros((64, 64, 3), np.uint8)
    kept = best_faces([(0, blank), (1, blurred), (2, tiny), (3, image)], face_detector, k=3)
    assert kept and kept[0].frame == 3
    assert best_faces([(0, blank)], face_detector, k=3) == []


@pytest.mark.slow
@pytest.mark.models
def test_verification_on_deepface_pairs(data_dir: Path, face_detector, face_embedder) -> None:
    # Measured: accuracy 1.000, FAR 0.000 at 0.40 (best threshold 0.396) on 300 pairs.
    result = evaluate_face_pairs(
        data_dir / "faces/deepface_pairs/master.csv", face_detector, face_embedder
    )
    assert result.skipped == 0
    assert result.accuracy >= 0.95
    assert result.false_accept_rate <= 0.03
    assert result.false_reject_rate <= 0.1
