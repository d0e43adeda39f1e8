"""Bulk writes that hold up against a hot partition (docs/scaling.md).

DynamoDB gives each partition about 1,000 write units a second, a global secondary index's
partitions too, and a GSI that cannot keep up throttles the writes to its base table. Seed
000's LabelSplitIndex has a partition key with two values for training images (`authentic`,
`forged`), so a bulk load of ImageRecords meets that limit first. A throttled BatchWriteItem
answers with UnprocessedItems; PynamoDB 6.1's own `batch_write()` resends them at once, with no
pause, and raises after `max_retry_attempts` tries, losing the rest of the batch.

`paced_batch_write(model)` has the same save/delete interface, and instead:
- sends at most 25 items per BatchWriteItem (the API's limit);
- paces itself to `items_per_second` through a token bucket shared by every writer in the
  process under the same `pace_key` (0 = unpaced: backoff only);
- resends UnprocessedItems after an exponentially growing, fully jittered pause (50 ms
  doubling up to 5 s), up to `attempts` times; a whole batch refused with a throttling error
  (which botocore has already retried with its own backoff) up to `error_attempts` times;
  then raises BulkWriteFailed, a DynamoUnavailable (so commands and pages say "DynamoDB is
  busy, try again"), naming how many items were not written.

Writes are idempotent puts and deletes by key, so a resend is harmless.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from typing import Callable

from pynamodb.exceptions import PynamoDBException
from pynamodb.models import Model

from artguard.dynamo import DynamoUnavailable

BATCH_LIMIT = 25  # items per BatchWriteItem (DynamoDB's limit)
THROTTLING_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"})


class BulkWriteFailed(DynamoUnavailable):
    """Some items were still unwritten after every retry (the partition stayed throttled)."""

    def __init__(self, message: str, *, unwritten: int):
        super().__init__(message)
        self.unwritten = unwritten


@dataclass(frozen=True)
class Backoff:
    base_seconds: float = 0.05
    cap_seconds: float = 5.0
    attempts: int = 10       # resends of unprocessed items
    error_attempts: int = 3  # resends of a batch refused with a throttling error

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * (2 ** attempt)))


class Pacer:
    """A token bucket: on average at most `rate` items a second, bursts up to one second's
    worth. Thread-safe; `take` sleeps (outside the lock) until the items are allowed."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rate = float(rate)
        self._clock, self._sleep = clock, sleep
        self._tokens = self.rate
        self._at = clock()
        self._lock = threading.Lock()

    def take(self, count: int) -> float:
        """Reserve `count` items; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.rate, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= count
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


_pacers: dict[str, Pacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(key: str, rate: float) -> Pacer:
    """The process-wide pacer of `key` (one per hot partition a process writes to)."""
    with _pacers_lock:
        pacer = _pacers.get(key)
        if pacer is None or pacer.rate != float(rate):
            pacer = _pacers[key] = Pacer(rate)
        return pacer


@dataclass
class WriteStats:
    items: int = 0         # items written
    requests: int = 0      # BatchWriteItem calls, resends included
    resent: int = 0        # items sent again after being left unprocessed or throttled
    throttled: int = 0     # calls answered with a throttling error or unprocessed items
    paced_seconds: float = 0.0
    backoff_seconds: float = 0.0


class PacedBatchWrite:
    """Use through `paced_batch_write(model, ...)` as a context manager; flushes on exit."""

    def __init__(self, model: type[Model], *, items_per_second: float = 0, pace_key: str | None = None,
                 backoff: Backoff | None = None, sleep: Callable[[float], None] = time.sleep):
        self.model = model
        self.pacer = pacer_for(pace_key or model.Meta.table_name, items_per_second) if items_per_second > 0 else None
        self.backoff = backoff or Backoff()
        self.stats = WriteStats()
        self._sleep = sleep
        self._puts: list[dict] = []
        self._deletes: list[dict] = []

    def __enter__(self) -> "PacedBatchWrite":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()

    def save(self, item: Model) -> None:
        self._puts.append(item.serialize())
        self._flush_full()

    def delete(self, item: Model) -> None:
        self._deletes.append(item._get_keys())
        self._flush_full()

    def _flush_full(self) -> None:
        if len(self._puts) + len(self._deletes) >= BATCH_LIMIT:
            self.commit()

    def commit(self) -> None:
        puts, deletes = self._puts, self._deletes
        self._puts, self._deletes = [], []
        while puts or deletes:
            chunk_puts = puts[:BATCH_LIMIT]
            chunk_deletes = deletes[:BATCH_LIMIT - len(chunk_puts)]
            puts, deletes = puts[len(chunk_puts):], deletes[len(chunk_deletes):]
            self._send(chunk_puts, chunk_deletes)

    def _send(self, puts: list[dict], deletes: list[dict]) -> None:
        if self.pacer is not None:
            self.stats.paced_seconds += self.pacer.take(len(puts) + len(deletes))
        connection = self.model._get_connection()
        table = self.model.Meta.table_name
        attempt = errors = 0
        while True:
            self.stats.requests += 1
            refused: PynamoDBException | None = None
            try:
                data = connection.batch_write_item(put_items=puts or None, delete_items=deletes or None) or {}
                unprocessed = data.get("UnprocessedItems", {}).get(table) or []
            except PynamoDBException as error:
                if error.cause_response_code not in THROTTLING_CODES:
                    raise
                refused, errors = error, errors + 1
                unprocessed = [{"PutRequest": {"Item": item}} for item in puts] + [{"DeleteRequest": {"Key": key}} for key in deletes]
            self.stats.items += len(puts) + len(deletes) - len(unprocessed)
            if not unprocessed:
                return
            self.stats.throttled += 1
            attempt += 1
            if attempt > self.backoff.attempts or errors > self.backoff.error_attempts:
                raise BulkWriteFailed(
                    f"DynamoDB is busy: {len(unprocessed)} item(s) of {table} were not written after {attempt - 1} "
                    "retries (the partition stayed throttled); run the job again, it resumes.",
                    unwritten=len(unprocessed)) from refused
            pause = self.backoff.delay(attempt)
            self.stats.backoff_seconds += pause
            self._sleep(pause)
            self.stats.resent += len(unprocessed)
            puts = [entry["PutRequest"]["Item"] for entry in unprocessed if "PutRequest" in entry]
            deletes = [entry["DeleteRequest"]["Key"] for entry in unprocessed if "DeleteRequest" in entry]


def paced_batch_write(model: type[Model], *, items_per_second: float = 0, pace_key: str | None = None,
                      backoff: Backoff | None = None) -> PacedBatchWrite:
    return PacedBatchWrite(model, items_per_second=items_per_second, pace_key=pace_key, backoff=backoff)
