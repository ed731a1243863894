"""Read TF.js graph-model files: the weights shard (float16 / affine-quantised) and node attributes."""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import numpy.typing as npt

_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANT = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}

Array = npt.NDArray[Any]


def read_weights(manifest: list[dict[str, Any]], blob: bytes) -> dict[str, Array]:
    """Decode the weights .bin in manifest order; quantized weights come back as float32.

    TF.js stores float16-quantized weights as 2-byte halves and affine uint8/uint16 with
    `scale`/`min`; int64 constants were already narrowed to int32 by the TF.js converter.
    """
    out: dict[str, Array] = {}
    offset = 0
    for group in manifest:
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = math.prod(shape)
            quant = spec.get("quantization")
            dtype = np.dtype(_QUANT[quant["dtype"]] if quant else _DTYPES[spec["dtype"]])
            raw = np.frombuffer(blob, dtype, count, offset)
            offset += count * dtype.itemsize
            if quant and quant["dtype"] != "float16":
                raw = raw * np.float32(quant["scale"]) + np.float32(quant["min"])
            out[spec["name"]] = raw.astype(_DTYPES[spec["dtype"]]).reshape(shape)
    if offset != len(blob):
        raise ValueError(f"weights manifest covers {offset} bytes but the .bin has {len(blob)}")
    return out


def attr(node: dict[str, Any], key: str, default: Any = None) -> Any:
    """One TF.js attribute as a Python value (strings are base64 in the JSON)."""
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "list" in value:
        items = value["list"]
        if "s" in items:
            return [base64.b64decode(s).decode() for s in items["s"]]
        return [int(i) for i in items.get("i", [])]
    if "b" in value:
        return bool(value["b"])
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    return value
