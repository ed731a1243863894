"""Load installed models: onnxruntime sessions with a fixed thread count."""

from __future__ import annotations

from pathlib import Path

from epitrace.config import get_settings
from epitrace.models.manifest import default_manifest


class ModelNotInstalledError(FileNotFoundError):
    """The model file is missing: the message says how to install it."""


def model_path(name: str, models_dir: Path) -> Path:
    """Path of the installed file of model `name`."""
    spec = default_manifest()[name]
    path = models_dir / spec.output
    if not path.exists():
        raise ModelNotInstalledError(
            f"model {name!r} is not installed in {models_dir}: run `epitrace models install`."
        )
    return path


def session_options(threads: int = 2, *, spinning: bool | None = None):  # -> onnxruntime.SessionOptions
    """CPU session options for onnxruntime: `threads` intra-op threads, one inter-op, the host's spinning.

    For sessions built from bytes (e.g. a graph cut down in memory) as well as `onnx_session`'s.

    Args:
        threads: Intra-op threads (one inter-op thread).
        spinning: Whether idle intra-op threads spin. None takes the process setting
            `Settings.ort_spinning` (EPITRACE_ORT_SPINNING): it describes the host, not a model, so
            every session follows it without each model wrapper passing it down.
    """
    import onnxruntime as ort

    if spinning is None:
        spinning = get_settings().ort_spinning
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads spin (onnxruntime's default), which pays on a quiet host (bench ingest
    # --compare, load 1.5-3: CenterNet 28.3 vs 23.0 frames/s, NanoDet 65.0 vs 61.5). On an
    # oversubscribed one a spinning thread holds a core that decoding, tracking and the face models
    # need: ort_spinning false lets idle threads sleep (interleaved at load 5-16: 1.3-2.6x faster).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return options


def onnx_session(path: Path, threads: int = 2, *,
                 spinning: bool | None = None):  # -> onnxruntime.InferenceSession
    """An onnxruntime CPU session of the .onnx file `path` under `session_options(threads, spinning=...)`."""
    import onnxruntime as ort

    options = session_options(threads, spinning=spinning)
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
