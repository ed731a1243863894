"""The production re-ID path: an ONNX network installed by URL + sha256, then embedding crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from epitrace.evaluation.reid import load_crops
from epitrace.models.fetch import ChecksumError, sha256_of
from epitrace.models.install import install_model
from epitrace.models.manifest import REID_MODEL_NAME, default_manifest, reid_url_spec
from epitrace.vision.reid_onnx import OnnxReidEmbedder

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _tiny_reid_onnx(path: Path, dim: int = 16) -> Path:
    """A stand-in network: 4x2 average pooling, flatten, a fixed random projection to `dim`."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(0).normal(size=(3 * 4 * 2, dim)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[64, 64], strides=[64, 64]),
         helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
         helper.make_node("MatMul", ["flat", "w"], ["features"])],
        "tiny_reid",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, 256, 128])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["n", dim])],
        [numpy_helper.from_array(weights, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def test_reid_model_installs_by_url_and_embeds_real_crops(tmp_path: Path) -> None:
    source = _tiny_reid_onnx(tmp_path / "osnet_stand_in.onnx")
    spec = reid_url_spec(source.as_uri(), sha256_of(source))
    assert REID_MODEL_NAME not in default_manifest()  # not enabled by default
    installed = install_model(spec, tmp_path / "models", tmp_path / "cache")
    assert installed.name == "body_reid.onnx" and sha256_of(installed) == sha256_of(source)

    embedder = OnnxReidEmbedder(installed, threads=1)
    crops, ids = load_crops(DATA / "reid/pets09_s2l1_crops/query")
    vectors = embedder.embed_crops(crops[:6])
    assert vectors.shape == (6, 16) == (6, embedder.dim)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_crops([]).shape == (0, 16)
    assert not np.allclose(vectors[0], vectors[5])  # different people, different vectors


def test_reid_model_with_wrong_checksum_is_refused(tmp_path: Path) -> None:
    source = _tiny_reid_onnx(tmp_path / "osnet_stand_in.onnx")
    spec = reid_url_spec(source.as_uri(), "0" * 64)
    with pytest.raises(ChecksumError):
        install_model(spec, tmp_path / "models", tmp_path / "cache")
    assert not (tmp_path / "models" / "body_reid.onnx").exists()


def test_reid_url_must_be_a_url() -> None:
    with pytest.raises(ValueError, match="http"):
        reid_url_spec("/tmp/osnet.onnx", "0" * 64)
