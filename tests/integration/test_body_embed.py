"""Body embeddings and re-identification on PETS 2009 person crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_vision import (  # noqa: F401 (pytest fixtures)
    body_embedder_fixture,
    data_dir_fixture,
    require_model,
    vision_models_fixture,
)

from epitrace.evaluation.camera_shift import SHIFTS, apply_shift
from epitrace.evaluation.reid import evaluate_reid, load_crops, rank_metrics, track_rank1
from epitrace.vision.body_embed import (
    COLOUR_DIM,
    BodyEmbedder,
    _to_input,
    camera_invariant_features,
    colour_features,
    normalise_crop,
)

# --- fast checks: no models -------------------------------------------------------------------


def test_rank_metrics_on_toy_ranking() -> None:
    gallery = np.eye(3, dtype=np.float32)
    gallery_ids = np.array(["a", "b", "a"])
    query = np.array([[1, 0, 0], [0.9, 0.1, 0]], np.float32)
    rank1, mean_ap = rank_metrics(query, np.array(["a", "b"]), gallery, gallery_ids)
    assert rank1 == 0.5  # the second query ranks an "a" first
    # AP of query 1: hits at ranks 1 and 3 (by stable order) -> (1 + 2/3) / 2; query 2: hit at 2.
    assert mean_ap == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)


def test_colour_features_tell_shirt_colours_apart() -> None:
    red = np.zeros((60, 20, 3), np.uint8)
    red[:] = (40, 40, 40)
    red[12:33] = (0, 0, 200)  # torso stripe, BGR red
    blue = red.copy()
    blue[12:33] = (200, 0, 0)
    fr, fb = colour_features(red), colour_features(blue)
    assert fr.shape == (COLOUR_DIM,) and np.linalg.norm(fr) == pytest.approx(1.0, abs=1e-5)
    assert float(fr @ colour_features(red.copy())) == pytest.approx(1.0, abs=1e-5)
    assert float(fr @ fb) < 0.8
    assert not np.any(colour_features(np.zeros((2, 2, 3), np.uint8)))  # degenerate crop


def test_camera_shifts_keep_shape_and_change_pixels() -> None:
    crop = np.random.default_rng(0).integers(0, 256, (60, 20, 3), dtype=np.uint8)
    for name in SHIFTS:
        (out,) = apply_shift(name, [crop])
        assert out.shape == crop.shape and out.dtype == np.uint8
        assert (name == "none") == np.array_equal(out, crop)
    with pytest.raises(ValueError, match="unknown camera shift"):
        apply_shift("fisheye", [crop])


def test_normalise_crop_cancels_channel_gains() -> None:
    crop = np.random.default_rng(1).integers(30, 200, (60, 20, 3), dtype=np.uint8)
    out = normalise_crop(crop)
    assert out.shape == (64, 32, 3)
    gained = np.clip(crop.astype(np.float32) * (0.7, 1.0, 1.2), 0, 255).astype(np.uint8)
    assert np.abs(normalise_crop(gained).astype(int) - out.astype(int)).mean() < 6
    assert normalise_crop(np.zeros((2, 2, 3), np.uint8)).shape == (2, 2, 3)  # degenerate: untouched


def test_track_rank1_averages_each_identity() -> None:
    gallery = np.array([[1, 0], [0.8, 0.6], [0, 1]], np.float32)  # "a" at 0 and 90 deg, "b" at 37
    ids = np.array(["a", "b", "a"])
    query = np.array([[0.7071, 0.7071]], np.float32)  # nearest single vector: "b"; nearest mean: "a"
    assert rank_metrics(query, np.array(["a"]), gallery, ids)[0] == 0.0
    assert track_rank1(query, np.array(["a"]), gallery, ids) == 1.0


def test_load_crops_identities(data_dir: Path) -> None:
    crops, ids = load_crops(data_dir / "reid/pets09_s2l1_crops/query")
    assert len(crops) == 45 and len(set(ids.tolist())) == 9


# --- real models ------------------------------------------------------------------------------


@pytest.mark.models
def test_embed_boxes_shape_norm_and_clipping(data_dir: Path, body_embedder) -> None:
    capture = cv2.VideoCapture(str(data_dir / "pets2009_s2l1/video/vtest.avi"))
    ok, frame = capture.read()
    capture.release()
    assert ok
    boxes = np.array([[100, 100, 130, 180], [-20, -5, 30, 90], [740, 520, 900, 700]], np.float32)
    vectors = body_embedder.embed(frame, boxes)
    assert vectors.shape == (3, COLOUR_DIM) == (3, body_embedder.dim) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert body_embedder.embed(frame, np.empty((0, 4))).shape == (0, body_embedder.dim)
    crop = frame[100:180, 100:130]
    assert np.allclose(body_embedder.embed_crops([crop])[0], vectors[0], atol=1e-5)


@pytest.mark.models
def test_onnx_matches_torch_on_real_crops(data_dir: Path, vision_models) -> None:
    torch = pytest.importorskip("torch")
    from epitrace.models import default_manifest
    from epitrace.models.converters.body_mobilenet import _Normalised, build_mobilenetv2_bottle
    from epitrace.models.fetch import fetch_sources

    cache = Path.home() / ".epitrace" / "cache"
    try:
        pt = fetch_sources(default_manifest()["body_mobilenetv2"], cache)["pt"]
    except Exception as exc:  # offline
        pytest.skip(f"source weights unavailable: {exc}")
    net = build_mobilenetv2_bottle()
    net.load_state_dict(torch.load(str(pt), map_location="cpu", weights_only=True))
    model = _Normalised.wrap(net.eval())
    embedder = BodyEmbedder(require_model(vision_models, "body_mobilenetv2"), cnn_weight=1.0)
    crops, _ = load_crops(data_dir / "reid/pets09_s2l1_crops/query")

    blob = np.stack([_to_input(c) for c in crops[:4]])
    with torch.no_grad():
        expected = model(torch.from_numpy(blob)).numpy()
    got = embedder._session.run(None, {"image": blob})[0]
    assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_cnn_needs_a_model() -> None:
    with pytest.raises(ValueError, match="model_path"):
        BodyEmbedder(None, cnn_weight=0.5)
    embedder = BodyEmbedder()
    assert embedder.dim == COLOUR_DIM
    with pytest.raises(ValueError, match="no CNN"):
        embedder.cnn_features([np.zeros((60, 20, 3), np.uint8)])


def test_normalised_colour_ignores_white_balance_and_exposure(data_dir: Path) -> None:
    crops, _ = load_crops(data_dir / "reid/pets09_s2l1_crops/query")
    for crop in crops[:10]:
        for shift in ("white_balance", "exposure"):
            shifted = SHIFTS[shift](crop)
            assert float(camera_invariant_features(crop) @ camera_invariant_features(shifted)) > 0.8
    # the raw histogram does not survive the warmer white balance on the same crops
    raw = [float(colour_features(c) @ colour_features(SHIFTS["white_balance"](c))) for c in crops[:10]]
    assert np.median(raw) < 0.8


@pytest.mark.parametrize("shift", list(SHIFTS))
def test_reid_under_camera_shifts(data_dir: Path, shift: str) -> None:
    """The default (576-d normalised colour) vector within 0.10 of the v1 vector's unshifted 0.756.

    Measured rank-1 / mAP: none 0.644 / 0.588, white_balance 0.689 / 0.597, exposure 0.689 / 0.565,
    blur 0.689 / 0.589, resolution 0.689 / 0.579, combined 0.667 / 0.574 (v1 combined: 0.378 / 0.376).
    """
    result = evaluate_reid(data_dir / "reid/pets09_s2l1_crops", BodyEmbedder().embed_crops, shift=shift)
    assert (result.queries, result.gallery) == (45, 41)
    assert result.rank1 >= 0.62
    assert result.mean_ap >= 0.55


@pytest.mark.slow
@pytest.mark.models
@pytest.mark.parametrize(
    ("cnn_weight", "normalise", "shift", "min_rank1", "max_rank1"),
    [
        (1.0, True, "none", 0.30, 0.50),  # CNN only; measured rank-1 0.400, mAP 0.460
        (0.5, False, "none", 0.70, 1.00),  # the v1 vector; measured 0.756, 0.656
        (0.5, False, "white_balance", 0.0, 0.55),  # v1 breaks under another camera; measured 0.422
        (0.5, True, "combined", 0.62, 1.00),  # normalised colour + CNN; measured 0.689
    ],
)
def test_reid_on_pets_crops(
    data_dir: Path, vision_models, cnn_weight: float, normalise: bool, shift: str, min_rank1: float,
    max_rank1: float,
) -> None:
    embedder = BodyEmbedder(require_model(vision_models, "body_mobilenetv2"), cnn_weight=cnn_weight,
                            normalise=normalise)
    result = evaluate_reid(data_dir / "reid/pets09_s2l1_crops", embedder.embed_crops, shift=shift)
    assert (result.queries, result.gallery) == (45, 41)
    assert min_rank1 <= result.rank1 <= max_rank1
