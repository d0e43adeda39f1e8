"""What an analysis's stored copies cost in CPU, the way they are made now against the way they
were made before 2026-12-02, interleaved in one run on the same 2048x1536 image and patch scores:

    before  a lossless PNG of the whole preprocessed image, and the heatmap as a Huffman-only PNG
    now     each cited region's 112 px JPEG thumbnail, and the heatmap as a 4:4:4 JPEG

Both make the display and thumbnail JPEGs and draw the heatmap; those are timed too. CPU time of
this thread (`time.thread_time`), so other work on the machine inflates it less than wall time.

    .venv/bin/python bench/bench_stored_copies.py [--rounds 15] [--quick]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_detection import painting_jpeg  # noqa: E402
from bench.common import Figure, report  # noqa: E402


def _old_heatmap_png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, compress_type=zlib.Z_HUFFMAN_ONLY)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 3

    import numpy as np
    from PIL import Image

    from datasets.imaging import encode_jpeg, encode_png, patch_grid, preprocess
    from detection.heatmap import encode_heatmap, render_heatmap
    from detection.references import region_thumbnail_jpeg

    image = preprocess(painting_jpeg(7))
    rng = np.random.default_rng(0)
    patches = [{"x": x, "y": y, "w": w, "h": h, "scale": s, "p": float(rng.random())} for x, y, w, h, s in patch_grid(*image.size)]
    ordered = sorted(patches, key=lambda patch: patch["p"])
    labelled = [(patch, f"S{n}") for n, patch in enumerate(ordered[-3:], 1)] + [(patch, f"L{n}") for n, patch in enumerate(ordered[:3], 1)]

    def shared():
        display = image.copy()
        display.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
        encode_jpeg(display)
        encode_jpeg(display, max_side=320, quality=80)
        return display, render_heatmap(display, patches, labelled=labelled, source_size=image.size)

    def before():
        _, heatmap = shared()
        return len(encode_png(image)) + len(_old_heatmap_png(heatmap))

    def now():
        _, heatmap = shared()
        crops = [region_thumbnail_jpeg(image.crop((p["x"], p["y"], p["x"] + p["w"], p["y"] + p["h"]))) for p, _ in labelled]
        return sum(map(len, crops)) + len(encode_heatmap(heatmap))

    def cpu(function) -> tuple[float, int]:
        started = time.thread_time()
        size = function()
        return time.thread_time() - started, size

    cpu(before), cpu(now), cpu(shared)  # warm-up
    timings = {"before": [], "now": [], "shared": []}
    sizes = {}
    for _ in range(args.rounds):
        for name, function in (("before", before), ("now", now), ("shared", shared)):
            seconds, size = cpu(function)
            timings[name].append(seconds)
            sizes[name] = size
    before_s, now_s, shared_s = (statistics.median(timings[name]) for name in ("before", "now", "shared"))
    figures = [
        Figure("stored copies of one 2048x1536 analysis, CPU (median)", now_s * 1000, "ms", naive=before_s * 1000,
               ratio=before_s / now_s, note=f"{args.rounds} interleaved rounds; naive = lossless PNG + PNG heatmap (before 2026-12-02)"),
        Figure("  of which display, thumbnail and drawing the heatmap (both ways)", shared_s * 1000, "ms"),
        Figure("  bytes written besides display and thumbnail", sizes["now"] / 1e6, "MB", naive=sizes["before"] / 1e6,
               ratio=sizes["before"] / sizes["now"]),
    ]
    report("stored_copies", figures)


if __name__ == "__main__":
    main()
