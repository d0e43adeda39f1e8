"""The process supervisor behind `bin/artguard run` and `bin/artguard manage`.

    python -m artguard.supervise run                 DynamoDB Local, start-up checks, worker, gunicorn
    python -m artguard.supervise manage <command>    one management command (starts DynamoDB Local if none runs)

Why Python and not the shell: a shell cannot trap a signal that was ignored when it started,
and a command started by nohup, `cmd &` in a script or some process managers inherits SIGINT
ignored. Here SIGINT, SIGTERM and SIGHUP get explicit handlers whatever was inherited (and,
being caught rather than ignored, they are back to their defaults in every child at exec).

Every service runs in its own session and process group, so a terminal's Ctrl-C reaches only
this process, which then stops each service exactly once: SIGTERM to the service's leader
(gunicorn's master, the qcluster, the JVM), which stops its own workers; whatever is left of
the group ARTGUARD_STOP_GRACE seconds later is killed. A service sent two signals at once can
hang in its own shutdown (django-q2's cluster does), hence one signal, to the leader only.
A second stop signal skips the rest of the grace period.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from artguard import dynamodb_local
from artguard.env import env_bool, env_float, env_str

ROOT = Path(__file__).resolve().parent.parent
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_SECONDS = 0.2


def log(message: str) -> None:
    print(f"\033[1m[artguard]\033[0m {message}", flush=True)


def manage_argv(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def web_argv() -> list[str]:
    """gunicorn with ArtGuard's settings (artguard/gunicorn_conf.py), as on a production host."""
    return [sys.executable, "-m", "gunicorn", "--config", "python:artguard.gunicorn_conf", "artguard.wsgi:application"]


class Stopped(Exception):
    """The run ends: a stop signal, a failed step or a service that exited. `code` is the exit status."""

    def __init__(self, code: int, reason: str = ""):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    infrastructure: bool = False  # stopped after the others, which may still need it to finish


class Supervisor:
    def __init__(self, *, grace_seconds: float):
        self.grace_seconds = grace_seconds
        self.services: list[Service] = []
        self.stop_signal: int | None = None
        self.hurry = False
        self._stopped = False

    # --- signals ----------------------------------------------------------------------------------
    def install_signal_handlers(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        # Only record it: the main loop notices within POLL_SECONDS. Raising from here could
        # land between a fork and the bookkeeping of the child, and lose the child.
        if self.stop_signal is None:
            self.stop_signal = signum
        else:
            self.hurry = True

    def raise_if_stopping(self) -> None:
        if self.stop_signal is not None:
            raise Stopped(128 + self.stop_signal, f"stopping on {signal.Signals(self.stop_signal).name}")

    # --- processes --------------------------------------------------------------------------------
    def start(self, name: str, argv: list[str], *, log_path: Path | None = None, cwd: Path = ROOT, infrastructure: bool = False) -> Service:
        self.raise_if_stopping()
        output = open(log_path, "ab") if log_path else None
        try:
            process = subprocess.Popen(argv, cwd=cwd, stdout=output, stderr=subprocess.STDOUT if output else None, start_new_session=True)
        finally:
            if output:
                output.close()
        service = Service(name, process, infrastructure)
        self.services.append(service)
        return service

    def step(self, name: str, argv: list[str], *, quiet: bool = False) -> int:
        """Run a one-off command to its end (stoppable like a service); raise Stopped if it fails."""
        code = self.step_status(name, argv, quiet=quiet)
        if code != 0:
            raise Stopped(code if 0 < code < 128 else 1, f"{name} failed; see the message above")
        return code

    def step_status(self, name: str, argv: list[str], *, quiet: bool = False) -> int:
        output = subprocess.DEVNULL if quiet else None
        self.raise_if_stopping()
        process = subprocess.Popen(argv, cwd=ROOT, stdout=output, stderr=output, start_new_session=True)
        service = Service(name, process)
        self.services.append(service)
        try:
            while process.poll() is None:
                self.raise_if_stopping()
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is not None:
                self.services.remove(service)
        return process.returncode

    def watch(self) -> None:
        """Until a stop signal, or until a service exits on its own (then everything stops)."""
        while True:
            self.raise_if_stopping()
            for service in self.services:
                if service.process.poll() is not None:
                    raise Stopped(1, f"{service.name} exited with status {service.process.returncode}")
            time.sleep(POLL_SECONDS)

    def wait_until(self, ready, *, what: str, timeout: float, service: Service) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            self.raise_if_stopping()
            if service.process.poll() is not None:
                raise Stopped(1, f"{service.name} exited with status {service.process.returncode} before {what}")
            if time.monotonic() > deadline:
                raise Stopped(1, f"{what} did not happen within {timeout:.0f}s")
            time.sleep(POLL_SECONDS)

    def stop_all(self) -> None:
        """Stop every process started, each exactly once: web, worker and any step together,
        then DynamoDB Local (a worker finishing a task still writes to it). Runs at most once."""
        if self._stopped:
            return
        self._stopped = True
        for infrastructure in (False, True):
            tier = [service for service in self.services if service.infrastructure is infrastructure]
            deadline = time.monotonic() + self.grace_seconds
            for service in tier:
                if service.process.poll() is None:
                    _signal_leader(service.process, signal.SIGTERM)
            for service in tier:
                while service.process.poll() is None and time.monotonic() < deadline and not self.hurry:
                    time.sleep(POLL_SECONDS / 2)
                if service.process.poll() is None:
                    log(f"{service.name} did not stop within {self.grace_seconds:.0f}s; killing it")
                _kill_group(service.process)  # its workers too, if the leader left any behind
                service.process.wait()


def _signal_leader(process: subprocess.Popen, signum: int) -> None:
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group id is the leader's pid (own session)
    except (ProcessLookupError, PermissionError):
        pass


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b"{}"), timeout=2)
        return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means it is up
    except OSError:
        return False


def _data_dir() -> Path:
    path = Path(env_str("ARTGUARD_DATA_DIR", str(ROOT / "var" / os.environ["ARTGUARD_ENV"]))).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start_dynamodb_local(supervisor: Supervisor, data_dir: Path) -> None:
    port = int(env_str("DYNAMODB_LOCAL_PORT", "8001"))
    log(f"starting DynamoDB Local on port {port} (data in {data_dir / 'dynamodb'})")
    argv = dynamodb_local.command(port=port, db_path=data_dir / "dynamodb")
    service = supervisor.start("DynamoDB Local", argv, log_path=data_dir / "dynamodb.log", cwd=dynamodb_local.DEFAULT_HOME, infrastructure=True)
    try:
        supervisor.wait_until(lambda: _answers(f"http://127.0.0.1:{port}/"), what=f"DynamoDB Local answering on port {port}", timeout=60, service=service)
    except Stopped as stopped:
        if supervisor.stop_signal is None:
            stopped.reason += f" (is port {port} free? Set DYNAMODB_LOCAL_PORT, or DYNAMODB_HOST to a DynamoDB already running; log: {data_dir / 'dynamodb.log'})"
        raise
    os.environ["DYNAMODB_HOST"] = f"http://127.0.0.1:{port}"


def run(supervisor: Supervisor) -> None:
    data_dir = _data_dir()
    if not os.environ.get("DYNAMODB_HOST"):
        _start_dynamodb_local(supervisor, data_dir)
    # Checks (one clear message naming the variable if a service is down), migrations, tables
    # and buckets, static files: one process, since each start of Django costs seconds.
    supervisor.step("prepare_serving", manage_argv("prepare_serving", "--timeout", "10"))
    log("starting the background worker (django-q2)")
    supervisor.start("worker", manage_argv("qcluster"), log_path=data_dir / "worker.log")
    if env_bool("ARTGUARD_DEMO_BOOTSTRAP", True):
        supervisor.step("bootstrap_demo", manage_argv("bootstrap_demo"))
    address = f"http://{env_str('ARTGUARD_HOST', '127.0.0.1')}:{env_str('ARTGUARD_PORT', '8000')}"
    log(f"ArtGuard is at {address}  (gunicorn; Ctrl-C stops web, worker and DynamoDB Local)")
    supervisor.start("web (gunicorn)", web_argv())
    supervisor.watch()


def manage(supervisor: Supervisor, args: list[str]) -> int:
    """Run one management command against the local data; DynamoDB Local is started for it (and
    stopped after) only if none answers. The command keeps this terminal: it is a foreground job."""
    if not os.environ.get("DYNAMODB_HOST"):
        port = env_str("DYNAMODB_LOCAL_PORT", "8001")
        os.environ["DYNAMODB_HOST"] = f"http://127.0.0.1:{port}"
        if not _answers(os.environ["DYNAMODB_HOST"] + "/"):
            del os.environ["DYNAMODB_HOST"]
            _start_dynamodb_local(supervisor, _data_dir())
            supervisor.step("migrate", manage_argv("migrate", "--noinput", "-v", "0"))
            supervisor.step("provision_storage", manage_argv("provision_storage"), quiet=True)
    # Same process group as this one: interactive commands keep the terminal, and Ctrl-C reaches
    # the command itself; a TERM or HUP sent to this process alone is passed on to it.
    command = subprocess.Popen(manage_argv(*args), cwd=ROOT)
    forwarded = False
    while command.poll() is None:
        if supervisor.stop_signal in (signal.SIGTERM, signal.SIGHUP) and not forwarded:
            _signal_leader(command, supervisor.stop_signal)
            forwarded = True
        time.sleep(POLL_SECONDS)
    return command.returncode


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in {"run", "manage"}:
        print("usage: python -m artguard.supervise run | manage <command> [args]", file=sys.stderr)
        return 2
    os.environ.setdefault("ARTGUARD_ENV", "dev")
    supervisor = Supervisor(grace_seconds=env_float("ARTGUARD_STOP_GRACE", 20.0))
    supervisor.install_signal_handlers()
    code = 0
    try:
        if argv[0] == "run":
            run(supervisor)
        else:
            code = manage(supervisor, argv[1:])
            if supervisor.stop_signal is not None:
                code = 128 + supervisor.stop_signal
    except Stopped as stopped:
        code = stopped.code
        if stopped.reason:
            log(stopped.reason)
    finally:
        supervisor.stop_all()
    return code


if __name__ == "__main__":
    sys.exit(main())
