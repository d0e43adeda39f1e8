"""Detection fixtures: every DynamoDB call is recorded and a Scan fails the test (no request path
may scan); tiny images; records written through the project's services."""
from __future__ import annotations

import pytest
from pynamodb.connection.base import Connection

from tests.images import image_bytes


class ScanHappened(AssertionError):
    pass


@pytest.fixture(autouse=True)
def dynamo_operations(monkeypatch):
    """The DynamoDB operations made during the test, in order. Any Scan raises at once."""
    operations: list[str] = []
    original = Connection.dispatch

    def dispatch(self, operation_name, operation_kwargs):
        operations.append(operation_name)
        if operation_name == "Scan":
            raise ScanHappened(f"Scan of {operation_kwargs.get('TableName')} in a detection code path")
        return original(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", dispatch)
    return operations


@pytest.fixture
def jpeg():
    return image_bytes(320, 240, fmt="JPEG")


@pytest.fixture
def other_user(make_user):
    return make_user("bob@example.com")


@pytest.fixture
def other_client(client, other_user):
    from django.test import Client

    other = Client()
    other.force_login(other_user, backend="accounts.backends.DynamoUserBackend")
    return other


def stored_files(storage_dirs, prefix: str = "inference/") -> list[str]:
    """Stored objects under `prefix` in both buckets (the model fixture keeps training data too)."""
    files = []
    for root in storage_dirs.values():
        if root.exists():
            files += [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()]
    return [name for name in files if name.startswith(prefix)]
