"""`bin/artguard run`, the README's first command, as a user or a service manager runs it: it
serves, and on Ctrl-C (SIGINT to the terminal's process group) or a service manager's stop
(SIGTERM to the whole group, as systemd does) every process it started is gone within seconds.
The embedded local default: DynamoDB Local, local files, a worker; no demo bootstrap here."""
from __future__ import annotations

import os
import signal
import subprocess
import time
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


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "service-stop"])
def test_run_serves_and_a_stop_leaves_no_process_behind(tmp_path, stop_signal):
    data_dir = tmp_path / "var"
    web_port, ddb_port = dynamodb_local.free_port(), dynamodb_local.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ARTGUARD_", "DJANGO_", "AWS_", "DYNAMODB_", "PYTEST"))}
    env.update(
        ARTGUARD_ENV="test", ARTGUARD_DATA_DIR=str(data_dir), ARTGUARD_PORT=str(web_port), DYNAMODB_LOCAL_PORT=str(ddb_port),
        ARTGUARD_DEMO_BOOTSTRAP="0", ARTGUARD_Q_SYNC="false", ARTGUARD_MODAL="false",
    )
    log = open(tmp_path / "run.log", "wb")
    process = subprocess.Popen([str(ROOT / "bin" / "artguard"), "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_http(f"http://127.0.0.1:{web_port}/", timeout=180, process=process)
        started = _processes_with(f"ARTGUARD_DATA_DIR={data_dir}")
        assert len(started) >= 4  # the script, DynamoDB Local (and its JVM), the worker, the web server

        os.killpg(process.pid, stop_signal)
        process.wait(timeout=40)
        deadline = time.monotonic() + 10
        while _processes_with(f"ARTGUARD_DATA_DIR={data_dir}") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_with(f"ARTGUARD_DATA_DIR={data_dir}") == [], (tmp_path / "run.log").read_text(errors="replace")[-2000:]
        assert process.returncode == 128 + stop_signal
    finally:
        for pid in _processes_with(f"ARTGUARD_DATA_DIR={data_dir}"):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
