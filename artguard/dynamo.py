"""The DynamoDB seam: table names, connection settings, and the registry of ArtGuard's tables.

Each app defines its PynamoDB models in `<app>/tables.py` with `Meta = table_meta("<name>")` and
registers them from its `AppConfig.ready()` with `table_models_register`, so this module knows
no app and a new app needs no edit here. Provisioning, tests and the run command iterate over
`all_table_models()`; they re-point every model at moto or DynamoDB Local through
`configure_tables`, so no model reads the environment on its own.
"""
from __future__ import annotations

import math
import os
import time
from typing import Iterable

import pynamodb.connection.base
from django.apps import apps
from django.conf import settings
from pynamodb.constants import NONE
from pynamodb.models import Model

from artguard.aws_models import botocore_session

# PynamoDB opens a botocore session per table and per thread (and configure_tables drops them);
# each would parse DynamoDB's service model again.
pynamodb.connection.base.get_session = botocore_session

DYNAMO_SMALLEST = 1e-120  # DynamoDB refuses numbers under 1e-130 in magnitude ("Number underflow")
DYNAMO_LARGEST = 1e120  # and over 9.99e125

# Filled by the apps' ready(), in INSTALLED_APPS order; keyed by table so a second ready() is harmless.
_TABLE_MODELS: dict[str, type[Model]] = {}


class DynamoUnavailable(RuntimeError):
    """DynamoDB could not be reached; the message names DYNAMODB_HOST."""


def table_name(short_name: str) -> str:
    return f"{settings.DYNAMODB_TABLE_PREFIX}-{short_name}-{settings.ARTGUARD_ENV}"


def local_credentials(host: str | None) -> tuple[str | None, str | None]:
    # DynamoDB Local accepts any credentials but botocore insists on having some.
    if host and not os.environ.get("AWS_ACCESS_KEY_ID"):
        return "local", "local"
    return None, None


def table_meta(short_name: str) -> type:
    key_id, secret = local_credentials(settings.DYNAMODB_HOST)
    full_name = table_name(short_name)

    class Meta:
        table_name = full_name
        host = settings.DYNAMODB_HOST
        region = settings.AWS_REGION
        billing_mode = "PAY_PER_REQUEST"
        connect_timeout_seconds = settings.DYNAMODB_CONNECT_TIMEOUT
        read_timeout_seconds = settings.DYNAMODB_READ_TIMEOUT
        max_retry_attempts = settings.DYNAMODB_MAX_RETRIES
        aws_access_key_id = key_id
        aws_secret_access_key = secret

    Meta.short_name = short_name
    return Meta


def table_models_register(*models: type[Model]) -> None:
    """Called by each app's ready() with the models of its tables.py."""
    for model in models:
        short_name = getattr(model.Meta, "short_name", None)
        if short_name is None:
            raise TypeError(f"{model.__name__} must use `Meta = table_meta(...)` to be registered")
        registered = _TABLE_MODELS.get(short_name)
        if registered is not None and registered is not model:
            raise ValueError(f"table {short_name!r} is registered twice: {registered.__name__} and {model.__name__}")
        _TABLE_MODELS[short_name] = model


def all_table_models() -> list[type[Model]]:
    """Every registered table model. Apps register in ready(), so ask only once Django is set up."""
    apps.check_apps_ready()
    return list(_TABLE_MODELS.values())


def configure_tables(*, host: str | None, region: str | None = None, models: Iterable[type[Model]] | None = None) -> None:
    """Point every table model at `host` (None = AWS) and drop cached connections."""
    key_id, secret = local_credentials(host)
    for model in models or all_table_models():
        model.Meta.host = host
        model.Meta.region = region or settings.AWS_REGION
        model.Meta.table_name = table_name(model.Meta.short_name)
        model.Meta.aws_access_key_id = key_id
        model.Meta.aws_secret_access_key = secret
        model._connection = None


def clients_create() -> None:
    """Create each table's botocore client now (no request is sent). PynamoDB makes one per table
    on first use; concurrent first requests would each parse botocore's service model."""
    for model in all_table_models():
        model._get_connection().connection.client


def update_quietly(record: Model, *, actions: list, condition=None) -> None:
    """UpdateItem that asks for nothing back. PynamoDB's `Model.update` always asks for the whole
    item (ALL_NEW) and parses it; a finished analysis's item is its patch scores, steps and
    explanation, which cost botocore more CPU to parse than the write itself. Use it when the
    caller reads nothing afterwards: `record` keeps its old values. Raises UpdateError as
    `Model.update` does."""
    hash_key, range_key = record._get_hash_range_key_serialized_values()
    record._get_connection().update_item(hash_key, range_key=range_key, actions=actions, condition=condition, return_values=NONE)


def check_reachable(timeout_seconds: float = 10.0) -> None:
    """Raise DynamoUnavailable with a message a person can act on, not a traceback."""
    # Any registered table carries the connection settings; listing tables needs none to exist.
    probe = all_table_models()[0]
    deadline = time.monotonic() + timeout_seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            probe._get_connection().connection.list_tables(limit=1)
            return
        except Exception as error:  # any transport or auth failure means "not reachable"
            last_error = error
            time.sleep(0.5)
    where = settings.DYNAMODB_HOST or f"AWS DynamoDB in {settings.AWS_REGION}"
    raise DynamoUnavailable(
        f"Cannot reach DynamoDB at {where} ({type(last_error).__name__}: {last_error}). "
        "Set DYNAMODB_HOST to a running DynamoDB Local (for example http://127.0.0.1:8001), "
        "or unset it and provide AWS credentials to use AWS."
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def storable(value):
    """`value` as plain Python DynamoDB can store: numpy values as numbers, tuples as lists, map
    keys as strings; NaN, infinity and numbers too large to store -> None; a float too small to
    store (a fitted weight of 1e-200) -> 0.0."""
    if isinstance(value, dict):
        return {str(key): storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > DYNAMO_LARGEST:
            return None
        if abs(value) < DYNAMO_SMALLEST:
            return 0.0
    return value
