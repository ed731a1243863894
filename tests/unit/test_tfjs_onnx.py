"""The TF.js -> ONNX converter on tiny synthetic graphs, checked against torch / numpy."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest

from epitrace.models.converters.tfjs_onnx import _same_pads, convert_tfjs_graph, read_weights

ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(0)


def _s(text: str) -> dict[str, str]:
    return {"s": base64.b64encode(text.encode()).decode()}


def _ints(*values: int) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


def _placeholder(shape: tuple[int, ...]) -> dict[str, Any]:
    dims = [{"size": str(d)} for d in shape]
    return {"name": "x", "op": "Placeholder", "attr": {"shape": {"shape": {"dim": dims}}}}


def _conv_node(name: str, op: str, inputs: list[str], stride: int, padding: str,
               fused: tuple[str, ...] = ()) -> dict[str, Any]:
    attr: dict[str, Any] = {"strides": _ints(1, stride, stride, 1), "padding": _s(padding),
                            "data_format": _s("NHWC"), "dilations": _ints(1, 1, 1, 1)}
    if fused:
        attr["fused_ops"] = {"list": {"s": [_s(f)["s"] for f in fused]}}
    return {"name": name, "op": op, "input": inputs, "attr": attr}


def _write(tmp_path: Path, nodes: list[dict[str, Any]], weights: dict[str, np.ndarray],
           half: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """A TF.js model.json + .bin; weights named in `half` are stored float16-quantized."""
    specs, blobs = [], []
    for name, value in weights.items():
        spec: dict[str, Any] = {"name": name, "shape": list(value.shape),
                                "dtype": "int32" if value.dtype.kind == "i" else "float32"}
        if name in half:
            spec["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
            blobs.append(value.astype(np.float16).tobytes())
        else:
            blobs.append(value.astype(np.dtype(spec["dtype"])).tobytes())
        specs.append(spec)
        nodes = nodes + [{"name": name, "op": "Const", "attr": {}}]
    graph = {"format": "graph-model", "modelTopology": {"node": nodes},
             "weightsManifest": [{"paths": ["w.bin"], "weights": specs}]}
    (tmp_path / "model.json").write_text(json.dumps(graph))
    (tmp_path / "w.bin").write_bytes(b"".join(blobs))
    return tmp_path / "model.json", tmp_path / "w.bin"


def _run(tmp_path: Path, nodes: list[dict[str, Any]], weights: dict[str, np.ndarray],
         x: np.ndarray, output: str, half: tuple[str, ...] = (), dynamic: bool = True
         ) -> np.ndarray:
    graph, blob = _write(tmp_path, nodes, weights, half)
    out = tmp_path / "m.onnx"
    convert_tfjs_graph(graph, blob, out, outputs=[output], dynamic_hw=dynamic)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return np.asarray(session.run(None, {name: x})[0])


def _nchw(x: np.ndarray) -> Any:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def _nhwc(t: Any) -> np.ndarray:
    return np.asarray(t.numpy().transpose(0, 2, 3, 1))


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "expected"),
    [
        (8, 3, 1, (1, 1)),  # stride 1, odd kernel: symmetric
        (8, 3, 2, (0, 1)),  # even size, stride 2: TF puts the odd pixel at the end
        (7, 3, 2, (1, 1)),  # odd size, stride 2: symmetric again
        (512, 3, 2, (0, 1)),  # the CenterNet stem
        (6, 5, 2, (1, 2)),
        (4, 1, 2, (0, 0)),  # 1x1 stride 2: no padding
    ],
)
def test_same_pads_match_tensorflow(size: int, kernel: int, stride: int,
                                    expected: tuple[int, int]) -> None:
    assert _same_pads(size, kernel, stride, 1) == expected


@pytest.mark.parametrize("dynamic", [True, False])  # auto_pad SAME_UPPER / explicit pads
@pytest.mark.parametrize(("hw", "stride", "padding"),
                         [((8, 6), 2, "SAME"), ((7, 9), 2, "SAME"), ((8, 8), 1, "SAME"),
                          ((9, 9), 2, "VALID")])
def test_fused_conv_matches_torch(tmp_path: Path, hw: tuple[int, int], stride: int,
                                  padding: str, dynamic: bool) -> None:
    h, w = hw
    x = RNG.normal(size=(1, h, w, 3)).astype(np.float32)
    kernel = RNG.normal(size=(3, 3, 3, 5)).astype(np.float32)
    bias = RNG.normal(size=5).astype(np.float32)
    nodes = [_placeholder(x.shape),
             _conv_node("y", "_FusedConv2D", ["x", "k", "b"], stride, padding,
                        ("BiasAdd", "Relu"))]
    got = _run(tmp_path, nodes, {"k": kernel, "b": bias}, x, "y", dynamic=dynamic)
    xt = _nchw(x)
    if padding == "SAME":
        (pt, pb), (pl, pr) = _same_pads(h, 3, stride, 1), _same_pads(w, 3, stride, 1)
        xt = F.pad(xt, (pl, pr, pt, pb))
    ref = F.relu(F.conv2d(xt, torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()),
                          torch.from_numpy(bias), stride=stride))
    assert got.shape == _nhwc(ref).shape
    np.testing.assert_allclose(got, _nhwc(ref), atol=1e-4)


def test_depthwise_multiplier_and_float16_weights(tmp_path: Path) -> None:
    x = RNG.normal(size=(1, 10, 10, 4)).astype(np.float32)
    kernel = RNG.normal(size=(3, 3, 4, 2)).astype(np.float32)  # channel multiplier 2
    bias = RNG.normal(size=8).astype(np.float32)
    nodes = [_placeholder(x.shape),
             _conv_node("y", "FusedDepthwiseConv2dNative", ["x", "k", "b"], 2, "SAME",
                        ("BiasAdd",))]
    got = _run(tmp_path, nodes, {"k": kernel, "b": bias}, x, "y", half=("k", "b"))
    k16 = kernel.astype(np.float16).astype(np.float32)
    weight = torch.from_numpy(k16.transpose(2, 3, 0, 1).reshape(8, 1, 3, 3).copy())
    ref = F.conv2d(F.pad(_nchw(x), (0, 1, 0, 1)), weight,
                   torch.from_numpy(bias.astype(np.float16).astype(np.float32)), stride=2,
                   groups=4)
    np.testing.assert_allclose(got, _nhwc(ref), atol=1e-4)


def _tf_resize_reference(x: np.ndarray, out: int, align: bool, half: bool) -> np.ndarray:
    """TF ResizeBilinear along H and W of an NHWC array, written out from TF's formulas."""
    def axis(n_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = (n_in - 1) / (out - 1) if align else n_in / out
        pos = np.arange(out) * scale
        if half:
            pos = (np.arange(out) + 0.5) * scale - 0.5
        pos = pos.clip(0, n_in - 1)
        lo = np.floor(pos).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), pos - lo

    (y0, y1, fy), (x0, x1, fx) = axis(x.shape[1]), axis(x.shape[2])
    rows = x[:, y0] * (1 - fy)[None, :, None, None] + x[:, y1] * fy[None, :, None, None]
    return rows[:, :, x0] * (1 - fx)[None, None, :, None] + rows[:, :, x1] * fx[None, None, :, None]


@pytest.mark.parametrize("dynamic", [True, False])  # Resize by scales / by sizes
@pytest.mark.parametrize(("align", "half"), [(False, False), (True, False), (False, True)])
def test_resize_bilinear_modes(tmp_path: Path, align: bool, half: bool, dynamic: bool) -> None:
    x = RNG.normal(size=(1, 4, 4, 3)).astype(np.float32)
    node = {"name": "y", "op": "ResizeBilinear", "input": ["x", "size"],
            "attr": {"align_corners": {"b": align}, "half_pixel_centers": {"b": half}}}
    got = _run(tmp_path, [_placeholder(x.shape), node],
               {"size": np.array([8, 8], np.int32)}, x, "y", dynamic=dynamic)
    np.testing.assert_allclose(got, _tf_resize_reference(x, 8, align, half), atol=1e-5)


def test_squeeze_excite_style_ops(tmp_path: Path) -> None:
    """Mean(keep_dims) over H,W, per-channel Mul, Add, Relu6, Concat on the channel axis."""
    x = RNG.normal(size=(1, 6, 5, 4)).astype(np.float32) * 4
    scale = RNG.normal(size=4).astype(np.float32)
    attr_keep = {"keep_dims": {"b": True}}
    nodes = [
        _placeholder(x.shape),
        {"name": "m", "op": "Mean", "input": ["x", "axes"], "attr": attr_keep},
        {"name": "s", "op": "Mul", "input": ["x", "scale"], "attr": {}},
        {"name": "a", "op": "Add", "input": ["s", "m"], "attr": {}},
        {"name": "r", "op": "Relu6", "input": ["a"], "attr": {}},
        {"name": "c", "op": "ConcatV2", "input": ["r", "x", "axis"], "attr": {}},
        {"name": "p", "op": "MaxPool", "input": ["c"],
         "attr": {"ksize": _ints(1, 3, 3, 1), "strides": _ints(1, 1, 1, 1),
                  "padding": _s("SAME")}},
    ]
    weights = {"axes": np.array([1, 2], np.int32), "scale": scale,
               "axis": np.array(3, np.int32)}
    got = _run(tmp_path, nodes, weights, x, "p")
    r = np.clip(x * scale + x.mean(axis=(1, 2), keepdims=True), 0, 6)
    c = np.concatenate([r, x], axis=3)
    ref = _nhwc(F.max_pool2d(F.pad(_nchw(c), (1, 1, 1, 1), value=-np.inf), 3, 1))
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_read_weights_rejects_short_manifest() -> None:
    manifest = [{"weights": [{"name": "a", "shape": [2], "dtype": "float32"}]}]
    assert read_weights(manifest, np.ones(2, np.float32).tobytes())["a"].tolist() == [1, 1]
    with pytest.raises(ValueError, match="covers 8 bytes"):
        read_weights(manifest, np.ones(3, np.float32).tobytes())


def test_unsupported_op_fails_without_writing(tmp_path: Path) -> None:
    nodes = [_placeholder((1, 4)), {"name": "y", "op": "Softplus", "input": ["x"], "attr": {}}]
    graph, blob = _write(tmp_path, nodes, {})
    out = tmp_path / "m.onnx"
    with pytest.raises(NotImplementedError, match="Softplus"):
        convert_tfjs_graph(graph, blob, out, outputs=["y"])
    assert not out.exists()
    assert list(tmp_path.glob("*.part")) == []


@pytest.mark.parametrize(("dynamic", "dims"), [(False, [1, 4, 4, 3]),
                                               (True, [1, "height", "width", 3])])
def test_output_is_a_valid_model_with_named_io(tmp_path: Path, dynamic: bool,
                                               dims: list[int | str]) -> None:
    x = np.zeros((1, 4, 4, 3), np.float32)
    nodes = [_placeholder(x.shape), {"name": "y", "op": "Relu", "input": ["x"], "attr": {}}]
    graph, blob = _write(tmp_path, nodes, {})
    convert_tfjs_graph(graph, blob, tmp_path / "m.onnx", outputs=["y"], dynamic_hw=dynamic)
    model = onnx.load(str(tmp_path / "m.onnx"))
    assert [o.name for o in model.graph.output] == ["y:0"]
    got = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert got == dims


def test_dynamic_model_runs_at_other_sizes(tmp_path: Path) -> None:
    """A stride-2 SAME conv then a 2x upsample, declared 8x8, run at 6x10 (asymmetric pads)."""
    kernel = RNG.normal(size=(3, 3, 2, 2)).astype(np.float32)
    nodes = [_placeholder((1, 8, 8, 2)), _conv_node("c", "Conv2D", ["x", "k"], 2, "SAME"),
             {"name": "y", "op": "ResizeBilinear", "input": ["c", "size"],
              "attr": {"align_corners": {"b": False}, "half_pixel_centers": {"b": False}}}]
    weights = {"k": kernel, "size": np.array([8, 8], np.int32)}
    x = RNG.normal(size=(1, 6, 10, 2)).astype(np.float32)
    got = _run(tmp_path, nodes, weights, x, "y")
    conv = F.conv2d(F.pad(_nchw(x), (0, 1, 0, 1)),
                    torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()), stride=2)
    assert got.shape == (1, 6, 10, 2)  # the 2x upsample follows the input, not the 8x8 const
    np.testing.assert_allclose(got[:, ::2, ::2], _nhwc(conv), atol=1e-4)  # asymmetric: exact


def test_onnx_tf_style_nchw_graph(tmp_path: Path) -> None:
    """NanoDet's shape: NCHW input, Pad + Transpose around a VALID Conv2D, LeakyRelu, PadV2(-inf)
    before a VALID MaxPool, NCHW output."""
    x = RNG.normal(size=(1, 3, 6, 8)).astype(np.float32)
    kernel = RNG.normal(size=(3, 3, 3, 4)).astype(np.float32)
    bias = RNG.normal(size=4).astype(np.float32)
    pads = np.array([[0, 0], [0, 0], [1, 1], [1, 1]], np.int32)

    def t(name: str, src: str, perm: str) -> dict[str, Any]:
        return {"name": name, "op": "Transpose", "input": [src, perm], "attr": {}}

    nodes = [
        _placeholder(x.shape),
        {"name": "p", "op": "Pad", "input": ["x", "pads"], "attr": {}},
        t("t1", "p", "to_nhwc"),
        _conv_node("c", "Conv2D", ["t1", "k"], 1, "VALID"),
        {"name": "a", "op": "Add", "input": ["c", "b"], "attr": {}},
        t("t2", "a", "to_nchw"),
        {"name": "l", "op": "LeakyRelu", "input": ["t2"], "attr": {"alpha": {"f": 0.1}}},
        {"name": "p2", "op": "PadV2", "input": ["l", "pads", "minus_inf"], "attr": {}},
        t("t3", "p2", "to_nhwc"),
        {"name": "m", "op": "MaxPool", "input": ["t3"],
         "attr": {"ksize": _ints(1, 3, 3, 1), "strides": _ints(1, 2, 2, 1), "padding": _s("VALID")}},
        t("y", "m", "to_nchw"),
    ]
    weights = {"pads": pads, "k": kernel, "b": bias, "minus_inf": np.array(-np.inf, np.float32),
               "to_nhwc": np.array([0, 2, 3, 1], np.int32), "to_nchw": np.array([0, 3, 1, 2], np.int32)}
    got = _run(tmp_path, nodes, weights, x, "y", dynamic=False)
    conv = F.conv2d(F.pad(torch.from_numpy(x), (1, 1, 1, 1)),
                    torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy()), torch.from_numpy(bias))
    ref = F.max_pool2d(F.pad(F.leaky_relu(conv, 0.1), (1, 1, 1, 1), value=-np.inf), 3, 2)
    assert got.shape == (1, 4, 3, 4)
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-4)


def test_fixed_input_size_rescales_resize_constants(tmp_path: Path) -> None:
    """A graph declared at 4x4 resizing to a folded 6x6, built for a 6x6 input, resizes to 9x9."""
    node = {"name": "y", "op": "ResizeBilinear", "input": ["x", "size"],
            "attr": {"align_corners": {"b": False}, "half_pixel_centers": {"b": True}}}
    graph, blob = _write(tmp_path, [_placeholder((1, 4, 4, 3)), node], {"size": np.array([6, 6], np.int32)})
    out = tmp_path / "m.onnx"
    convert_tfjs_graph(graph, blob, out, outputs=["y"], dynamic_hw=False, input_hw=(6, 6))
    x = RNG.normal(size=(1, 6, 6, 3)).astype(np.float32)
    got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"x:0": x})[0]
    np.testing.assert_allclose(got, _tf_resize_reference(x, 9, False, True), atol=1e-5)
    with pytest.raises(ValueError, match="not whole"):
        convert_tfjs_graph(graph, blob, out, outputs=["y"], dynamic_hw=False, input_hw=(5, 6))
    with pytest.raises(ValueError, match="dynamic_hw=False"):
        convert_tfjs_graph(graph, blob, out, outputs=["y"], input_hw=(6, 6))
