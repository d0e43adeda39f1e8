"""On one machine the qcluster and its worker processes run at a lower CPU priority than the
web server (artguard/worker_priority.py), so history and pages are served first under load."""
import os
import time

from artguard.worker_priority import DEFAULT_WORKER_NICENESS
from tests.e2e.processes import descendants, proc_stat, process_role


def test_the_worker_host_runs_below_the_web_server(live_stack):
    by_role = {process_role(process): process for process in live_stack.processes}
    worker, web = by_role["workers"], by_role["web"]
    expected = max(os.getpriority(os.PRIO_PROCESS, 0), DEFAULT_WORKER_NICENESS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(descendants(worker.pid)) < 2:
        time.sleep(0.5)  # the cluster forks its processes one by one once Django is set up
    workers = [worker.pid, *descendants(worker.pid)]
    assert len(workers) > 2
    stats = [stat for stat in map(proc_stat, workers) if stat is not None]  # a process may exit meanwhile
    assert {stat.niceness for stat in stats} == {expected}
    assert proc_stat(web.pid).niceness == os.getpriority(os.PRIO_PROCESS, 0)
