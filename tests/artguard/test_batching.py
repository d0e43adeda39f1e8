"""Paced batch writes with backoff (artguard.batching, docs/scaling.md)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from artguard import batching
from artguard.batching import Backoff, BulkWriteFailed, Pacer, PacedBatchWrite, paced_batch_write
from datasets.tables import ImageRecord


def _image(n: int, label: str = "authentic") -> ImageRecord:
    return ImageRecord(image_id=f"img{n:04d}", label=label, split="train", image_name=f"{n}.jpg")


def _throttle_error(code: str = "ProvisionedThroughputExceededException") -> PutError:
    return PutError("throttled", ClientError({"Error": {"Code": code, "Message": "slow down"}}, "BatchWriteItem"))


class FakeConnection:
    """Answers each BatchWriteItem from a script: "ok", an int n (leave the last n unprocessed),
    or an exception; records what was sent."""

    def __init__(self, script):
        self.script = list(script)
        self.calls: list[tuple[list, list]] = []

    def batch_write_item(self, put_items=None, delete_items=None):
        puts, deletes = list(put_items or []), list(delete_items or [])
        self.calls.append((puts, deletes))
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, Exception):
            raise step
        if step == "ok" or step == 0:
            return {}
        left = ([{"PutRequest": {"Item": item}} for item in puts] + [{"DeleteRequest": {"Key": key}} for key in deletes])[-step:]
        return {"UnprocessedItems": {ImageRecord.Meta.table_name: left}}


@pytest.fixture
def fake(monkeypatch):
    def install(script):
        connection = FakeConnection(script)
        monkeypatch.setattr(ImageRecord, "_get_connection", classmethod(lambda cls: connection))
        return connection
    return install


def _writer(**kwargs) -> tuple[PacedBatchWrite, list[float]]:
    pauses: list[float] = []
    writer = PacedBatchWrite(ImageRecord, sleep=pauses.append, **kwargs)
    return writer, pauses


def test_writes_and_deletes_in_batches_of_25():
    with paced_batch_write(ImageRecord) as batch:
        for n in range(60):
            batch.save(_image(n))
    assert batch.stats.items == 60 and batch.stats.requests == 3
    assert ImageRecord.label_split_index.count("authentic") == 60
    with paced_batch_write(ImageRecord) as batch:
        for n in range(60):
            batch.delete(_image(n))
    assert ImageRecord.label_split_index.count("authentic") == 0


def test_unprocessed_items_are_resent_after_growing_jittered_pauses(fake, monkeypatch):
    monkeypatch.setattr(batching.random, "uniform", lambda low, high: high)  # the cap of each pause
    connection = fake([10, 4, "ok"])
    writer, pauses = _writer(backoff=Backoff(base_seconds=0.1, cap_seconds=5, attempts=5))
    with writer:
        for n in range(25):
            writer.save(_image(n))
    sent = [[item["image_id"]["S"] for item in puts] for puts, _ in connection.calls]
    assert [len(ids) for ids in sent] == [25, 10, 4]
    assert sent[1] == sent[0][-10:] and sent[2] == sent[1][-4:]
    assert pauses == [0.2, 0.4]
    assert writer.stats.items == 25 and writer.stats.resent == 14 and writer.stats.throttled == 2


def test_a_throttling_error_resends_the_whole_batch(fake):
    connection = fake([_throttle_error(), _throttle_error("ThrottlingException"), "ok"])
    writer, pauses = _writer()
    with writer:
        writer.save(_image(1))
        writer.delete(_image(2))
    assert len(connection.calls) == 3 and len(pauses) == 2
    assert connection.calls[-1] == ([_image(1).serialize()], [{"image_id": "img0002"}])
    assert writer.stats.items == 2


def test_other_errors_are_not_retried(fake):
    fake([_throttle_error("ValidationException")])
    writer, pauses = _writer()
    with pytest.raises(PutError):
        with writer:
            writer.save(_image(1))
    assert pauses == []


def test_gives_up_after_the_last_attempt_naming_what_was_not_written(fake):
    connection = fake([3] * 10)
    writer, pauses = _writer(backoff=Backoff(attempts=2))
    with pytest.raises(BulkWriteFailed) as raised:
        with writer:
            for n in range(5):
                writer.save(_image(n))
    assert raised.value.unwritten == 3 and len(connection.calls) == 3 and len(pauses) == 2
    assert "resumes" in str(raised.value)


def test_a_batch_refused_again_and_again_surfaces_as_dynamodb_busy(fake):
    from artguard.outages import DATABASE_MESSAGE, outage_message

    connection = fake([_throttle_error()] * 10)
    writer, pauses = _writer(backoff=Backoff(error_attempts=2))
    with pytest.raises(BulkWriteFailed) as raised:
        with writer:
            writer.save(_image(1))
    assert len(connection.calls) == 3 and len(pauses) == 2
    assert isinstance(raised.value.__cause__, PutError)
    assert outage_message(raised.value) == DATABASE_MESSAGE


def test_backoff_is_capped():
    backoff = Backoff(base_seconds=0.05, cap_seconds=1.0)
    assert all(0 <= backoff.delay(attempt) <= 1.0 for attempt in range(30))


def test_the_pacer_allows_one_seconds_burst_then_the_rate():
    now = [0.0]
    pauses: list[float] = []
    pacer = Pacer(100, clock=lambda: now[0], sleep=pauses.append)
    assert pacer.take(100) == 0
    assert pacer.take(50) == pytest.approx(0.5)
    now[0] += 0.5 + 1.0  # the debt is paid after 0.5 s; a further second refills 100
    assert pacer.take(100) == 0
    assert pauses == [pytest.approx(0.5)]


def test_writers_of_one_pace_key_share_a_pacer():
    first = PacedBatchWrite(ImageRecord, items_per_second=50, pace_key="test-shared")
    second = PacedBatchWrite(ImageRecord, items_per_second=50, pace_key="test-shared")
    assert first.pacer is second.pacer
    assert PacedBatchWrite(ImageRecord).pacer is None


@pytest.mark.integration
def test_against_dynamodb_local_a_throttled_partition_loses_nothing(monkeypatch):
    """The real BatchWriteItem, with a partition that leaves the last 7 items of every other
    call unprocessed (DynamoDB Local never throttles by itself)."""
    connection = ImageRecord._get_connection()
    real = connection.batch_write_item
    calls = {"n": 0}

    def throttled(put_items=None, delete_items=None):
        calls["n"] += 1
        if calls["n"] % 2 == 1 and len(put_items or []) > 7:
            kept, left = put_items[:-7], put_items[-7:]
            real(put_items=kept)
            return {"UnprocessedItems": {ImageRecord.Meta.table_name: [{"PutRequest": {"Item": item}} for item in left]}}
        return real(put_items=put_items, delete_items=delete_items)

    monkeypatch.setattr(connection, "batch_write_item", throttled)
    writer = PacedBatchWrite(ImageRecord, backoff=Backoff(base_seconds=0.001), sleep=lambda s: None)
    with writer:
        for n in range(100):
            writer.save(_image(n, label="forged"))
    assert writer.stats.items == 100 and writer.stats.throttled == 4
    assert ImageRecord.label_split_index.count("forged") == 100
