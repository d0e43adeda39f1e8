"""A worker killed in the middle of its work loses nothing: a detection submitted through the
API while the only qcluster is frozen, then SIGKILLed (with all its children), stays PENDING
only until the stuck-record sweep (the scheduled detection task) fails it with a reason.

Its own small live stack (DynamoDB Local, runserver, qcluster) with
ARTGUARD_PENDING_TIMEOUT_MINUTES=0, so the sweep need not wait 15 minutes."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.livestack import start_live_stack
from tests.images import image_bytes

pytestmark = pytest.mark.browser

SETUP = """
import json
from accounts.services import api_token_create, user_create
from detection.apps import SWEEP_SCHEDULE_NAME
from django_q.models import Schedule
from training import pointer
user = user_create(email="killed@example.com", password="correct-horse-battery-staple")
pointer.write({"model_version": "never-loaded", "run_id": "r" * 32, "dataset_version": "v", "metrics": {},
               "is_demo": True, "promoted_at": 0, "thresholds": {"authentic_below": 0.3, "forged_above": 0.7}})
print(json.dumps({"token": api_token_create(user_id=user.user_id),
                  "sweep_scheduled": Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME, repeats=-1).exists()}))
"""
SWEEP = "from detection.tasks import inferences_sweep_stuck_task; print(inferences_sweep_stuck_task())"


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


def _signal_tree(process, sig) -> list[int]:
    pids = [process.pid, *_descendants(process.pid)]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return pids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie is dead, only not yet reaped


@pytest.fixture
def stack(tmp_path):
    stack = start_live_stack(tmp_path / "live", extra_env={"ARTGUARD_PENDING_TIMEOUT_MINUTES": "0"})
    yield stack
    stack.stop()


def test_a_killed_worker_loses_no_detection(stack):
    setup = json.loads(stack.manage("shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    assert setup["sweep_scheduled"], "the stuck-record sweep is not scheduled"
    headers = {"Authorization": f"Token {setup['token']}"}
    worker = stack.processes[1]
    assert "qcluster" in " ".join(Path(f"/proc/{worker.pid}/cmdline").read_text().split("\0"))

    _signal_tree(worker, signal.SIGSTOP)  # the worker (and its scheduler) hold still...
    response = requests.post(
        f"{stack.base_url}/api/detections/", headers=headers, timeout=30,
        files={"file": ("work.jpg", image_bytes(320, 240), "image/jpeg")},
    )
    assert response.status_code == 202, response.text
    status_url = response.json()["status_url"]
    assert requests.get(status_url, headers=headers, timeout=10).json()["status"] in ("PENDING", "PROCESSING")

    killed = _signal_tree(worker, signal.SIGKILL)  # ...and die with the task unfinished
    assert len(killed) > 1  # qcluster's sentinel, pusher, monitor and workers
    worker.wait(timeout=20)
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in killed) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in killed if _alive(pid)], "qcluster processes survived SIGKILL"
    detail = requests.get(status_url, headers=headers, timeout=10).json()
    assert detail["status"] in ("PENDING", "PROCESSING")  # not lost, not finished

    # What the scheduled sweep does every SWEEP_EVERY_MINUTES, run now.
    assert stack.manage("shell", "-c", SWEEP).stdout.strip().splitlines()[-1] == "1"
    detail = requests.get(status_url, headers=headers, timeout=10).json()
    assert detail["status"] == "FAILED"
    assert detail["failure_reason"] == "The analysis took too long and was stopped. Please upload the image again."
