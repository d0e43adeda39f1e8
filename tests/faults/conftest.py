"""Fault injection at the seams, below the code under test:

- DynamoDB: `dynamo_faults.fail("UpdateItem", times=4, code=...)` answers the next attempts of an
  operation with an HTTP error in place of moto (at moto's botocore before-send stub, which
  stands where the network would be), so PynamoDB's own retries
  (botocore standard mode, DYNAMODB_MAX_RETRIES) and its error wrapping run as in production.
  botocore's back-off sleeps are recorded, not slept. `dynamo_down()` points every table at a
  closed port (connection refused).
- Model: `fake_model` serves a model for FIXTURE_ARTIST (tests.training.fixtures) and replaces the in-process scorer with constant
  logits, so the pipeline runs end to end without training a model.
"""
from __future__ import annotations

import json
import socket
import time
from contextlib import contextmanager
from types import SimpleNamespace

import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import BotocoreStubber

from artguard.dynamo import configure_tables

THROTTLED = "ProvisionedThroughputExceededException"


class _Raw:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **kwargs):
        yield self._body


class DynamoFaults:
    def __init__(self):
        self.plan: dict[str, list] = {}  # operation -> [remaining failures, error code, skip first n]
        self.attempts: dict[str, int] = {}
        self.sleeps: list[float] = []

    def fail(self, operation: str, *, times: int = 100, code: str = THROTTLED, after: int = 0) -> None:
        """Answer `times` attempts of `operation` (after letting `after` through) with error `code`."""
        self.plan[operation] = [times, code, after]

    def clear(self) -> None:
        self.plan.clear()

    def response_for(self, request):
        operation = request.headers.get("X-Amz-Target", b"")
        operation = (operation.decode() if isinstance(operation, bytes) else operation).rsplit(".", 1)[-1]
        self.attempts[operation] = self.attempts.get(operation, 0) + 1
        plan = self.plan.get(operation)
        if not plan or plan[0] <= 0:
            return None
        if plan[2] > 0:
            plan[2] -= 1
            return None
        plan[0] -= 1
        body = json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{plan[1]}", "message": "injected fault"}).encode()
        status = 500 if plan[1] == "InternalServerError" else 400
        return AWSResponse(request.url, status, {"x-amzn-RequestId": "fault", "Content-Type": "application/x-amz-json-1.0"}, _Raw(body))


@pytest.fixture
def dynamo_faults(monkeypatch):
    faults = DynamoFaults()
    moto_call = BotocoreStubber.__call__

    def call(stubber, event_name, request, **kwargs):
        if event_name.startswith("before-send.dynamodb"):
            fault = faults.response_for(request)
            if fault is not None:
                return fault
        return moto_call(stubber, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", call)

    class _Time:
        def __getattr__(self, name):
            return getattr(time, name)

        @staticmethod
        def sleep(seconds):
            faults.sleeps.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", _Time())
    yield faults
    faults.clear()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dynamo_down(dynamo_faults):
    """A context manager: inside it every table points at a closed port."""

    @contextmanager
    def down():
        configure_tables(host=f"http://127.0.0.1:{closed_port()}")
        try:
            yield
        finally:
            configure_tables(host=None)

    return down


@pytest.fixture
def fake_model(monkeypatch):
    from tests.training.fixtures import serve_untrained_model
    from training import compute, served_models

    serve_untrained_model("fault-test-model")
    monkeypatch.setattr(
        compute, "local_patch_scores", lambda *, model_version, images, model_dir=None: {"logits": [0.5] * len(images), "familiarity": None}
    )
    yield SimpleNamespace(model_version="fault-test-model")
    served_models.clear_cache()


@pytest.fixture
def no_queue(monkeypatch):
    """Submissions stay PENDING: the test runs the task itself, when it chooses."""
    import django_q.tasks

    queued = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: queued.append(args))
    return queued
