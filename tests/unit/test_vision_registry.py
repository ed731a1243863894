"""Vision backend registries: names match the settings, unknown names are clear errors."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest
from pydantic import ValidationError

from epitrace.config import IngestSettings
from epitrace.ingest.vision_models import VisionModels
from epitrace.models import ModelNotInstalledError
from epitrace.vision.registry import (
    BODY_EMBEDDERS,
    FACE_DETECTORS,
    FACE_EMBEDDERS,
    MASK_CLASSIFIERS,
    PERSON_DETECTORS,
    Registry,
)

SLOTS = [PERSON_DETECTORS, FACE_DETECTORS, FACE_EMBEDDERS, BODY_EMBEDDERS, MASK_CLASSIFIERS]


@pytest.mark.parametrize("registry", SLOTS, ids=lambda r: r.setting)
def test_settings_offer_exactly_the_registered_names(registry: Registry[object]) -> None:
    annotation = typing.get_type_hints(IngestSettings)[registry.setting]
    assert sorted(typing.get_args(annotation)) == registry.names()
    assert IngestSettings.model_fields[registry.setting].default in registry.names()


def test_unknown_name_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown person detector 'yolo'.*centernet, nanodet-int8"):
        PERSON_DETECTORS.create("yolo", IngestSettings(), tmp_path)
    with pytest.raises(ValidationError, match="nanodet-int8"):
        IngestSettings(person_detector="yolo")  # type: ignore[arg-type]


def test_a_registered_factory_gets_the_settings_and_folder(tmp_path: Path) -> None:
    registry: Registry[tuple[int, Path]] = Registry("thing", "thing")
    registry.register("b")(lambda cfg, folder: (cfg.threads, folder))
    registry.register("a")(lambda cfg, folder: (0, folder))
    assert registry.names() == ["a", "b"]
    assert registry.create("b", IngestSettings(threads=3), tmp_path) == (3, tmp_path)
    with pytest.raises(ValueError, match="ingest.thing .*EPITRACE_INGEST__THING.* a, b"):
        registry.create("c", IngestSettings(), tmp_path)


def test_nanodet_refuses_a_centernet_input_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="detector_input=640 applies to centernet"):
        PERSON_DETECTORS.create("nanodet-int8", IngestSettings(detector_input=640), tmp_path)


@pytest.mark.parametrize("detector", ["nanodet-int8", "centernet"])
def test_missing_model_says_how_to_install(tmp_path: Path, detector: str) -> None:
    settings = IngestSettings(person_detector=detector, faces=False)  # type: ignore[arg-type]
    with pytest.raises(ModelNotInstalledError, match="epitrace models install"):
        VisionModels.from_settings(settings, tmp_path)
