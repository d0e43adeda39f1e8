"""The supervisor's stop rules on small real processes (the full run command is in
tests/e2e/test_run_command.py): a stop signal is honoured even when SIGINT was inherited
ignored; each service gets one TERM; a service that ignores it is killed with its whole group
after the grace period; a service that dies stops the rest."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A supervisor with three services: a polite one (counts the TERMs it gets), a stubborn one that
# ignores TERM and has a child in its group, and DynamoDB Local's stand-in (infrastructure).
SCRIPT = textwrap.dedent("""
    import sys
    from artguard import supervise

    polite = '''
    import signal, sys, time
    def stop(*_):
        open(sys.argv[1], "a").write("TERM\\\\n"); sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    open(sys.argv[2], "w").write("up")
    while True: time.sleep(1)
    '''
    out = sys.argv[1]
    supervisor = supervise.Supervisor(grace_seconds=float(sys.argv[2]))
    supervisor.install_signal_handlers()
    code = 0
    try:
        supervisor.start("infrastructure", [sys.executable, "-c", polite, out + "/infra.terms", out + "/infra.up"], infrastructure=True)
        supervisor.start("polite", [sys.executable, "-c", polite, out + "/polite.terms", out + "/polite.up"])
        if sys.argv[3] == "stubborn":
            supervisor.start("stubborn", ["bash", "-c", "trap '' TERM; sleep 300 & echo $! > " + out + "/grandchild.pid; touch " + out + "/stubborn.up; wait"])
        else:
            supervisor.start("short-lived", ["bash", "-c", "sleep 1; exit 3"])
        supervisor.watch()
    except supervise.Stopped as stopped:
        code = stopped.code
        print(stopped.reason, flush=True)
    finally:
        supervisor.stop_all()
    sys.exit(code)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.split(")")[1].split()[0] != "Z"


def _wait_for(path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout  # a hang guard; start-up is slow on a busy machine
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


def _start(tmp_path, grace: float, mode: str) -> subprocess.Popen:
    def inherit_sigint_ignored():  # as under `nohup cmd &` from a script
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(grace), mode], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=inherit_sigint_ignored,
    )


def test_ctrl_c_with_sigint_inherited_ignored_stops_everything_and_kills_the_stubborn_group(tmp_path):
    supervisor = _start(tmp_path, grace=2.0, mode="stubborn")
    for name in ("infra.up", "polite.up", "stubborn.up", "grandchild.pid"):
        _wait_for(tmp_path / name)
    grandchild = int((tmp_path / "grandchild.pid").read_text())

    os.killpg(supervisor.pid, signal.SIGINT)  # a terminal's Ctrl-C: only the supervisor's group
    output, _ = supervisor.communicate(timeout=120)

    assert supervisor.returncode == 130
    assert "stubborn did not stop within 2s; killing it" in output
    assert not _alive(grandchild)  # killed with its group, though its leader ignored TERM
    assert (tmp_path / "polite.terms").read_text() == "TERM\n"  # exactly one TERM each
    assert (tmp_path / "infra.terms").read_text() == "TERM\n"


def test_a_service_that_exits_stops_the_others(tmp_path):
    supervisor = _start(tmp_path, grace=5.0, mode="short-lived")
    output, _ = supervisor.communicate(timeout=120)
    assert supervisor.returncode == 1
    assert "short-lived exited with status 3" in output
    assert (tmp_path / "polite.terms").read_text() == "TERM\n"
    assert (tmp_path / "infra.terms").read_text() == "TERM\n"
