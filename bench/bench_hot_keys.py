"""The hot keys of docs/scaling.md, simulated against DynamoDB Local with a bounded loopback
driver (a fixed pool of threads, a fixed number of requests).

1. Writes: LabelSplitIndex's `authentic` partition under a bulk load of ImageRecords. DynamoDB
   Local never throttles, so a per-partition limit is put in front of it (a token bucket per
   index partition key in the BatchWriteItem path: items beyond it come back as
   UnprocessedItems, as on AWS), scaled down from AWS's 1,000 write units a second so the run
   stays short. Measured in the same run: DynamoDB Local unthrottled; PynamoDB's own
   batch_write (resends at once, gives up after 3 tries); ArtGuard's backed-off writer
   (artguard.batching) unpaced and paced.
2. Reads: the served-artist catalogue (LabelSplitIndex's `_artist` partition), one query per
   request against the per-process cache of training.served_models.

    .venv/bin/python bench/bench_hot_keys.py            # 2,000 items per write layout, 1,000 catalogue reads
    .venv/bin/python bench/bench_hot_keys.py --quick    # smaller counts
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, local_stack, percentile, report  # noqa: E402

THREADS = 4
AWS_WCU_PER_PARTITION = 1000
AWS_RCU_PER_PARTITION = 3000
SCALE = 4                         # the emulated partition takes 1000 / SCALE write units a second
EMULATED_LIMIT = AWS_WCU_PER_PARTITION / SCALE
PRODUCTION_PACE = 400             # datasets.services.LABEL_PARTITION_ITEMS_PER_SECOND
FLEET_PROCESSES = 40              # web + worker processes reading the catalogue (docs/scaling.md)
PEAK_CATALOGUE_READS = 200        # catalogue reads a second at peak (upload pages, uploads, API)


class PartitionLimit:
    """Token bucket per LabelSplitIndex partition key (an item's `label`), 1 WCU per item
    (ImageRecords are under 1 KB), burst of 0.1 s. Wraps the table connection's batch_write_item."""

    def __init__(self, connection, table: str, rate: float):
        self.real, self.table, self.rate = connection.batch_write_item, table, rate
        self.tokens: dict[str, float] = {}
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()
        self.refused = 0

    def _allow(self, label: str) -> bool:
        now = time.monotonic()
        tokens = min(self.rate * 0.1, self.tokens.get(label, self.rate * 0.1) + (now - self.at.get(label, now)) * self.rate)
        self.at[label] = now
        if tokens >= 1:
            self.tokens[label] = tokens - 1
            return True
        self.tokens[label] = tokens
        return False

    def __call__(self, put_items=None, delete_items=None, **kwargs):
        with self.lock:
            allowed, left = [], []
            for item in put_items or []:
                (allowed if self._allow(item["label"]["S"]) else left).append(item)
            self.refused += len(left)
        if allowed:
            self.real(put_items=allowed)
        return {"UnprocessedItems": {self.table: [{"PutRequest": {"Item": item}} for item in left]}} if left else {}


def _records(tag: str, count: int, label: str = "authentic"):
    from artguard.dynamo import now_ms
    from datasets.tables import ImageRecord

    return [ImageRecord(image_id=f"{tag}-{i:05d}", image_name=f"authentic/{i}.jpg", image_path=f"training/bench/{tag}-{i}.jpg",
                        label=label, split="train", sublabel="original", dataset_name="bench", attributed_creator="Demo Hand A",
                        content_hash="0" * 64, status="uploaded", created_at=now_ms()) for i in range(count)]


def write_layout(tag: str, count: int, make_writer) -> dict:
    """THREADS threads write `count` records in batches of 25; each batch is one writer."""
    records = _records(tag, count)
    batches = [records[i:i + 25] for i in range(0, len(records), 25)]
    latencies: list[float] = []
    lock = threading.Lock()

    def one(batch):
        started = time.perf_counter()
        try:
            with make_writer() as writer:
                for record in batch:
                    writer.save(record)
        except Exception:  # noqa: BLE001 - the items it lost are counted from the table below
            pass
        with lock:
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, batches))
    seconds = time.perf_counter() - started
    from datasets.tables import ImageRecord

    stored = sum(1 for _ in ImageRecord.batch_get([r.image_id for r in records], attributes_to_get=["image_id"]))
    return {"items": count, "stored": stored, "lost": count - stored, "seconds": seconds, "items_per_s": stored / seconds,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000}


def item_bytes(record) -> int:
    """An item's size as DynamoDB counts it, near enough: attribute names plus values."""
    size = 0
    for name, value in record.serialize().items():
        size += len(name) + len(json.dumps(value)) - 8
    return size


def catalogue_reads(count: int, read) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()

    def one(_):
        started = time.perf_counter()
        read()
        with lock:
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, range(count)))
    seconds = time.perf_counter() - started
    return {"reads": count, "seconds": seconds, "reads_per_s": count / seconds,
            "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--artists", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.items, args.reads, args.artists = 500, 300, 30

    with local_stack("hot_keys"):
        from pynamodb.models import BatchWrite

        from artguard.batching import Backoff, PacedBatchWrite
        from datasets import selectors
        from datasets.tables import ImageRecord
        from training import served_models

        connection = ImageRecord._get_connection()
        table = ImageRecord.Meta.table_name
        write_layout("warmup", 500, lambda: PacedBatchWrite(ImageRecord))  # the JVM's first requests are slow
        unthrottled = write_layout("free", args.items, lambda: PacedBatchWrite(ImageRecord))
        limit = PartitionLimit(connection, table, EMULATED_LIMIT)
        connection.batch_write_item = limit
        stock = write_layout("stock", args.items, lambda: BatchWrite(ImageRecord, auto_commit=True))
        stock_refused, limit.refused = limit.refused, 0
        backoff = write_layout("backoff", args.items, lambda: PacedBatchWrite(ImageRecord, backoff=Backoff(attempts=12)))
        backoff_refused, limit.refused = limit.refused, 0
        paced = write_layout("paced", args.items, lambda: PacedBatchWrite(
            ImageRecord, items_per_second=PRODUCTION_PACE / SCALE, pace_key="bench", backoff=Backoff(attempts=12)))
        paced_refused = limit.refused
        connection.batch_write_item = limit.real
        record_size = item_bytes(_records("size", 1)[0])

        # The catalogue: artists with a serving map and a short history, as after a few promotions.
        from artguard.dynamo import now_ms
        from datasets.artists import ARTIST_LABEL, ARTIST_SPLIT, artist_item_id

        serving = {"model_version": "20260101-000000-abcdef12", "run_id": "0" * 32, "promoted_at": now_ms(),
                   "promoted_by": "staff@example.com", "is_demo": False, "dataset_version": "v2026-01"}
        history = [{"action": "promoted", "model_version": "20260101-000000-abcdef12", "run_id": "0" * 32,
                    "by": "staff@example.com", "reason": "", "at": now_ms()}] * 5
        artists = [ImageRecord(image_id=artist_item_id(f"artist-{n:04d}"), image_name=f"Artist {n:04d}", label=ARTIST_LABEL,
                               split=ARTIST_SPLIT, aliases=[f"A. {n:04d}"], serving=serving, serving_history=history,
                               created_at=now_ms()) for n in range(args.artists)]
        with PacedBatchWrite(ImageRecord) as writer:
            for artist in artists:
                writer.save(artist)
        registry_bytes = sum(item_bytes(artist) for artist in artists)
        rcu_per_query = math.ceil(registry_bytes / 4096) * 0.5  # eventually consistent Query

        queries = {"n": 0}
        real_list = selectors.artists_list

        def counted_list():
            queries["n"] += 1
            return real_list()

        selectors.artists_list = counted_list
        uncached = catalogue_reads(args.reads, lambda: [a for a in selectors.artists_list() if a.served])
        uncached_queries, queries["n"] = queries["n"], 0
        served_models.clear_cache()
        cached = catalogue_reads(args.reads, served_models.catalogue)
        cached_queries = queries["n"]
        selectors.artists_list = real_list

    wcu_per_item = max(1, math.ceil(record_size / 1024))
    hot_ceiling = AWS_WCU_PER_PARTITION / wcu_per_item          # items/s one label partition accepts on AWS
    index_writes_per_image = 3                                   # put, preprocess update, patch_count update
    ingest_hours_one_label = 1_000_000 * index_writes_per_image / hot_ceiling / 3600
    paced_hours = 1_000_000 * index_writes_per_image / 2 / PRODUCTION_PACE / 3600  # two labels, one writer per label
    uncached_rcu = PEAK_CATALOGUE_READS * rcu_per_query
    cached_rcu = FLEET_PROCESSES / served_models.CATALOGUE_TTL_SECONDS * rcu_per_query
    pace = PRODUCTION_PACE / SCALE
    paced_floor = (args.items - pace) / pace  # seconds the pacer must take: its rate after a one-second burst
    scaled = f"emulated partition limit {EMULATED_LIMIT:.0f} items/s (AWS 1,000 WCU/s / {SCALE}), {THREADS} threads, {args.items} items"

    figures = [
        Figure("DynamoDB Local, one hot label, no limit (backed-off writer)", unthrottled["items_per_s"], "items/s",
               note=f"p50 {unthrottled['p50_ms']:.0f} ms, p95 {unthrottled['p95_ms']:.0f} ms per batch of 25; {THREADS} threads, "
                    f"{args.items} ImageRecords of ~{record_size} B ({wcu_per_item} WCU) into LabelSplitIndex 'authentic'",
               extra=unthrottled),
        Figure("hot partition: items lost, PynamoDB batch_write", stock["lost"], "items", note=scaled + "; resends at once, gives up after 3 tries",
               extra={**stock, "refused_by_partition": stock_refused}),
        Figure("hot partition: items lost, artguard.batching (backoff)", backoff["lost"], "items", target="0", met=backoff["lost"] == 0,
               naive=float(stock["lost"]), note=scaled, extra={**backoff, "refused_by_partition": backoff_refused}),
        Figure("hot partition: achieved, artguard.batching (backoff)", backoff["items_per_s"], "items/s",
               target=f"~{EMULATED_LIMIT:.0f} (the limit)", note=f"p50 {backoff['p50_ms']:.0f} ms, p95 {backoff['p95_ms']:.0f} ms per batch; "
                                                            f"{backoff_refused} item-sends refused and resent"),
        Figure("hot partition: achieved, paced (400/s scaled) + backoff", paced["items_per_s"], "items/s",
               target=f"{pace:.0f} after a 1 s burst", met=paced["lost"] == 0 and paced["seconds"] >= 0.95 * paced_floor,
               note=f"{args.items} items in {paced['seconds']:.1f} s (the pacer allows {args.items} in {paced_floor:.1f} s); p50 {paced['p50_ms']:.0f} ms, p95 {paced['p95_ms']:.0f} ms per batch; {paced_refused} item-sends refused; "
                    f"lost {paced['lost']}", extra=paced),
        Figure("AWS: 1M images into one label partition at its limit", ingest_hours_one_label, "hours",
               note=f"{index_writes_per_image} index writes per image, {hot_ceiling:.0f} items/s per partition; paced at "
                    f"{PRODUCTION_PACE}/s per label the two labels take {paced_hours:.1f} h"),
        Figure("catalogue read p95, cached (training.served_models, 5 s)", cached["p95_ms"], "ms",
               naive=uncached["p95_ms"], ratio=uncached["p95_ms"] / max(cached["p95_ms"], 1e-6),
               note=f"{args.artists} artists, {registry_bytes / 1024:.0f} KB registry, {THREADS} threads, {args.reads} reads; "
                    f"uncached p50 {uncached['p50_ms']:.1f} ms, cached p50 {cached['p50_ms']:.3f} ms", extra={"cached": cached, "uncached": uncached}),
        Figure("catalogue: registry queries per 1,000 reads, cached", cached_queries / args.reads * 1000, "queries",
               naive=uncached_queries / args.reads * 1000, ratio=uncached_queries / max(cached_queries, 1)),
        Figure("AWS: '_artist' partition RCU/s at peak, cached", cached_rcu, "RCU/s", target=f"<= {AWS_RCU_PER_PARTITION}",
               met=cached_rcu <= AWS_RCU_PER_PARTITION, naive=uncached_rcu, ratio=uncached_rcu / cached_rcu,
               note=f"{rcu_per_query} RCU per registry query; cached: {FLEET_PROCESSES} processes / "
                    f"{served_models.CATALOGUE_TTL_SECONDS:.0f} s; uncached: {PEAK_CATALOGUE_READS} catalogue reads/s"),
    ]
    report("hot_keys", figures, details={
        "threads": THREADS, "scale": SCALE, "emulated_limit_items_per_s": EMULATED_LIMIT, "record_bytes": record_size,
        "artists": args.artists, "registry_bytes": registry_bytes, "rcu_per_registry_query": rcu_per_query,
        "fleet_processes": FLEET_PROCESSES, "peak_catalogue_reads_per_s": PEAK_CATALOGUE_READS,
    })


if __name__ == "__main__":
    main()
