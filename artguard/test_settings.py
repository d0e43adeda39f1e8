"""Settings for the test suite: ARTGUARD_ENV=test, fake AWS credentials for moto, tasks run
synchronously. Table host and storage folders are set per test by tests/conftest.py."""
import os

os.environ.setdefault("ARTGUARD_ENV", "test")
for _name, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ca-central-1",
}.items():
    os.environ.setdefault(_name, _value)
# Tests never reach real AWS: an unset host means moto.
os.environ.pop("DYNAMODB_HOST", None)
os.environ.pop("ANTHROPIC_API_KEY", None)
os.environ.setdefault("ARTGUARD_MODAL", "false")

from artguard.settings import *  # noqa: E402,F401,F403
