"""Shared fixtures. Unit tests run against moto's DynamoDB; tests marked `integration` run
against a real DynamoDB Local that this file starts once per session (or the one named by
ARTGUARD_TEST_DYNAMODB_HOST). Storage is a fresh folder per test."""
from __future__ import annotations

import copy
import os

import pytest
from moto import mock_aws

from artguard import dynamodb_local
from artguard.dynamo import all_table_models, configure_tables
from artguard.provisioning import tables_provision

from tests.scheduling import StackScopes, is_e2e, order
from tests.training.fixtures import promoted_model, training_embedding_cache  # noqa: E402,F401

STRONG_PASSWORD = "correct-horse-battery-staple"

# Playwright's sync API keeps its asyncio loop registered as running on the main thread for as
# long as the session's Chromium is open, and Django then refuses every ORM call there
# ("SynchronousOnlyOperation"). Under xdist a worker runs browser tests and then unit tests in
# the same process, so the check is lifted for the test processes (pytest-playwright's own
# advice); ArtGuard has no async code for it to protect.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_itemcollected(item):
    if is_e2e(item):
        item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    order(items)  # after pytest-django's own ordering


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):  # (-p no:xdist: the hook does not exist)
        config.pluginmanager.register(StackScopes(), "artguard-stack-scopes")


@pytest.fixture(autouse=True)
def storage_dirs(settings, tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"

    def local(name: str, location) -> dict:
        """The bucket as the product configures a local folder (allow_overwrite), in a test folder;
        S3 options, when the settings hold them, do not apply to a folder."""
        options = settings.STORAGES.get(name, {}).get("OPTIONS", {})
        return {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {**options, "location": str(location)} if "location" in options else {"location": str(location)}}

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(processed)}},
        "raw": local("raw", raw),
        "processed": local("processed", processed),
        "knowledge": local("knowledge", tmp_path / "knowledge"),
    }
    settings.MODEL_DIR = tmp_path / "models"
    return {"raw": raw, "processed": processed}


@pytest.fixture(autouse=True)
def dynamo_tables(request):
    """moto by default; DynamoDB Local for tests marked integration."""
    if request.node.get_closest_marker("integration"):
        host = request.getfixturevalue("dynamodb_local_host")
        configure_tables(host=host)
        _drop_tables()
        tables_provision()
        yield host
        _drop_tables()
        configure_tables(host=None)
        return
    with mock_aws():
        configure_tables(host=None)
        _moto_tables_provision()
        yield None
    configure_tables(host=None)


# moto's tables as tables_provision() leaves them, once per process and table configuration.
_moto_table_snapshots: dict = {}


def _moto_tables_provision():
    """Fresh, empty tables for this test: provisioned through the API the first time, then a copy
    of those table objects put into moto's reset backend (about 4 ms against 120-370 ms; no test
    sees another's items, since each gets its own copy of tables that were empty when taken)."""
    from moto.dynamodb.models import dynamodb_backends

    models = all_table_models()
    region = models[0].Meta.region
    key = (region, tuple(model.Meta.table_name for model in models))
    if key in _moto_table_snapshots:
        account, tables = _moto_table_snapshots[key]
        dynamodb_backends[account][region].tables = copy.deepcopy(tables)
        return
    tables_provision()
    account = next(account for account in dynamodb_backends if dynamodb_backends[account][region].tables)
    _moto_table_snapshots[key] = (account, copy.deepcopy(dynamodb_backends[account][region].tables))


def _drop_tables():
    for model in all_table_models():
        if model.exists():
            model.delete_table()


@pytest.fixture(scope="session")
def dynamodb_local_host():
    host = os.environ.get("ARTGUARD_TEST_DYNAMODB_HOST")
    if host:
        yield host
        return
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port=port, db_path=None)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from training import served_models

    cache.clear()
    served_models.clear_cache()  # the served-artist catalogue belongs to this test's tables
    yield


@pytest.fixture
def make_user(db):
    from accounts.services import user_create

    counter = {"n": 0}

    def make(email: str | None = None, *, password: str = STRONG_PASSWORD, is_staff: bool = False):
        counter["n"] += 1
        return user_create(email=email or f"user{counter['n']}@example.com", password=password, is_staff=is_staff)

    return make


@pytest.fixture
def user(make_user):
    return make_user("alice@example.com")


@pytest.fixture
def staff_user(make_user):
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def user_client(client, user):
    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    return client


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user, backend="accounts.backends.DynamoUserBackend")
    return client
