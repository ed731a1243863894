"""Trim a detector's class heatmap to the classes EpiTrace uses (persons).

CenterNet's last classification layer is a 1x1 convolution from 128 to 80 COCO channels at a
quarter of the input resolution: at 640x480 that is ~200 M multiply-adds per frame, most of the
model's head, spent on 79 classes nobody reads. Keeping only the person channel gives the same
person scores (the other channels never feed it) for a fraction of the work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import onnx
from onnx import numpy_helper

logger = logging.getLogger(__name__)
PASS_THROUGH = {"Transpose", "Identity", "Sigmoid"}


def keep_output_channels(model: onnx.ModelProto, output: str, channels: Sequence[int]) -> onnx.ModelProto:
    """Slice the convolution feeding `output` (through Transpose/Identity/Sigmoid) to `channels`.

    The output's last (NHWC channel) dimension becomes len(channels), in the order given.
    """
    g = model.graph
    producers = {o: n for n in g.node for o in n.output}
    inits = {i.name: i for i in g.initializer}
    node = producers.get(output)
    while node is not None and node.op_type in PASS_THROUGH:
        node = producers.get(node.input[0])
    if node is None or node.op_type != "Conv":
        raise ValueError(f"no convolution found behind output {output!r}")
    for name in node.input[1:3]:
        tensor = inits[name]
        sliced = numpy_helper.to_array(tensor)[list(channels)]
        tensor.CopyFrom(numpy_helper.from_array(sliced, name))
    for value in g.output:
        if value.name == output:
            value.type.tensor_type.shape.dim[-1].dim_value = len(channels)
    logger.info("kept channels %s of %s", list(channels), output)
    return model
