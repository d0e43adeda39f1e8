"""Settings come from the environment; production settings pass Django's deploy checks."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ARTGUARD_", "DJANGO_"))}
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def _settings_value(expression, **env):
    code = f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','artguard.settings'); django.setup(); from django.conf import settings; print(repr(({expression},)))"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ARTGUARD_", "DJANGO_"))}
    environment.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60).stdout.strip()


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        ARTGUARD_ENV="prod",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        DJANGO_ALLOWED_HOSTS="artguard.example.com",
        ARTGUARD_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = _run_manage("check", ARTGUARD_ENV="prod", ARTGUARD_DATA_DIR=str(tmp_path))
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_env_names_tables_and_buckets():
    assert _settings_value("settings.RAW_BUCKET, settings.PROCESSED_BUCKET", ARTGUARD_ENV="dev") == "('artguard-images-raw-dev', 'artguard-images-processed-dev')"
    code = "__import__('artguard.dynamo').dynamo.table_name('users')"
    assert _settings_value(code, ARTGUARD_ENV="prod", DJANGO_SECRET_KEY="x" * 60) == "('artguard-users-prod',)"


def test_broker_is_selectable_for_many_hosts():
    assert _settings_value("'orm' in settings.Q_CLUSTER") == "(True,)"
    assert _settings_value("settings.Q_CLUSTER.get('redis')", ARTGUARD_Q_BROKER="redis", REDIS_URL="redis://queue:6379/1") == "('redis://queue:6379/1',)"
    assert _settings_value("settings.Q_CLUSTER.get('sqs')", ARTGUARD_Q_BROKER="sqs") == "({'aws_region': 'ca-central-1', 'receive_message_wait_time_seconds': 5},)"


def test_s3_storage_is_selected_by_environment():
    backend = _settings_value("settings.STORAGES['raw']['BACKEND'], settings.STORAGES['raw']['OPTIONS']['bucket_name']", ARTGUARD_STORAGE="s3")
    assert backend == "('artguard.s3_storage.S3Storage', 'artguard-images-raw-dev')"
