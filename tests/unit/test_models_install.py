"""Model manifest, offline install pipeline and checksum handling (local files, no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from epitrace.models import (
    DEFAULT_MODELS,
    ChecksumError,
    ModelSpec,
    SourceFile,
    check_models,
    install_model,
)
from epitrace.models.fetch import ModelFetchError


def _url_spec(path: Path, sha: str) -> ModelSpec:
    return ModelSpec(
        name="prod_model", stage="person", registry="url", package="file-model", version="1",
        files=(SourceFile(key="onnx", member=path.as_uri(), sha256=sha),),
        converter="copy", output="prod_model.onnx", licence="Apache-2.0", description="by URL",
    )


def test_url_model_installs_and_checks(tmp_path: Path) -> None:
    blob = tmp_path / "model.onnx"
    blob.write_bytes(b"onnx-bytes" * 100)
    spec = _url_spec(blob, hashlib.sha256(blob.read_bytes()).hexdigest())
    out = install_model(spec, tmp_path / "models", tmp_path / "cache")
    assert out.read_bytes() == blob.read_bytes()
    (status,) = check_models([spec], tmp_path / "models")
    assert status.installed and status.ok
    lock = json.loads((tmp_path / "models" / "models.lock.json").read_text())
    assert lock["prod_model"]["file"] == "prod_model.onnx"


def test_checksum_mismatch_installs_nothing(tmp_path: Path) -> None:
    blob = tmp_path / "model.onnx"
    blob.write_bytes(b"tampered")
    spec = _url_spec(blob, "0" * 64)
    with pytest.raises(ChecksumError, match="does not match"):
        install_model(spec, tmp_path / "models", tmp_path / "cache")
    assert not (tmp_path / "models" / "prod_model.onnx").exists()
    assert not list((tmp_path / "cache").rglob("model.onnx"))  # the bad download is deleted


def test_altered_installed_file_is_reported(tmp_path: Path) -> None:
    blob = tmp_path / "model.onnx"
    blob.write_bytes(b"good")
    spec = _url_spec(blob, hashlib.sha256(b"good").hexdigest())
    out = install_model(spec, tmp_path / "models", tmp_path / "cache")
    out.write_bytes(b"evil")
    (status,) = check_models([spec], tmp_path / "models")
    assert status.installed and not status.ok and "differs" in status.detail


def test_missing_url_is_a_clear_error(tmp_path: Path) -> None:
    spec = _url_spec(tmp_path / "absent.onnx", "0" * 64)
    with pytest.raises(ModelFetchError, match="could not download"):
        install_model(spec, tmp_path / "models", tmp_path / "cache")


def test_manifest_pins_every_default_model() -> None:
    names = [m.name for m in DEFAULT_MODELS]
    assert len(names) == len(set(names))
    stages = {m.stage for m in DEFAULT_MODELS}
    assert {"person", "face_detect", "face_embed", "body_embed", "mask"} <= stages
    for m in DEFAULT_MODELS:
        assert m.registry in {"pypi", "npm"} and m.version and m.licence


def test_installed_models_match_lock(models_dir: Path) -> None:
    statuses = check_models(list(DEFAULT_MODELS), models_dir)
    assert all(s.ok for s in statuses), [s for s in statuses if not s.ok]


def test_nanodet_calibration_photos_are_found_or_a_clear_error(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from epitrace.models.converters.nanodet import CalibrationImagesError, calibration_images

    for i in range(3):
        (tmp_path / f"photo{i}.jpg").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not a photo")
    monkeypatch.setenv("EPITRACE_CALIBRATION_IMAGES", str(tmp_path))
    assert [p.name for p in calibration_images(2)] == ["photo0.jpg", "photo1.jpg"]
    with pytest.raises(CalibrationImagesError, match="EPITRACE_CALIBRATION_IMAGES"):
        calibration_images(4)
