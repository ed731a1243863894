"""TF.js ops of graphs exported through onnx-tf (NanoDet): explicit Transposes, Pad, LeakyRelu.

Why a module of their own: onnx-tf graphs keep tensors NCHW and wrap every NHWC-only op
(Conv2D, MaxPool, ResizeBilinear) in a Transpose pair, and pad with separate Pad/PadV2 nodes.
The converter holds every 4-D TF tensor as `tf.transpose(NHWC_TO_NCHW)` whatever its meaning,
so a TF Transpose becomes the ONNX Transpose that keeps that invariant; onnxruntime's transpose
optimizer then cancels the pairs (see `epitrace.models.converters.nanodet`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from epitrace.models.converters.tfjs_onnx import _Builder

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


def _held_axis(rank: int, tf_axis: int) -> int:
    """The ONNX axis holding TF axis `tf_axis` (4-D tensors are held NHWC->NCHW permuted)."""
    return NHWC_TO_NCHW.index(tf_axis) if rank == 4 else tf_axis


def held_transpose_perm(tf_perm: list[int]) -> list[int]:
    """ONNX perm q with held(T.transpose(p)) = held(T).transpose(q) for 4-D tensors."""
    return [NCHW_TO_NHWC[tf_perm[NHWC_TO_NCHW[i]]] for i in range(4)]


def _const(b: _Builder, ref: str) -> Any:
    return b.consts[ref.split(":")[0]]


def _transpose(b: _Builder, node: dict[str, Any]) -> None:
    src = b.value(node["input"][0])
    perm = [int(p) for p in np.atleast_1d(_const(b, node["input"][1]))]
    shape = b.shapes[src]
    onnx_perm = held_transpose_perm(perm) if len(shape) == 4 else perm
    b.add("Transpose", [src], node["name"], perm=onnx_perm)
    b.shapes[node["name"]] = tuple(shape[p] for p in perm)


def _pad(b: _Builder, node: dict[str, Any]) -> None:
    """Pad / PadV2 (constant mode): TF's (rank, 2) paddings mapped to the held axes."""
    src = b.value(node["input"][0])
    tf_pads = np.asarray(_const(b, node["input"][1]), np.int64).reshape(-1, 2)
    rank = len(b.shapes[src])
    held = np.zeros((rank, 2), np.int64)
    for tf_axis in range(rank):
        held[_held_axis(rank, tf_axis)] = tf_pads[tf_axis]
    inputs = [src, b.const(node["name"] + "/pads", np.concatenate([held[:, 0], held[:, 1]]))]
    if node["op"] == "PadV2":
        value = np.asarray(_const(b, node["input"][2]), np.float32).reshape(())
        inputs.append(b.const(node["name"] + "/value", value))
    b.add("Pad", inputs, node["name"], mode="constant")
    b.shapes[node["name"]] = tuple(s + int(lo + hi) for s, (lo, hi) in zip(b.shapes[src], tf_pads, strict=True))


def _leaky_relu(b: _Builder, node: dict[str, Any]) -> None:
    src = b.value(node["input"][0])
    alpha = float(node.get("attr", {}).get("alpha", {}).get("f", 0.2))
    b.add("LeakyRelu", [src], node["name"], alpha=alpha)
    b.shapes[node["name"]] = b.shapes[src]


LAYOUT_HANDLERS: dict[str, Callable[[_Builder, dict[str, Any]], None]] = {
    "Transpose": _transpose,
    "Pad": _pad,
    "PadV2": _pad,
    "LeakyRelu": _leaky_relu,
}
