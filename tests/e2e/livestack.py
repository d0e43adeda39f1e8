"""A real ArtGuard on loopback for end-to-end tests: its own DynamoDB Local (in memory), local
storage in a temporary folder, gunicorn and a `qcluster` worker as subprocesses, exactly the
processes `bin/artguard run` starts. Nothing is faked; tests talk to it over HTTP."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from artguard import dynamodb_local, supervise

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveStack:
    base_url: str
    data_dir: Path
    env: dict
    processes: list = field(default_factory=list)

    def manage(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
        """Run a management command against the live stack's tables and storage."""
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=check,
        )

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def log_tail(self, name: str, lines: int = 60) -> str:
        path = self.data_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def start_live_stack(data_dir: Path, *, extra_env: dict | None = None) -> LiveStack:
    data_dir.mkdir(parents=True, exist_ok=True)
    ddb_port, web_port = dynamodb_local.free_port(), dynamodb_local.free_port()
    stack = LiveStack(base_url=f"http://127.0.0.1:{web_port}", data_dir=data_dir, env={})
    ddb = dynamodb_local.start(port=ddb_port, db_path=None, log_path=data_dir / "dynamodb.log")
    stack.processes.append(ddb)
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("ARTGUARD_", "DJANGO_", "AWS_", "ANTHROPIC_", "PYTEST"))
    }
    env.update({
        "DJANGO_SETTINGS_MODULE": "artguard.settings",
        "ARTGUARD_ENV": "test",
        "ARTGUARD_DATA_DIR": str(data_dir),
        "ARTGUARD_Q_SYNC": "false",
        "ARTGUARD_MODAL": "false",
        "ARTGUARD_DEMO_BOOTSTRAP": "false",
        "ARTGUARD_HOST": "127.0.0.1",
        "ARTGUARD_PORT": str(web_port),
        "DYNAMODB_HOST": f"http://127.0.0.1:{ddb_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "ca-central-1",
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    })
    stack.env = env
    try:
        stack.manage("migrate", "--noinput", "-v", "0")
        stack.manage("provision_storage")
        stack.manage("collectstatic", "--noinput", "-v", "0")
        for name, argv in (
            ("worker", [sys.executable, "manage.py", "qcluster"]),
            ("web", supervise.web_argv()),  # gunicorn, on ARTGUARD_HOST:ARTGUARD_PORT
        ):
            log = open(data_dir / f"{name}.log", "ab")
            stack.processes.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        wait_http(stack.base_url + "/", timeout=240)  # two gunicorn workers import Django; generous on a shared, busy machine
    except Exception:
        stack.stop()
        raise
    return stack


def wait_http(url: str, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers at all (any HTTP status); fails early if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode} before {url} answered")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
