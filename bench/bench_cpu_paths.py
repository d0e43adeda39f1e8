"""Three costs outside the model, the way they are paid now against before, interleaved in one run:

    upload check   the texture check of a 2048x1536 colour JPEG: decoded to RGB and converted to
                   grey (before), or decoded straight to grey by the JPEG decoder (now). CPU time
                   of this thread; the web process pays it for every upload.
    small products the familiarity distance of an image's 28 patches (the real
                   training.ml.familiarity code, a reference of the served shape: 1,952 values,
                   96 components) with OpenBLAS's default threads (before) or one (now), while
                   two threads run the backbone as the scoring lanes of a busy worker do. Wall
                   time, which is what the contention costs.
    S3 connection  a thread's first S3 connection (boto3 session and resource, no request):
                   django-storages' own (before), or artguard.s3_storage's, which shares the parsed
                   service models between threads (now). CPU time of this thread.

And three a worker pays for every analysis (thread CPU, 2048x1536):

    preprocess     decode, orient, RGB, metadata dropped: rebuilt from its bytes after two copies
                   (before) or oriented in place and its `info` emptied (now)
    model input    an image's 28 patches as normalized planar floats: normalized interleaved, then
                   copied planar (before) or made planar as bytes, then one float pass (now)
    display copy   the 1280 px copy people see and the heatmap is drawn on: LANCZOS (before) or
                   bilinear (now); their difference is given as PSNR

    .venv/bin/python bench/bench_cpu_paths.py [--rounds 20] [--quick]
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_detection import painting_jpeg  # noqa: E402
from bench.common import Figure, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rounds = 3

    import numpy as np
    from PIL import Image

    from datasets import imaging
    from training.ml import backbone, blas, familiarity

    data = painting_jpeg(7)

    def check_before() -> float:
        started = time.thread_time()
        with Image.open(io.BytesIO(data)) as probe:  # as check_image did: verify, then decode in full
            probe.verify()
        with Image.open(io.BytesIO(data)) as full:
            full.load()
            imaging.texture_share(full)
        return time.thread_time() - started

    def check_now() -> float:
        started = time.thread_time()
        imaging.check_image(data, filename="work.jpg", min_side=imaging.PATCH_SIZE, require_texture=True)
        return time.thread_time() - started

    rng = np.random.default_rng(0)
    dim, components = 1952, 96
    basis, _ = np.linalg.qr(rng.normal(size=(dim, components)))
    reference = familiarity.Reference(mean=rng.normal(size=dim), precision=np.eye(components), threshold=1.0,
                                      calibration={}, components=basis.T, residual_variance=1.0)
    features = rng.normal(size=(28, dim)).astype(np.float32)
    patches = [p.image for p in imaging.extract_patches(imaging.preprocess(data))]

    def products(limit: bool) -> float:
        started = time.perf_counter()
        if limit:
            with blas.one_thread():
                reference.assess(features)
        else:
            reference.assess(features)
        return time.perf_counter() - started

    stop = threading.Event()

    def busy_lanes():
        while not stop.is_set():
            backbone.embed(patches)

    checks = {"before": [], "now": []}
    for _ in range(args.rounds):
        checks["before"].append(check_before())
        checks["now"].append(check_now())
    backbone.embed(patches[:4])  # loaded before the clock
    lanes = threading.Thread(target=busy_lanes, daemon=True)
    lanes.start()
    timed = {"before": [], "now": []}
    try:
        for _ in range(args.rounds * 5):
            timed["before"].append(products(False))
            timed["now"].append(products(True))
    finally:
        stop.set()
        lanes.join()
    check_before_ms, check_now_ms = (statistics.median(checks[k]) * 1000 for k in ("before", "now"))
    products_before_ms, products_now_ms = (statistics.median(timed[k]) * 1000 for k in ("before", "now"))
    products_before_p95, products_now_p95 = (float(np.percentile(timed[k], 95)) * 1000 for k in ("before", "now"))
    from django.conf import settings

    if not settings.configured:
        settings.configure()  # the storages read a few AWS_ settings; their defaults will do
    from storages.backends.s3 import S3Storage as LibraryS3Storage

    from artguard.s3_storage import S3Storage as SharedModelsS3Storage

    def first_connection(storage_class) -> float:
        storage = storage_class(bucket_name="bench", region_name="ca-central-1", endpoint_url="http://127.0.0.1:9")
        started = time.thread_time()
        storage.connection  # what each new thread pays once
        return time.thread_time() - started

    first_connection(SharedModelsS3Storage)  # the shared models parsed once, as in any running process
    connections = {"before": [], "now": []}
    for _ in range(max(3, args.rounds // 4)):
        connections["before"].append(first_connection(LibraryS3Storage))
        connections["now"].append(first_connection(SharedModelsS3Storage))
    connection_before_ms, connection_now_ms = (statistics.median(connections[k]) * 1000 for k in ("before", "now"))
    worker = worker_pairs(data, rounds=args.rounds)
    figures = [
        Figure("upload texture check, 2048x1536 JPEG (median, thread CPU)", check_now_ms, "ms", naive=check_before_ms,
               ratio=check_before_ms / check_now_ms, note=f"{args.rounds} interleaved rounds; naive = decoded to RGB, then grey"),
        Figure("familiarity of 28 patches beside busy scoring lanes (median, wall)", products_now_ms, "ms",
               naive=products_before_ms, ratio=products_before_ms / products_now_ms,
               note=f"{args.rounds * 5} interleaved rounds; naive = OpenBLAS's default threads"),
        Figure("  the same, p95", products_now_p95, "ms", naive=products_before_p95, ratio=products_before_p95 / products_now_p95),
        Figure("a thread's first S3 connection (median, thread CPU)", connection_now_ms, "ms", naive=connection_before_ms,
               ratio=connection_before_ms / connection_now_ms, note="naive = django-storages' S3Storage, a fresh botocore model per session"),
    ]
    for name, (before_ms, now_ms, note) in worker.items():
        figures.append(Figure(f"{name} (median, thread CPU)", now_ms, "ms", naive=before_ms, ratio=before_ms / now_ms, note=note))
    report("cpu_paths", figures)


def worker_pairs(data: bytes, *, rounds: int) -> dict[str, tuple[float, float, str]]:
    """{figure: (before ms, now ms, note)} for the worker's three paths, interleaved."""
    import numpy as np
    from PIL import Image, ImageOps

    from datasets import imaging
    from training.ml import backbone

    def preprocess_before() -> Image.Image:
        with Image.open(io.BytesIO(data)) as opened:
            rgb = imaging._to_rgb(ImageOps.exif_transpose(opened))
        return Image.frombytes("RGB", rgb.size, rgb.tobytes())

    def tensor_before(images) -> np.ndarray:
        batch = np.stack([np.asarray(image, dtype=np.uint8) for image in images]).astype(np.float32) / 255.0
        batch = (batch - backbone.IMAGENET_MEAN) / backbone.IMAGENET_STD
        return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))  # what the engine was handed

    def tensor_now(images) -> np.ndarray:
        return np.ascontiguousarray(backbone.to_tensor(images).numpy())

    def display(image: Image.Image, method) -> Image.Image:
        copy = image.copy()
        copy.thumbnail((1280, 1280), method)
        return copy

    image = imaging.preprocess(data)
    assert np.array_equal(np.asarray(preprocess_before()), np.asarray(image))
    patches = [p.image for p in imaging.extract_patches(image)]
    chunks = [patches[i:i + backbone.ONNX_BATCH_SIZE] for i in range(0, len(patches), backbone.ONNX_BATCH_SIZE)]
    worst = max(float(np.abs(tensor_before(chunk) - tensor_now(chunk)).max()) for chunk in chunks)
    lanczos = np.asarray(display(image, Image.Resampling.LANCZOS), dtype=np.float64)
    bilinear = np.asarray(display(image, Image.Resampling.BILINEAR), dtype=np.float64)
    psnr = 10 * np.log10(255.0 ** 2 / float(np.mean((lanczos - bilinear) ** 2)))

    pairs = {
        "worker preprocess, 2048x1536 JPEG": (preprocess_before, lambda: imaging.preprocess(data)),
        "worker model input, 28 patches": (lambda: [tensor_before(c) for c in chunks], lambda: [tensor_now(c) for c in chunks]),
        "worker display copy, 2048 -> 1280 px": (lambda: display(image, Image.Resampling.LANCZOS),
                                                 lambda: display(image, Image.Resampling.BILINEAR)),
    }
    notes = {
        "worker preprocess, 2048x1536 JPEG": "same pixels; naive = rebuilt from its bytes after two copies",
        "worker model input, 28 patches": f"largest difference {worst:.1e}; naive = normalized interleaved, then copied planar",
        "worker display copy, 2048 -> 1280 px": f"bilinear is {psnr:.1f} dB from LANCZOS; naive = LANCZOS",
    }
    timed = {name: {"before": [], "now": []} for name in pairs}
    for _ in range(rounds):
        for name, (before, now) in pairs.items():
            for key, call in (("before", before), ("now", now)):
                started = time.thread_time()
                call()
                timed[name][key].append(time.thread_time() - started)
    return {name: (statistics.median(t["before"]) * 1000, statistics.median(t["now"]) * 1000, notes[name]) for name, t in timed.items()}


if __name__ == "__main__":
    main()
