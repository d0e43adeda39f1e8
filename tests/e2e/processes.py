"""The live stacks' processes as Linux sees them, read from /proc: each one's role, its
descendants, niceness and CPU time. Used by the e2e tests (worker priority) and bench_load
(where the CPU goes under load).

A tree's CPU time is its root's user + system time, including children it has reaped, plus the
same for every live descendant; a descendant that exited and was reaped is already in its
parent's figure."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    parent: int
    niceness: int
    cpu_seconds: float  # the process's own and its reaped children's


def proc_stat(pid: int) -> ProcStat | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; comm may hold spaces
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return ProcStat(parent=int(fields[1]), niceness=int(fields[16]), cpu_seconds=(utime + stime + cutime + cstime) / TICKS)


def _table() -> dict[int, ProcStat]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = proc_stat(int(entry))
            if stat is not None:
                table[int(entry)] = stat
    return table


def _tree(root: int, table: dict[int, ProcStat]) -> list[int]:
    """`root` (if it exists) and every live descendant."""
    children: dict[int, list[int]] = {}
    for pid, stat in table.items():
        children.setdefault(stat.parent, []).append(pid)
    found, frontier = [], [root] if root in table else []
    while frontier:
        found += frontier
        frontier = [child for pid in frontier for child in children.get(pid, [])]
    return found


def descendants(root: int) -> list[int]:
    return _tree(root, _table())[1:]


def tree_cpu_seconds(roots: dict[str, int]) -> dict[str, float]:
    """CPU seconds per named root pid, each over its whole live process tree."""
    table = _table()
    return {name: sum(table[pid].cpu_seconds for pid in _tree(root, table)) for name, root in roots.items()}


def own_cpu_seconds() -> float:
    """This process's CPU seconds, all threads (the load generator's own cost)."""
    times = os.times()
    return times.user + times.system


def process_role(process) -> str:
    """What a stack's subprocess (a Popen) is, from its command line."""
    argv = " ".join(map(str, process.args))
    for needle, role in (("qcluster", "workers"), ("gunicorn", "web"), ("DynamoDB", "dynamodb"),
                         ("redis-server", "redis"), ("moto.server", "moto")):
        if needle in argv:
            return role
    return "other"
