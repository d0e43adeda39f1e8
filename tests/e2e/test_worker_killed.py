"""A worker killed in the middle of a task loses nothing. A detection is submitted through the
API; the worker takes it and blocks in PROCESSING (the served model's model.json is a named
pipe nobody writes, so loading the model waits); the qcluster and all its children are
SIGKILLed. The record stays PROCESSING only until the stuck-record sweep (the scheduled
detection task) fails it with a reason; a restarted worker that gets the task re-delivered by
the broker leaves the failed record alone.

Its own small live stack (DynamoDB Local, runserver, qcluster) with
ARTGUARD_PENDING_TIMEOUT_MINUTES=0 (the sweep need not wait 15 minutes) and a short broker
retry (re-delivery after ARTGUARD_Q_RETRY seconds)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.livestack import ROOT, start_live_stack
from tests.images import image_bytes

pytestmark = pytest.mark.browser

SETUP = """
import json
from accounts.services import api_token_create, user_create
from detection.apps import SWEEP_SCHEDULE_NAME
from django_q.models import Schedule
from tests.training.fixtures import serve_untrained_model
user = user_create(email="killed@example.com", password="correct-horse-battery-staple")
serve_untrained_model("blocking-model")
# This test runs the sweep itself, at the moment it chooses: hold off the scheduled one.
from datetime import timedelta
from django.utils import timezone
Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME).update(next_run=timezone.now() + timedelta(hours=1))
print(json.dumps({"token": api_token_create(user_id=user.user_id),
                  "sweep_scheduled": Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME, repeats=-1).exists()}))
"""
SWEEP = "from detection.tasks import inferences_sweep_stuck_task; print(inferences_sweep_stuck_task())"
TASK_DONE = """
from django_q.models import OrmQ, Task
print(Task.objects.filter(name="detection-{id}").count(), OrmQ.objects.count())
"""
Q_RETRY_SECONDS = 20


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (state is [0], start time [19]), or None."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _signal_tree(process, sig) -> list[tuple[int, str]]:
    """Signal `process` and its descendants; return each one's (pid, start time). A pid alone
    does not name a process: PIDs wrap (pid_max is 32768 here), and a busy run reuses one within
    a minute."""
    found = [(pid, fields[19]) for pid in (process.pid, *_descendants(process.pid)) if (fields := _stat_fields(pid))]
    for pid, _ in found:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return found


def _alive(process: tuple[int, str]) -> bool:
    """Whether that process (pid and start time, from _signal_tree) still runs; a zombie is
    dead, only not yet reaped, and another process under the same pid is not it."""
    pid, started = process
    fields = _stat_fields(pid)
    return fields is not None and fields[19] == started and fields[0] not in ("Z", "X")


@pytest.fixture
def stack(tmp_path):
    stack = start_live_stack(tmp_path / "live", extra_env={
        "ARTGUARD_PENDING_TIMEOUT_MINUTES": "0", "ARTGUARD_Q_TIMEOUT": str(Q_RETRY_SECONDS - 5), "ARTGUARD_Q_RETRY": str(Q_RETRY_SECONDS),
    })
    yield stack
    stack.stop()


def test_a_killed_worker_loses_no_detection(stack):
    setup = json.loads(stack.manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    assert setup["sweep_scheduled"], "the stuck-record sweep is not scheduled"
    headers = {"Authorization": f"Token {setup['token']}"}
    worker = stack.processes[1]
    assert "qcluster" in " ".join(Path(f"/proc/{worker.pid}/cmdline").read_text().split("\0"))

    model_dir = stack.data_dir / "models" / "blocking-model"
    model_dir.mkdir(parents=True)
    os.mkfifo(model_dir / "model.json")  # opening it for reading blocks: the task hangs mid-way

    response = requests.post(
        f"{stack.base_url}/api/detections/", headers=headers, timeout=30,
        files={"file": ("work.jpg", image_bytes(320, 240), "image/jpeg")}, data={"attributed_artist": "Fixture Hand"},
    )
    assert response.status_code == 202, response.text
    status_url, inference_id = response.json()["status_url"], response.json()["id"]
    deadline = time.monotonic() + 90
    while (status := requests.get(status_url, headers=headers, timeout=10).json()["status"]) == "PENDING":
        assert time.monotonic() < deadline, "the worker never took the task"
        time.sleep(0.5)
    assert status == "PROCESSING"
    time.sleep(1)  # well inside the task now: preprocessing done, loading the model

    killed = _signal_tree(worker, signal.SIGKILL)  # ...and die with the task unfinished
    assert len(killed) > 1  # qcluster's sentinel, pusher, monitor and workers
    worker.wait(timeout=20)
    deadline = time.monotonic() + 10
    while any(_alive(process) for process in killed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [process for process in killed if _alive(process)], "qcluster processes survived SIGKILL"
    detail = requests.get(status_url, headers=headers, timeout=10).json()
    assert detail["status"] == "PROCESSING"  # not lost, not finished

    # What the scheduled sweep does every SWEEP_EVERY_MINUTES, run now.
    assert stack.manage("shell", "-c", SWEEP).stdout.strip().splitlines()[-1] == "1"
    detail = requests.get(status_url, headers=headers, timeout=10).json()
    assert detail["status"] == "FAILED"
    assert detail["failure_reason"] == "The analysis took too long and was stopped. Please upload the image again."

    # A restarted worker gets the unacknowledged task re-delivered and leaves the record alone.
    log = open(stack.data_dir / "worker-restarted.log", "ab")
    stack.processes.insert(1, subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=stack.env,
                                               stdout=log, stderr=subprocess.STDOUT))
    deadline = time.monotonic() + Q_RETRY_SECONDS + 60
    while True:
        done, queued = map(int, stack.manage("shell", "-c", TASK_DONE.format(id=inference_id)).stdout.split()[-2:])
        if done:
            break
        assert time.monotonic() < deadline, f"the task was not re-delivered ({queued} queued)\n{stack.log_tail('worker-restarted')}"
        time.sleep(3)
    detail = requests.get(status_url, headers=headers, timeout=10).json()
    assert detail["status"] == "FAILED" and detail["failure_reason"]
