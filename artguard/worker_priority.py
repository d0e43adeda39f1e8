"""Background workers yield the CPU to the web tier when they share a machine.

Scoring an upload keeps every core busy for a while. On one machine (the local default, or web
and workers on one host) that made every page and history read wait behind the model. A qcluster process therefore lowers its own scheduling
priority once, at start, to ARTGUARD_WORKER_NICENESS (default 10; 0 keeps the inherited
priority). Its worker processes and their threads inherit it. The work done is the same; web
requests are served first when both want the CPU, at a small cost in throughput
(bench/bench_load.py --worker-niceness 0,10; bench/results/load.json). Priority is only ever lowered: raising it needs privileges.
"""
from __future__ import annotations

import os

from artguard.env import env_int

WORKER_NICENESS_ENV = "ARTGUARD_WORKER_NICENESS"
DEFAULT_WORKER_NICENESS = 10


def lower_if_worker(argv: list[str]) -> int | None:
    """For `manage.py qcluster`, set this process's niceness; return it (None for other commands)."""
    if len(argv) < 2 or argv[1] != "qcluster":
        return None
    wanted = min(19, env_int(WORKER_NICENESS_ENV, DEFAULT_WORKER_NICENESS))
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if wanted > current:
        os.setpriority(os.PRIO_PROCESS, 0, wanted)
    return os.getpriority(os.PRIO_PROCESS, 0)
