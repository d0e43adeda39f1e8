"""Settings come from the environment; production settings pass Django's deploy checks."""
from tests.artguard.settings_process import run_manage, settings_value


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        ARTGUARD_ENV="prod",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-random-production-secret-value-0123456789",
        DJANGO_ALLOWED_HOSTS="artguard.example.com",
        ARTGUARD_DATA_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key(tmp_path):
    result = run_manage("check", ARTGUARD_ENV="prod", ARTGUARD_DATA_DIR=str(tmp_path))
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_env_names_tables_and_buckets():
    assert settings_value("settings.RAW_BUCKET, settings.PROCESSED_BUCKET", ARTGUARD_ENV="dev") == "('artguard-images-raw-dev', 'artguard-images-processed-dev')"
    code = "__import__('artguard.dynamo').dynamo.table_name('users')"
    assert settings_value(code, ARTGUARD_ENV="prod", DJANGO_SECRET_KEY="x" * 60) == "('artguard-users-prod',)"


def test_broker_is_selectable_for_many_hosts():
    assert settings_value("'orm' in settings.Q_CLUSTER") == "(True,)"
    assert settings_value("settings.Q_CLUSTER.get('redis')", ARTGUARD_Q_BROKER="redis", REDIS_URL="redis://queue:6379/1") == "('redis://queue:6379/1',)"
    assert settings_value("settings.Q_CLUSTER.get('sqs')", ARTGUARD_Q_BROKER="sqs") == "({'aws_region': 'ca-central-1', 'receive_message_wait_time_seconds': 5},)"


def test_s3_storage_is_selected_by_environment():
    backend = settings_value("settings.STORAGES['raw']['BACKEND'], settings.STORAGES['raw']['OPTIONS']['bucket_name']", ARTGUARD_STORAGE="s3")
    assert backend == "('artguard.s3_storage.S3Storage', 'artguard-images-raw-dev')"
