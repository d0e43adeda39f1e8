"""`bin/artguard run`, the README's first command, as a user or a service manager runs it: it
serves through gunicorn (static files included), and on Ctrl-C (SIGINT to the terminal's
process group) or a service manager's stop (SIGTERM to the whole group, as systemd does) every
process it started is gone within seconds, whatever signal dispositions it inherited: each
case sets the child's own (SIGINT default, or ignored as under `nohup cmd &`), so the result
does not depend on how this test run was started.
The embedded local default: DynamoDB Local, local files, a worker; no demo bootstrap here."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from artguard import dynamodb_local
from tests.e2e.livestack import ROOT, wait_http

pytestmark = pytest.mark.browser  # the live-stack tier


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries `marker` (every process the run command started does)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _run_env(data_dir: Path, **extra: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ARTGUARD_", "DJANGO_", "AWS_", "DYNAMODB_", "PYTEST", "REDIS_"))}
    env.update(
        ARTGUARD_ENV="test", ARTGUARD_DATA_DIR=str(data_dir), ARTGUARD_DEMO_BOOTSTRAP="0", ARTGUARD_Q_SYNC="false",
        ARTGUARD_MODAL="false", **extra,
    )
    return env


def _with_sigint(disposition):
    def preexec():  # in the child, before exec: what it inherits from "whoever started it"
        signal.signal(signal.SIGINT, disposition)
    return preexec


def _get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# ARTGUARD_RUN_COMMAND_REPEAT=20 runs every case 20 times (proof that a stop is not luck).
REPEAT = max(1, int(os.environ.get("ARTGUARD_RUN_COMMAND_REPEAT", "1")))
STOPS = [("ctrl-c", signal.SIGINT, signal.SIG_DFL), ("ctrl-c-after-nohup", signal.SIGINT, signal.SIG_IGN),
         ("service-stop", signal.SIGTERM, signal.SIG_DFL)]


@pytest.mark.parametrize(
    ("stop_signal", "inherited_sigint"),
    [pytest.param(stop, sigint, id=name if REPEAT == 1 else f"{name}-{n}") for n in range(1, REPEAT + 1) for name, stop, sigint in STOPS],
)
def test_run_serves_and_a_stop_leaves_no_process_behind(tmp_path, stop_signal, inherited_sigint):
    data_dir = tmp_path / "var"
    web_port, ddb_port = dynamodb_local.free_port(), dynamodb_local.free_port()
    env = _run_env(data_dir, ARTGUARD_PORT=str(web_port), DYNAMODB_LOCAL_PORT=str(ddb_port))
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "bin" / "artguard"), "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=_with_sigint(inherited_sigint),
        )
    base = f"http://127.0.0.1:{web_port}"
    try:
        # A bound against a hang, not a speed check: set-up can take minutes on a busy machine.
        wait_http(base + "/", timeout=900, process=process)
        started = _processes_with(f"ARTGUARD_DATA_DIR={data_dir}")
        assert len(started) >= 4  # the supervisor, DynamoDB Local, the worker, gunicorn (and its workers)

        # Served by gunicorn, static files included, as in production.
        status, headers, _ = _get(base + "/static/artguard.css")
        assert status == 200 and headers["Server"].startswith("gunicorn")
        # Probes: alive; not ready only for want of a promoted model (no demo bootstrap here).
        assert _get(base + "/healthz")[0] == 200
        status, _, body = _get(base + "/readyz")
        checks = json.loads(body)["checks"]
        assert status == 503 and {name for name, check in checks.items() if not check["ok"]} == {"model"}, checks

        os.killpg(process.pid, stop_signal)
        process.wait(timeout=120)  # the supervisor kills what is left after ARTGUARD_STOP_GRACE per tier
        deadline = time.monotonic() + 10
        while _processes_with(f"ARTGUARD_DATA_DIR={data_dir}") and time.monotonic() < deadline:
            time.sleep(0.2)
        output = log_path.read_text(errors="replace")
        assert _processes_with(f"ARTGUARD_DATA_DIR={data_dir}") == [], output[-2000:]
        assert process.returncode == 128 + stop_signal, output[-2000:]
        assert "development server" not in output
    finally:
        for pid in _processes_with(f"ARTGUARD_DATA_DIR={data_dir}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_run_with_its_broker_down_says_which_variable_and_leaves_nothing_running(tmp_path):
    data_dir = tmp_path / "var"
    dead_redis = f"redis://127.0.0.1:{dynamodb_local.free_port()}/0"  # nothing listens there
    env = _run_env(
        data_dir, ARTGUARD_PORT=str(dynamodb_local.free_port()), DYNAMODB_LOCAL_PORT=str(dynamodb_local.free_port()),
        ARTGUARD_Q_BROKER="redis", REDIS_URL=dead_redis,
    )
    try:
        result = subprocess.run(
            [str(ROOT / "bin" / "artguard"), "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
            start_new_session=True,
        )
        output = result.stdout + result.stderr
        assert result.returncode != 0
        assert f"Cannot reach the Redis task broker at {dead_redis}" in output and "check REDIS_URL" in output, output[-2000:]
        assert "Traceback" not in output
        assert _processes_with(f"ARTGUARD_DATA_DIR={data_dir}") == []  # DynamoDB Local, started first, is gone
    finally:
        for pid in _processes_with(f"ARTGUARD_DATA_DIR={data_dir}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
