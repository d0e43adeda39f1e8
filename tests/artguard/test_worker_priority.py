"""A qcluster lowers its own CPU priority once at start, so pages stay quick while it scores."""
import os
import subprocess
import sys

import pytest

from artguard.worker_priority import DEFAULT_WORKER_NICENESS, WORKER_NICENESS_ENV

PROBE = (
    "import os, sys; from artguard.worker_priority import lower_if_worker; "
    "print(lower_if_worker(sys.argv[1:]), os.getpriority(os.PRIO_PROCESS, 0))"
)


def _probe(*argv: str, niceness: str | None = None) -> str:
    env = {**os.environ}
    env.pop(WORKER_NICENESS_ENV, None)
    if niceness is not None:
        env[WORKER_NICENESS_ENV] = niceness
    return subprocess.run([sys.executable, "-c", PROBE, *argv], env=env, capture_output=True, text=True, check=True).stdout.split()


@pytest.mark.skipif(os.getpriority(os.PRIO_PROCESS, 0) >= DEFAULT_WORKER_NICENESS, reason="already running at or below the worker priority")
def test_a_qcluster_lowers_its_priority_and_nothing_else_does():
    base = str(os.getpriority(os.PRIO_PROCESS, 0))
    assert _probe("manage.py", "qcluster") == [str(DEFAULT_WORKER_NICENESS)] * 2
    assert _probe("manage.py", "qcluster", niceness="15") == ["15", "15"]
    assert _probe("manage.py", "qcluster", niceness="0") == [base, base]  # never raised, never lowered
    assert _probe("manage.py", "runserver") == ["None", base]
    assert _probe("manage.py") == ["None", base]
