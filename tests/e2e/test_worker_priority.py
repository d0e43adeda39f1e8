"""On one machine the qcluster and its worker processes run at a lower CPU priority than the
web server (artguard/worker_priority.py), so history and pages are served first under load."""
import os
import time
from pathlib import Path

from artguard.worker_priority import DEFAULT_WORKER_NICENESS


def _stat(pid: int) -> tuple[int, int]:
    """(parent pid, niceness) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[16])


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = _stat(int(entry.name))[0]
            except (OSError, IndexError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def test_the_worker_host_runs_below_the_web_server(live_stack):
    by_role = {("worker" if "qcluster" in process.args else "web" if "gunicorn" in " ".join(map(str, process.args)) else "other"): process
               for process in live_stack.processes}
    worker, web = by_role["worker"], by_role["web"]
    expected = max(os.getpriority(os.PRIO_PROCESS, 0), DEFAULT_WORKER_NICENESS)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _descendants(worker.pid):
        time.sleep(0.5)  # the cluster forks its workers once Django is set up
    workers = [worker.pid, *_descendants(worker.pid)]
    assert len(workers) > 2
    assert {_stat(pid)[1] for pid in workers} == {expected}
    assert _stat(web.pid)[1] == os.getpriority(os.PRIO_PROCESS, 0)
