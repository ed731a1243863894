"""Model sessions spin as onnxruntime does, unless the `ort_spinning` setting lets idle threads sleep."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from epitrace.config import get_settings
from epitrace.models.runtime import onnx_session

SPINNING = "session.intra_op.allow_spinning"


def _relu(tmp_path: Path) -> Path:
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "relu",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    path = tmp_path / "relu.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_sessions_spin_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EPITRACE_ORT_SPINNING", raising=False)
    get_settings.cache_clear()
    options = onnx_session(_relu(tmp_path), threads=2).get_session_options()
    assert options.get_session_config_entry(SPINNING) == "1"
    assert options.intra_op_num_threads == 2


@pytest.mark.parametrize("value", ["0", "false"])
def test_the_setting_lets_idle_threads_sleep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("EPITRACE_ORT_SPINNING", value)  # Settings.ort_spinning, read through get_settings()
    get_settings.cache_clear()
    assert get_settings().ort_spinning is False
    options = onnx_session(_relu(tmp_path), threads=2).get_session_options()
    assert options.get_session_config_entry(SPINNING) == "0"


@pytest.mark.parametrize("spinning", [True, False])
def test_an_explicit_argument_wins_over_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    spinning: bool) -> None:
    monkeypatch.setenv("EPITRACE_ORT_SPINNING", "0" if spinning else "1")
    get_settings.cache_clear()
    options = onnx_session(_relu(tmp_path), threads=1, spinning=spinning).get_session_options()
    assert options.get_session_config_entry(SPINNING) == ("1" if spinning else "0")


def test_a_bad_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before it was a setting, anything but '0' (even 'false') silently meant spinning."""
    from pydantic import ValidationError

    monkeypatch.setenv("EPITRACE_ORT_SPINNING", "sometimes")
    get_settings.cache_clear()
    with pytest.raises(ValidationError):
        get_settings()


def test_the_mask_extractor_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mask head's MobileNetV2 session is built from bytes, not a path: it once ignored the setting."""
    from epitrace.vision.masks import MaskFeatureExtractor

    path = get_settings().models_dir / "body_mobilenetv2.onnx"
    if not path.exists():
        pytest.skip("body_mobilenetv2 not installed (epitrace models install)")
    monkeypatch.setenv("EPITRACE_ORT_SPINNING", "0")
    get_settings.cache_clear()
    session = MaskFeatureExtractor(path, threads=1)._session
    assert session.get_session_options().get_session_config_entry(SPINNING) == "0"
