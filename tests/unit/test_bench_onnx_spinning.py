"""Model sessions let idle threads sleep: spinning ones took the cores ingest needs between runs."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from epitrace.models.runtime import onnx_session


def test_sessions_do_not_spin(tmp_path: Path) -> None:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    options = onnx_session(path, threads=2).get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.intra_op_num_threads == 2
