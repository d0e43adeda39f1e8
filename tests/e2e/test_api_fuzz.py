"""API fuzzing: schemathesis generates requests from our own OpenAPI schema against the live
server (token authentication): no 5xx, every status code and body as the schema says.

Run on its own: `.venv/bin/python -m pytest tests/e2e/test_api_fuzz.py`."""
import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.livestack import ROOT

import pytest

pytestmark = pytest.mark.browser  # the live-stack tier

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
TOKEN = """
from accounts.services import user_create, api_token_create
user = user_create(email="fuzzer@example.com", password="correct-horse-battery-staple")
print(api_token_create(user_id=user.user_id))
"""


def test_api_holds_its_schema_under_generated_requests(live_stack, tmp_path):
    token = live_stack.manage("shell", "-c", TOKEN).stdout.strip().splitlines()[-1]
    report = ROOT / "test-artifacts" / "schemathesis.json"
    report.parent.mkdir(exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("schemathesis")), "run", f"{live_stack.base_url}/api/schema/",
        "--header", f"Authorization: Token {token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", "25", "--seed", "7", "--workers", "1",
        "--request-timeout", "30", "--max-time", "150", "--rate-limit", "auto",
        "--report", "json", "--report-json-path", str(report),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=420)
    output = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, output
    assert "passed" in output.lower(), output
    if report.exists():
        summary = json.loads(report.read_text())
        assert summary, output
