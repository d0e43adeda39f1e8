"""Workflow B speed: upload + preprocess (+ patches) of N photos of 3000x2000 px end to end on
DynamoDB Local, and ImageRecords written by BatchWriteItem against one PutItem per item.

    .venv/bin/python bench/bench_upload.py               # 500 images, 500 records each way
    .venv/bin/python bench/bench_upload.py --count 100   # fewer images
    .venv/bin/python bench/bench_upload.py --quick       # 20 images, 200 records

Everything runs in this one process (the upload command's --sync path): the figures are for one
worker; django-q2 workers on more cores preprocess in parallel. Images are painting-like JPEGs
(a demo painting enlarged, with per-image noise so every file has its own content hash)."""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, local_stack, report  # noqa: E402


def make_photos(folder: Path, count: int, width: int, height: int) -> None:
    import numpy as np
    from PIL import Image

    from datasets.synthetic import make_image

    bases = []
    for index in range(4):
        painting, _ = make_image(sublabel="original", seed=11, index=index)
        bases.append(np.asarray(painting.resize((width, height), Image.Resampling.BICUBIC), dtype=np.int16))
    rng = np.random.default_rng(0)
    (folder / "authentic").mkdir(parents=True, exist_ok=True)
    for index in range(count):
        pixels = bases[index % len(bases)].copy()
        y, x = rng.integers(0, height - 64), rng.integers(0, width - 64)
        pixels[y:y + 64, x:x + 64] += rng.integers(-20, 21, (64, 64, 3), dtype=np.int16)  # unique content
        buffer = io.BytesIO()
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=90)
        (folder / "authentic" / f"photo_{index:04d}.jpg").write_bytes(buffer.getvalue())


def write_records(count: int, *, batch: bool, tag: str) -> float:
    from artguard.dynamo import now_ms
    from datasets.tables import ImageRecord

    records = [ImageRecord(image_id=f"bench-{tag}-{i:05d}", image_name=f"x{i}.jpg", image_path=f"training/bench/x{i}.jpg",
                           label="bench", split="train", sublabel="original", dataset_name="bench", status="uploaded",
                           created_at=now_ms()) for i in range(count)]
    with Timer() as timer:
        if batch:
            with ImageRecord.batch_write() as writer:
                for record in records:
                    writer.save(record)
        else:
            for record in records:
                record.save()
    return timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="images to upload and preprocess")
    parser.add_argument("--records", type=int, default=500, help="ImageRecords written each way")
    parser.add_argument("--width", type=int, default=3000)
    parser.add_argument("--height", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="20 images, 200 records")
    args = parser.parse_args()
    if args.quick:
        args.count, args.records = 20, 200

    with local_stack("upload") as scratch:
        from datasets import services
        from datasets.sources import entries_load

        print(f"[bench] making {args.count} photos of {args.width}x{args.height} ...", flush=True)
        make_photos(scratch / "photos", args.count, args.width, args.height)
        megabytes = sum(p.stat().st_size for p in (scratch / "photos").rglob("*.jpg")) / 1e6
        entries, _, _, _ = entries_load(dataset_path=scratch / "photos", manifest_path=None)

        print("[bench] upload ...", flush=True)
        with Timer() as upload:
            summary = services.training_upload(dataset_name="bench", entries=entries, process=services.PROCESS_NONE)
        assert summary.ok and len(summary.uploaded) == args.count, summary.failed
        print("[bench] preprocess + patches ...", flush=True)
        from datasets.tables import ImageRecord

        ids = [record.image_id for record in ImageRecord.label_split_index.query("authentic", attributes_to_get=["image_id"])]
        with Timer() as processing:
            records = [services.image_process(image_id=image_id) for image_id in ids]
        patch_count = sum(int(record.patch_count or 0) for record in records)
        assert all(record.status == "processed" for record in records)
        with Timer() as rerun:
            again = services.training_upload(dataset_name="bench", entries=entries, process=services.PROCESS_NONE)
        assert len(again.skipped) == args.count

        print("[bench] batch writes vs one put per item ...", flush=True)
        single_s = write_records(args.records, batch=False, tag="single")
        batch_s = write_records(args.records, batch=True, tag="batch")

    n = args.count
    total = upload.seconds + processing.seconds
    figures = [
        Figure("upload: hash, check, store, batch-record", n / upload.seconds, "images/s", note=f"{n} JPEGs {args.width}x{args.height}, {megabytes:.0f} MB"),
        Figure("preprocess + patches (check, orient, RGB, 2048 px, PNG; cut, store, batch-write)", n / processing.seconds, "images/s",
               note=f"{patch_count} patches"),
        Figure("end to end (upload + preprocess + patches)", n / total, "images/s", note=f"{total:.1f} s for {n} images, one process"),
        Figure("re-run of the same upload (all skipped)", n / rerun.seconds, "images/s", note="hash + check + BatchGet only"),
        Figure("ImageRecords written, BatchWriteItem", args.records / batch_s, "items/s", naive=args.records / single_s,
               ratio=single_s / batch_s, note=f"{args.records} items each way; naive = one PutItem per item; ratio = time(naive)/time(batch)"),
    ]
    report("upload", figures, details={"count": n, "records": args.records, "width": args.width, "height": args.height,
                                      "seconds": {"upload": upload.seconds, "preprocess_and_patches": processing.seconds,
                                                  "rerun": rerun.seconds, "single_puts": single_s, "batch_writes": batch_s}})


if __name__ == "__main__":
    main()
