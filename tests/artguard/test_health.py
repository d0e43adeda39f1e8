"""/healthz, /readyz and the start-up check: real services where they are cheap (moto's
DynamoDB, S3 and SQS in-process, a real redis-server, local folders), dead ports for outages."""
from __future__ import annotations

import shutil
import subprocess

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from artguard import dynamodb_local
from artguard.provisioning import storage_provision


def _dead_url(scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{dynamodb_local.free_port()}"  # a free port: nothing listens


@pytest.fixture
def provisioned(storage_dirs, db):
    storage_provision()  # tables (moto) and the local image folders


@pytest.fixture
def redis_url():
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    port = dynamodb_local.free_port()
    process = subprocess.Popen([server, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            import time

            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_healthz_answers_whatever_the_host_and_without_touching_a_service(client, settings):
    settings.ALLOWED_HOSTS = ["artguard.example"]
    settings.SECURE_SSL_REDIRECT = True  # as in production: a plain-HTTP probe is not redirected
    settings.DYNAMODB_HOST = _dead_url()
    response = client.get("/healthz", HTTP_HOST="10.0.3.17")  # a load balancer probes the instance address
    assert response.status_code == 200 and response.json() == {"status": "alive"}
    assert response["Cache-Control"] == "no-store"


def test_readyz_without_a_promoted_model_is_503_and_says_so(client, provisioned):
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert list(checks) == ["dynamodb", "storage", "broker", "model"]
    assert [name for name, check in checks.items() if not check["ok"]] == ["model"]
    assert "promote" in checks["model"]["detail"]


@pytest.mark.slow
def test_readyz_with_every_service_and_a_promoted_model_is_200(client, provisioned, promoted_model):
    response = client.get("/readyz", HTTP_HOST="10.0.3.17")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert promoted_model.model_version in body["checks"]["model"]["detail"]


def test_readyz_names_the_variable_of_each_service_that_is_down(client, provisioned, settings):
    settings.DYNAMODB_HOST = _dead_url()
    settings.Q_BROKER, settings.Q_CLUSTER = "redis", {**settings.Q_CLUSTER, "redis": _dead_url("redis") + "/0"}
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert not checks["dynamodb"]["ok"] and "DYNAMODB_HOST" in checks["dynamodb"]["detail"]
    assert not checks["broker"]["ok"] and "REDIS_URL" in checks["broker"]["detail"]
    assert checks["storage"]["ok"]  # one service down does not hide the state of the others


def test_readyz_says_when_tables_or_buckets_were_never_provisioned(client, settings, db):
    from artguard.dynamo import all_table_models

    for model in all_table_models():
        model.delete_table()
    settings.STORAGE_BACKEND = "s3"
    checks = client.get("/readyz").json()["checks"]
    assert "provision_storage" in checks["dynamodb"]["detail"]
    assert "provision_storage" in checks["storage"]["detail"] and settings.RAW_BUCKET in checks["storage"]["detail"]


def test_readyz_on_s3_after_provisioning(client, settings, provisioned):
    settings.STORAGE_BACKEND = "s3"
    storage_provision()  # the two buckets, in moto
    assert client.get("/readyz").json()["checks"]["storage"] == {"ok": True, "detail": f"S3 at AWS S3 in {settings.AWS_REGION}"}


def test_probes_only_answer_get(client):
    assert client.post("/healthz").status_code == 405


# --- start-up: one clear message naming the variable -----------------------------------------------
@pytest.mark.parametrize(
    ("configure", "variable"),
    [
        (lambda settings, monkeypatch: setattr(settings, "DYNAMODB_HOST", _dead_url()), "DYNAMODB_HOST"),
        (lambda settings, monkeypatch: (setattr(settings, "STORAGE_BACKEND", "s3"), setattr(settings, "AWS_S3_ENDPOINT_URL", _dead_url())), "AWS_S3_ENDPOINT_URL"),
        (lambda settings, monkeypatch: (setattr(settings, "Q_BROKER", "redis"), setattr(settings, "Q_CLUSTER", {"redis": _dead_url("redis") + "/0"})), "REDIS_URL"),
        (lambda settings, monkeypatch: (setattr(settings, "Q_BROKER", "sqs"), monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", _dead_url())), "AWS_ENDPOINT_URL_SQS"),
    ],
    ids=["dynamodb", "s3", "redis", "sqs"],
)
def test_check_services_names_the_variable_of_the_service_that_is_down(settings, monkeypatch, configure, variable):
    configure(settings, monkeypatch)
    with pytest.raises(CommandError) as error:
        call_command("check_services", "--timeout", "0")
    message = str(error.value)
    assert variable in message and "Traceback" not in message


def test_check_services_passes_before_provisioning_with_sqs(settings, capsys, db):
    """At start the tables, buckets and queue may not exist yet: reachable is enough."""
    from artguard.dynamo import all_table_models

    for model in all_table_models():
        model.delete_table()
    settings.STORAGE_BACKEND, settings.Q_BROKER = "s3", "sqs"
    call_command("check_services", "--timeout", "0")
    assert "SQS at AWS SQS" in capsys.readouterr().out
    boto3.client("sqs", region_name=settings.AWS_REGION).create_queue(QueueName=settings.Q_CLUSTER["name"])
    call_command("check_services", "--timeout", "0")


def test_check_services_with_a_live_redis(settings, redis_url, capsys, db):
    settings.Q_BROKER, settings.Q_CLUSTER = "redis", {**settings.Q_CLUSTER, "redis": redis_url}
    call_command("check_services", "--timeout", "0")
    assert f"Redis at {redis_url}" in capsys.readouterr().out
