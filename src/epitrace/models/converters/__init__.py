"""Converters turn fetched source files into the file the runtime loads (ONNX where possible).

Each converter is `fn(sources: dict[str, Path], out: Path) -> None` and must write `out` only
when it succeeds. Heavy converter dependencies (torch) are imported inside the converter.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

Converter = Callable[[dict[str, Path], Path], None]


def _copy(sources: dict[str, Path], out: Path) -> None:
    (only,) = sources.values()
    shutil.copyfile(only, out)


def _tfjs(sources: dict[str, Path], out: Path) -> None:
    import onnx

    from epitrace.models.converters.heads import keep_output_channels
    from epitrace.models.converters.tfjs_onnx import convert_tfjs_graph

    convert_tfjs_graph(sources["graph"], sources["weights"], out)
    # Persons are COCO class 0: keep only that heatmap channel (same scores, less work).
    onnx.save(keep_output_channels(onnx.load(out), "keypoints", [0]), out)


def _nanodet(sources: dict[str, Path], out: Path) -> None:
    from epitrace.models.converters.nanodet import build_nanodet_int8, calibration_images

    build_nanodet_int8(sources["graph"], sources["weights"], out, calibration_images())


def _mobilenet(sources: dict[str, Path], out: Path) -> None:
    from epitrace.models.converters.body_mobilenet import convert_mobilenetv2

    convert_mobilenetv2(sources["pt"], out)


def _mask(sources: dict[str, Path], out: Path) -> None:
    from epitrace.models.converters.keras_mask import convert_mask_model

    convert_mask_model(sources["h5"], out)


CONVERTERS: dict[str, Converter] = {
    "copy": _copy,
    "tfjs_graph_to_onnx": _tfjs,
    "tfjs_nanodet_int8": _nanodet,
    "torch_mobilenetv2_to_onnx": _mobilenet,
    "keras_mask_to_onnx": _mask,
}


def get_converter(name: str) -> Converter:
    """The converter called `name`; unknown names fail loudly."""
    try:
        return CONVERTERS[name]
    except KeyError as exc:
        raise KeyError(f"unknown converter {name!r}; known: {sorted(CONVERTERS)}") from exc
