"""Convert a TF.js graph model (model.json + weights .bin) to ONNX with only `onnx` and numpy.

Why not tf2onnx: it needs TensorFlow at install time, and TF.js graphs carry fused ops
(`_FusedConv2D`, `FusedDepthwiseConv2dNative`) that must be split back first anyway.

Layout: TF.js graphs are NHWC. ONNX convolutions are NCHW, so the input is transposed once and
every 4-D tensor stays NCHW inside; layout-sensitive ops (convolution, pooling, Mean, ConcatV2,
ResizeBilinear, broadcast constants) map their axes, and the requested outputs are transposed
back to NHWC. Only the nodes the requested outputs depend on are converted, so a graph's
post-processing (TopK decode) can be left to numpy by asking only for the raw heads.

Example:
    >>> convert_tfjs_graph(Path("centernet.json"), Path("centernet.bin"),
    ...                    Path("person_centernet.onnx"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from epitrace.models.converters.tfjs_files import attr as _attr
from epitrace.models.converters.tfjs_files import read_weights
from epitrace.models.converters.tfjs_layout_ops import LAYOUT_HANDLERS

logger = logging.getLogger(__name__)

OPSET = 17
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
_ALIASES = {"tower_0/images": "images", "tower_0/keypoints": "keypoints", "tower_0/wh": "wh"}
DEFAULT_OUTPUTS = ("tower_0/keypoints", "tower_0/wh")
Array = npt.NDArray[Any]


def _same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TF SAME padding: total pad split with the odd pixel at the end (bottom/right)."""
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


@dataclass
class _Builder:
    """Accumulates ONNX nodes while tracking the NHWC shape of every converted tensor."""

    consts: dict[str, Array]
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    inits: list[onnx.TensorProto] = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dynamic: bool = False  # H, W free: SAME via auto_pad, resize by scale, not by size
    hw_scale: tuple[float, float] = (1.0, 1.0)  # input size / the graph's own: resize sizes follow
    count: int = 0

    def name(self, hint: str) -> str:
        self.count += 1
        return f"{hint}__{self.count}"

    def const(self, hint: str, value: Array) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def add(self, op: str, inputs: Sequence[str], output: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op, list(inputs), [output], name=output, **attrs))
        return output

    def value(self, ref: str) -> str:
        """ONNX name for a TF input ref; constants become initializers on first use."""
        base = ref.split(":")[0]
        if base in self.consts and base not in self.shapes:
            value = self.consts[base]
            if value.dtype == np.int32:
                value = value.astype(np.int64)
            self.inits.append(numpy_helper.from_array(value, base))
            self.shapes[base] = value.shape
        return base


def _conv(b: _Builder, node: dict[str, Any], depthwise: bool) -> None:
    """Conv2D / DepthwiseConv2dNative and their fused forms (BiasAdd, then an activation)."""
    src = b.value(node["input"][0])
    kernel = b.consts[node["input"][1].split(":")[0]]
    kh, kw, cin, cout = kernel.shape
    n, h, w, c = b.shapes[src]
    strides = _attr(node, "strides", [1, 1, 1, 1])[1:3]
    dilations = _attr(node, "dilations", [1, 1, 1, 1])[1:3]
    if _attr(node, "data_format", "NHWC") != "NHWC":
        raise NotImplementedError(f"{node['name']}: only NHWC graphs are supported")
    if depthwise:  # HWC M -> (C*M, 1, H, W); TF output channel c*M + m is ONNX group c, slot m
        weight = kernel.transpose(2, 3, 0, 1).reshape(cin * cout, 1, kh, kw)
        group, channels = cin, cin * cout
    else:
        weight = kernel.transpose(3, 2, 0, 1)
        group, channels = 1, cout
    padding = _attr(node, "padding", "VALID")
    if padding == "SAME":
        (pt, pb), (pl, pr) = (_same_pads(s, k, st, d) for s, k, st, d in
                              zip((h, w), (kh, kw), strides, dilations, strict=True))
    elif padding == "EXPLICIT":
        flat = _attr(node, "explicit_paddings", [0] * 8)
        pt, pb, pl, pr = flat[2], flat[3], flat[4], flat[5]
    else:
        pt = pb = pl = pr = 0
    inputs = [src, b.const(node["name"] + "/W", weight.astype(np.float32))]
    fused = _attr(node, "fused_ops", []) or []
    if fused and fused[0] == "BiasAdd":
        inputs.append(b.value(node["input"][2]))
        fused = fused[1:]
    out = node["name"]
    conv_out = b.name(out) if fused else out
    pad_attr: dict[str, Any] = {"pads": [pt, pl, pb, pr]}
    if b.dynamic and padding == "SAME":  # ONNX SAME_UPPER = TF SAME at any input size
        pad_attr = {"auto_pad": "SAME_UPPER"}
    b.add("Conv", inputs, conv_out, kernel_shape=[kh, kw], strides=list(strides),
          dilations=list(dilations), group=group, **pad_attr)
    for i, act in enumerate(fused):
        _activation(b, act, conv_out, out if i == len(fused) - 1 else b.name(out), node)
    oh = (h + pt + pb - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (w + pl + pr - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    b.shapes[out] = (n, oh, ow, channels)


def _activation(b: _Builder, act: str, src: str, out: str, node: dict[str, Any]) -> None:
    """The activations TF.js fuses into convolutions, as plain ONNX nodes."""
    if act == "Relu":
        b.add("Relu", [src], out)
    elif act == "Relu6":
        b.add("Clip", [src, b.const("zero", np.array(0, np.float32)), b.const("six", np.array(6, np.float32))], out)
    elif act == "Sigmoid":
        b.add("Sigmoid", [src], out)
    elif act == "LeakyRelu":
        b.add("LeakyRelu", [src], out, alpha=float(_attr(node, "leakyrelu_alpha", 0.2)))
    else:
        raise NotImplementedError(f"{node['name']}: fused activation {act!r}")


def _nchw_const(b: _Builder, ref: str, rank: int) -> str:
    """A constant operand of a broadcast op: permuted when it meets an NCHW 4-D tensor."""
    base = ref.split(":")[0]
    value = b.consts[base]
    if rank != 4 or value.ndim == 0:
        return b.value(ref)
    full = value.reshape((1,) * (4 - value.ndim) + value.shape).transpose(NHWC_TO_NCHW)
    return b.const(base, full.astype(np.int64) if full.dtype == np.int32 else full)


def _elementwise(b: _Builder, node: dict[str, Any], onnx_op: str) -> None:
    """Add / Mul / Sub: broadcasting operands, constants re-laid-out for NCHW."""
    refs = [r.split(":")[0] for r in node["input"]]
    shapes = [b.shapes[r] if r in b.shapes else b.consts[r].shape for r in refs
              if r in b.shapes or r in b.consts]
    shape = tuple(np.broadcast_shapes(*shapes))
    names = [_nchw_const(b, r, len(shape)) if r in b.consts else b.value(r) for r in refs]
    b.add(onnx_op, names, node["name"])
    b.shapes[node["name"]] = shape


def _axes(b: _Builder, src: str, axes: Array) -> list[int]:
    """TF (NHWC) axes as the matching ONNX axes of the tensor as it is held."""
    rank = len(b.shapes[src])
    norm = [int(a) % rank for a in np.atleast_1d(axes)]
    return [NHWC_TO_NCHW.index(a) for a in norm] if rank == 4 else norm


def _mean(b: _Builder, node: dict[str, Any]) -> None:
    src = b.value(node["input"][0])
    tf_axes = np.atleast_1d(b.consts[node["input"][1].split(":")[0]])
    keep = bool(_attr(node, "keep_dims", False))
    if not keep and len(b.shapes[src]) == 4:
        raise NotImplementedError(f"{node['name']}: Mean without keep_dims on a 4-D tensor")
    b.add("ReduceMean", [src], node["name"], axes=_axes(b, src, tf_axes), keepdims=int(keep))
    shape = list(b.shapes[src])
    for a in tf_axes:
        shape[int(a) % len(shape)] = 1
    b.shapes[node["name"]] = tuple(shape)


def _concat(b: _Builder, node: dict[str, Any]) -> None:
    *refs, axis_ref = node["input"]
    srcs = [b.value(r) for r in refs]
    (axis,) = _axes(b, srcs[0], b.consts[axis_ref.split(":")[0]])
    b.add("Concat", srcs, node["name"], axis=axis)
    tf_axis = int(b.consts[axis_ref.split(":")[0]]) % len(b.shapes[srcs[0]])
    shape = list(b.shapes[srcs[0]])
    shape[tf_axis] = sum(b.shapes[s][tf_axis] for s in srcs)
    b.shapes[node["name"]] = tuple(shape)


def _resize(b: _Builder, node: dict[str, Any]) -> None:
    """ResizeBilinear: TF's flags pick ONNX's coordinate transformation."""
    src = b.value(node["input"][0])
    oh, ow = (int(v) for v in b.consts[node["input"][1].split(":")[0]])
    n, _, _, c = b.shapes[src]
    if _attr(node, "align_corners", False):
        mode = "align_corners"
    elif _attr(node, "half_pixel_centers", False):
        mode = "half_pixel"
    else:
        mode = "asymmetric"  # TF1 default: src = dst * in / out, no half-pixel shift
    if b.dynamic:  # TF.js folds `shape * 2` into a constant: keep the ratio, not the size
        scales = b.const("scales", np.array([1, 1, oh / b.shapes[src][1], ow / b.shapes[src][2]],
                                            np.float32))
        resize_in = [src, "", scales]
    else:
        oh, ow = _scaled(oh, b.hw_scale[0], node), _scaled(ow, b.hw_scale[1], node)
        resize_in = [src, "", "", b.const("sizes", np.array([n, c, oh, ow], np.int64))]
    b.add("Resize", resize_in, node["name"], mode="linear", coordinate_transformation_mode=mode)
    b.shapes[node["name"]] = (n, oh, ow, c)


def _scaled(size: int, scale: float, node: dict[str, Any]) -> int:
    """A size constant folded at the graph's input size, at the chosen input size."""
    value = size * scale
    if abs(value - round(value)) > 1e-6:
        raise ValueError(f"{node['name']}: size {size} x {scale:.4f} is not whole; pick an input "
                         "size that is a multiple of the network's stride")
    return round(value)


def _maxpool(b: _Builder, node: dict[str, Any]) -> None:
    src = b.value(node["input"][0])
    n, h, w, c = b.shapes[src]
    kh, kw = _attr(node, "ksize")[1:3]
    sh, sw = _attr(node, "strides")[1:3]
    pads = [0, 0, 0, 0]
    same = _attr(node, "padding") == "SAME"
    if same:
        (pads[0], pads[2]), (pads[1], pads[3]) = _same_pads(h, kh, sh, 1), _same_pads(w, kw, sw, 1)
    pad_attr: dict[str, Any] = {"auto_pad": "SAME_UPPER"} if b.dynamic and same else {"pads": pads}
    b.add("MaxPool", [src], node["name"], kernel_shape=[kh, kw], strides=[sh, sw], **pad_attr)
    b.shapes[node["name"]] = (n, (h + pads[0] + pads[2] - kh) // sh + 1,
                              (w + pads[1] + pads[3] - kw) // sw + 1, c)


def _unary(onnx_op: str) -> Callable[[_Builder, dict[str, Any]], None]:
    def convert(b: _Builder, node: dict[str, Any]) -> None:
        src = b.value(node["input"][0])
        if onnx_op == "Relu6":
            _activation(b, onnx_op, src, node["name"], node)
        else:
            b.add(onnx_op, [src], node["name"])
        b.shapes[node["name"]] = b.shapes[src]

    return convert


HANDLERS: dict[str, Callable[[_Builder, dict[str, Any]], None]] = {
    "Conv2D": lambda b, n: _conv(b, n, depthwise=False),
    "_FusedConv2D": lambda b, n: _conv(b, n, depthwise=False),
    "DepthwiseConv2dNative": lambda b, n: _conv(b, n, depthwise=True),
    "FusedDepthwiseConv2dNative": lambda b, n: _conv(b, n, depthwise=True),
    "Add": lambda b, n: _elementwise(b, n, "Add"),
    "AddV2": lambda b, n: _elementwise(b, n, "Add"),
    "BiasAdd": lambda b, n: _elementwise(b, n, "Add"),
    "Mul": lambda b, n: _elementwise(b, n, "Mul"),
    "Sub": lambda b, n: _elementwise(b, n, "Sub"),
    "Relu": _unary("Relu"),
    "Relu6": _unary("Relu6"),
    "Sigmoid": _unary("Sigmoid"),
    "Identity": _unary("Identity"),
    "Mean": _mean,
    "ConcatV2": _concat,
    "ResizeBilinear": _resize,
    "MaxPool": _maxpool,
    **LAYOUT_HANDLERS,
}


def _public(name: str) -> str:
    """Graph input/output name.

    A short alias, else the TF tensor name (`node:0`), which cannot clash with the node names used
    inside.
    """
    return _ALIASES.get(name, f"{name}:0")


def _needed(nodes: dict[str, dict[str, Any]], outputs: Sequence[str]) -> list[str]:
    """Names of the nodes `outputs` depend on, inputs before users (iterative DFS)."""
    order: list[str] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(o, False) for o in reversed(outputs)]
    while stack:
        name, expanded = stack.pop()
        if expanded:
            order.append(name)
            continue
        if name in seen:
            continue
        seen.add(name)
        stack.append((name, True))
        for ref in nodes[name].get("input", []):
            base = ref.split(":")[0].lstrip("^")
            if base not in seen:
                stack.append((base, False))
    return order


def _spatial_axes(dims: Sequence[int]) -> tuple[int, int]:
    """Height and width axes of a 4-D image input: NHWC unless the channels come first."""
    if dims[3] <= 4:
        return 1, 2
    if dims[1] <= 4:
        return 2, 3
    raise ValueError(f"cannot tell the layout of input shape {list(dims)}")


def build_model(graph: dict[str, Any], weights: dict[str, Array],
                outputs: Sequence[str] = DEFAULT_OUTPUTS, dynamic_hw: bool = True,
                input_hw: tuple[int, int] | None = None) -> onnx.ModelProto:
    """The ONNX model computing `outputs` (in TF.js's layout) from the graph's Placeholder.

    With `dynamic_hw` the 4-D input's height and width are symbolic; shapes are still traced at
    the graph's own size, and a size-dependent op that cannot follow raises at run time. A fixed
    `input_hw` replaces the graph's own input height and width (resize sizes scale with it).
    """
    if input_hw is not None and dynamic_hw:
        raise ValueError("input_hw fixes the input size: use it with dynamic_hw=False")
    nodes = {n["name"]: n for n in graph["modelTopology"]["node"]}
    order = _needed(nodes, outputs)
    missing = sorted({nodes[n]["op"] for n in order} - set(HANDLERS) - {"Const", "Placeholder"})
    if missing:
        raise NotImplementedError(f"TF.js ops without an ONNX mapping: {missing}")
    b = _Builder(consts=weights, dynamic=dynamic_hw)
    inputs: list[onnx.ValueInfoProto] = []
    for name in order:
        node = nodes[name]
        if node["op"] == "Const":
            if name not in weights:
                raise ValueError(f"constant {name!r} is not in the weights manifest")
            continue
        if node["op"] == "Placeholder":
            dims = [int(d["size"]) for d in _attr(node, "shape")["shape"]["dim"]]
            if input_hw is not None and len(dims) == 4:
                ya, xa = _spatial_axes(dims)
                b.hw_scale = (input_hw[0] / dims[ya], input_hw[1] / dims[xa])
                dims[ya], dims[xa] = input_hw
            public = _public(name)
            free: list[int | str] = list(dims)
            if dynamic_hw and len(dims) == 4:
                free[1:3] = ["height", "width"]
            inputs.append(helper.make_tensor_value_info(public, TensorProto.FLOAT, free))
            if len(dims) == 4:
                b.add("Transpose", [public], name, perm=list(NHWC_TO_NCHW))
            else:
                b.add("Identity", [public], name)
            b.shapes[name] = tuple(dims)
            continue
        HANDLERS[node["op"]](b, node)
    outs = []
    for name in outputs:
        public = _public(name)
        shape: list[int | str] = list(b.shapes[name])
        perm = list(NCHW_TO_NHWC) if len(shape) == 4 else list(range(len(shape)))
        if dynamic_hw and len(shape) == 4:
            shape[1:3] = [f"{public}_height", f"{public}_width"]
        b.add("Transpose", [name], public, perm=perm)
        outs.append(helper.make_tensor_value_info(public, TensorProto.FLOAT, shape))
    onnx_graph = helper.make_graph(b.nodes, "tfjs_graph", inputs, outs, initializer=b.inits)
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="epitrace.tfjs_onnx")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def convert_tfjs_graph(graph_json: Path, weights_bin: Path, out: Path,
                       outputs: Sequence[str] = DEFAULT_OUTPUTS, dynamic_hw: bool = True,
                       input_hw: tuple[int, int] | None = None) -> None:
    """Convert a TF.js graph model to ONNX; `out` is written (atomically) only on success.

    Args:
        graph_json: the TF.js `model.json` (modelTopology + weightsManifest).
        weights_bin: the single weights shard the manifest describes.
        out: where the ONNX file goes. CenterNet's input and heads are renamed `images`,
            `keypoints` and `wh`; other graphs' inputs and outputs get TF tensor names (`y:0`).
        outputs: TF node names to expose; default is the CenterNet heads, leaving decoding
            (TopK over all classes) to the caller, which can then decode one class only.
        dynamic_hw: leave the input height and width free (declared at the graph's size,
            512x512 for CenterNet) so a 4:3 frame can run at 384x512 instead of being padded.
            CenterNet needs multiples of 32 so upsampled maps line up with skip connections.
        input_hw: fixed input (height, width) replacing the graph's own (needs dynamic_hw=False).
    """
    graph = json.loads(Path(graph_json).read_text())
    weights = read_weights(graph["weightsManifest"], Path(weights_bin).read_bytes())
    model = build_model(graph, weights, outputs, dynamic_hw, input_hw)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix=".onnx.part")
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    logger.info("converted %s: %d ONNX nodes -> %s", graph_json, len(model.graph.node), out)
