"""Is ArtGuard able to serve? One check per outside service, each quick (short timeouts, no
retries) and each failing with a message that names the variable to fix.

    /readyz (artguard.health_views)        every check, as JSON, 200 or 503
    manage.py check_services (start-up)    the services only, one clear message, exit 1

The three services are checked here; an app adds its own readiness check with
`register_check(name, function)` from its AppConfig.ready() (training adds "model").
A check returns a short description when ready and raises NotReady otherwise.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from django.conf import settings

CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0


class NotReady(Exception):
    """A service or resource is not usable; the message says which variable to check."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def _boto_config():
    from botocore.config import Config

    return Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS, retries={"max_attempts": 1})


def _failure(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


# --- DynamoDB -------------------------------------------------------------------------------------
def check_dynamodb(*, require_tables: bool = True) -> str:
    import boto3
    from botocore.exceptions import ClientError

    from artguard.dynamo import local_credentials, table_name

    key_id, secret = local_credentials(settings.DYNAMODB_HOST)
    client = boto3.client(
        "dynamodb", region_name=settings.AWS_REGION, endpoint_url=settings.DYNAMODB_HOST,
        aws_access_key_id=key_id, aws_secret_access_key=secret, config=_boto_config(),
    )
    where = settings.DYNAMODB_HOST or f"AWS DynamoDB in {settings.AWS_REGION}"
    users = table_name("users")
    try:
        client.describe_table(TableName=users)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise NotReady(f"DynamoDB at {where} refused the request ({_failure(error)}); check AWS credentials and AWS_REGION.") from None
        if require_tables:
            raise NotReady(f"DynamoDB at {where} has no table {users}; run `manage.py provision_storage`.") from None
    except Exception as error:  # connection refused, timeout, bad URL: all mean "not there"
        raise NotReady(
            f"Cannot reach DynamoDB at {where} ({_failure(error)}). Check DYNAMODB_HOST "
            "(unset means AWS itself, with AWS credentials and AWS_REGION)."
        ) from None
    return f"reachable at {where}"


# --- Image storage ------------------------------------------------------------------------------
def check_storage(*, require_buckets: bool = True) -> str:
    if settings.STORAGE_BACKEND == "s3":
        return _check_s3(require_buckets=require_buckets)
    for name in ("raw", "processed"):
        location = settings.STORAGES[name]["OPTIONS"]["location"]
        if not os.path.isdir(location):
            if require_buckets:
                raise NotReady(f"The {name} image folder {location} is missing; run `manage.py provision_storage` (or check ARTGUARD_DATA_DIR).")
            continue
        if not os.access(location, os.W_OK):
            raise NotReady(f"The {name} image folder {location} is not writable; check ARTGUARD_DATA_DIR.")
    return "local folders"


def _check_s3(*, require_buckets: bool) -> str:
    import boto3
    from botocore.exceptions import ClientError

    client = boto3.client("s3", region_name=settings.AWS_REGION, endpoint_url=settings.AWS_S3_ENDPOINT_URL, config=_boto_config())
    where = settings.AWS_S3_ENDPOINT_URL or f"AWS S3 in {settings.AWS_REGION}"
    for variable, bucket in (("ARTGUARD_RAW_BUCKET", settings.RAW_BUCKET), ("ARTGUARD_PROCESSED_BUCKET", settings.PROCESSED_BUCKET)):
        try:
            client.head_bucket(Bucket=bucket)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in {"404", "NoSuchBucket", "NotFound"}:
                if require_buckets:
                    raise NotReady(f"S3 bucket {bucket} does not exist at {where}; run `manage.py provision_storage` or check {variable}.") from None
                continue
            raise NotReady(f"S3 at {where} refused bucket {bucket} ({code}); check AWS credentials and {variable}.") from None
        except Exception as error:
            raise NotReady(
                f"Cannot reach S3 at {where} ({_failure(error)}). Check AWS_S3_ENDPOINT_URL "
                "(unset means AWS itself) or set ARTGUARD_STORAGE=local."
            ) from None
    return f"S3 at {where}"


# --- Task broker ----------------------------------------------------------------------------------
def check_broker() -> str:
    broker = settings.Q_BROKER
    if broker == "redis":
        return _check_redis(settings.Q_CLUSTER["redis"])
    if broker == "sqs":
        return _check_sqs()
    from django.db import connection

    try:
        connection.ensure_connection()
    except Exception as error:
        raise NotReady(f"The ORM task broker's database cannot be opened ({_failure(error)}); check ARTGUARD_SQLITE_PATH.") from None
    return "ORM broker on the local database"


def _check_redis(url: str) -> str:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT_SECONDS, socket_timeout=READ_TIMEOUT_SECONDS).ping()
    except Exception as error:
        raise NotReady(f"Cannot reach the Redis task broker at {url} ({_failure(error)}); check REDIS_URL.") from None
    return f"Redis at {url}"


def _check_sqs() -> str:
    import boto3
    from botocore.exceptions import ClientError

    # django-q2 builds its own boto3 session, which reads AWS_ENDPOINT_URL_SQS itself; so does this.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or os.environ.get("AWS_ENDPOINT_URL")
    where = endpoint or f"AWS SQS in {settings.AWS_REGION}"
    client = boto3.client("sqs", region_name=settings.AWS_REGION, config=_boto_config())
    try:
        client.get_queue_url(QueueName=settings.Q_CLUSTER["name"])
    except ClientError as error:
        code = error.response["Error"]["Code"]
        if code not in {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}:  # django-q2 creates it
            raise NotReady(f"SQS at {where} refused the request ({code}); check AWS credentials and AWS_REGION.") from None
    except Exception as error:
        raise NotReady(
            f"Cannot reach the SQS task broker at {where} ({_failure(error)}); check AWS_ENDPOINT_URL_SQS "
            "(unset means AWS itself) and AWS_REGION."
        ) from None
    return f"SQS at {where}"


# --- All checks ----------------------------------------------------------------------------------
SERVICE_CHECKS: dict[str, Callable[[], str]] = {
    "dynamodb": check_dynamodb,
    "storage": check_storage,
    "broker": check_broker,
}
_app_checks: dict[str, Callable[[], str]] = {}


def register_check(name: str, check: Callable[[], str]) -> None:
    """Add a readiness check from an app (called from its AppConfig.ready())."""
    _app_checks[name] = check


def run_checks() -> list[CheckResult]:
    """Every check, services first; a failure of one does not stop the others."""
    results = []
    for name, check in {**SERVICE_CHECKS, **_app_checks}.items():
        try:
            results.append(CheckResult(name, True, check()))
        except NotReady as error:
            results.append(CheckResult(name, False, str(error)))
        except Exception as error:  # a check's own bug must not turn /readyz into a 500
            results.append(CheckResult(name, False, _failure(error)))
    return results


def wait_for_services(timeout_seconds: float) -> list[str]:
    """Start-up: until DynamoDB, storage and the broker answer (tables and buckets may still be
    missing: provisioning creates them). Raises NotReady with the first service's message."""
    deadline = time.monotonic() + timeout_seconds
    checks = (
        lambda: check_dynamodb(require_tables=False),
        lambda: check_storage(require_buckets=False),
        check_broker,
    )
    reports = []
    for check in checks:
        while True:
            try:
                reports.append(check())
                break
            except NotReady:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.5)
    return reports
