"""Model sessions let idle threads sleep: spinning ones took the cores ingest needs between runs."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from epitrace.models.runtime import onnx_session


def _relu(tmp_path: Path) -> Path:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_sessions_do_not_spin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPITRACE_ORT_SPINNING", raising=False)
    options = onnx_session(_relu(tmp_path), threads=2).get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert options.intra_op_num_threads == 2


def test_a_dedicated_host_may_bring_spinning_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPITRACE_ORT_SPINNING", "1")
    options = onnx_session(_relu(tmp_path), threads=2).get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
