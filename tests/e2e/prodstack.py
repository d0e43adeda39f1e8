"""The production profile on loopback, from Debian and PyPI packages only: the README's
"Running against AWS" steps with a local stand-in for each AWS service.

    Redis (Debian's redis-server)           broker when ARTGUARD_Q_BROKER=redis
    moto in server mode                     S3 (ARTGUARD_STORAGE=s3) and SQS (ARTGUARD_Q_BROKER=sqs)
    DynamoDB Local                          every table
    gunicorn artguard.wsgi                  the web host
    two `manage.py qcluster` processes      two worker hosts

Each host (web, host-a, host-b) has its own ARTGUARD_DATA_DIR and so its own SQLite database:
hosts share nothing but DynamoDB, S3, the broker and the model folder (ARTGUARD_MODEL_DIR,
which stands for the Modal Volume or a shared file system; see README "Running the production
profile on one machine"). Every service is reached through an OutageSwitch, so a fault test
can take it away and bring it back without losing its state.

    python -m tests.e2e.prodstack redis     # start one by hand; Ctrl-C stops it
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from artguard import dynamodb_local
from tests.e2e.livestack import ROOT, LiveStack
from tests.e2e.outage_switch import OutageSwitch

BROKERS = ("redis", "sqs")
WORKER_HOSTS = ("host-a", "host-b")
GUNICORN_WORKERS, GUNICORN_THREADS = 2, 4
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def redis_available() -> bool:
    return Path(REDIS_SERVER).exists()


@dataclass
class ProductionStack(LiveStack):
    broker: str = "redis"
    services: dict = field(default_factory=dict)  # name -> Popen (redis, moto, dynamodb)
    hosts: dict = field(default_factory=dict)  # name -> Popen (web, host-a, host-b)
    switches: dict = field(default_factory=dict)  # "dynamodb" | "s3" | "broker" -> OutageSwitch
    host_envs: dict = field(default_factory=dict)

    def stop(self) -> None:
        for switch in self.switches.values():
            switch.off()
        super().stop()

    def start_host(self, name: str) -> subprocess.Popen:
        """(Re)start a worker host: a qcluster with that host's own data folder."""
        log = open(self.data_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env=self.host_envs[name],
            stdout=log, stderr=subprocess.STDOUT,
        )
        self.hosts[name] = process
        self.processes.append(process)
        return process

    def host_manage(self, host: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.host_envs[host], capture_output=True,
            text=True, timeout=timeout,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} on {host} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done


def _spawn(stack: LiveStack, name: str, args: list[str], *, env: dict | None = None) -> subprocess.Popen:
    log = open(stack.data_dir / f"{name}.log", "ab")
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    stack.processes.append(process)
    return process


def _base_env() -> dict:
    return {
        key: value for key, value in os.environ.items()
        if not key.startswith(("ARTGUARD_", "DJANGO_", "AWS_", "ANTHROPIC_", "PYTEST", "REDIS_", "DYNAMODB_"))
    }


def _wait_port(port: int, process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode} before it listened on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout:.0f}s")


def _wait_web(url: str, *, process: subprocess.Popen, timeout: float = 300) -> None:
    """Until gunicorn answers; each try may take long on a busy machine (the first request warms up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before {url} answered")
        try:
            requests.get(url, timeout=30)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def start_production_stack(data_dir: Path, *, broker: str, extra_env: dict | None = None) -> ProductionStack:
    if broker not in BROKERS:
        raise ValueError(f"broker must be one of {BROKERS}")
    if broker == "redis" and not redis_available():
        raise RuntimeError("redis-server is not installed (scripts/install_redis.sh installs Debian's package)")
    data_dir.mkdir(parents=True, exist_ok=True)
    web_port = dynamodb_local.free_port()
    stack = ProductionStack(base_url=f"http://127.0.0.1:{web_port}", data_dir=data_dir, env={}, broker=broker)
    try:
        ddb_port = dynamodb_local.free_port()
        stack.services["dynamodb"] = ddb = dynamodb_local.start(port=ddb_port, db_path=None, log_path=data_dir / "dynamodb.log")
        stack.processes.append(ddb)
        moto_port = dynamodb_local.free_port()
        stack.services["moto"] = moto = _spawn(
            stack, "moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)], env=_base_env(),
        )
        if broker == "redis":
            redis_port = dynamodb_local.free_port()
            stack.services["redis"] = redis = _spawn(stack, "redis", [
                REDIS_SERVER, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", str(data_dir),
            ])
            _wait_port(redis_port, redis, "redis-server")
        _wait_port(moto_port, moto, "moto server")
        dynamodb_local.wait_ready(port=ddb_port, process=ddb)

        stack.switches = {"dynamodb": OutageSwitch(ddb_port), "s3": OutageSwitch(moto_port)}
        # SQS gets its own switch in front of the same moto, so S3 and the broker fail separately.
        stack.switches["broker"] = OutageSwitch(redis_port if broker == "redis" else moto_port)

        env = _base_env()
        env.update({
            # The README's "Running against AWS" settings ...
            "ARTGUARD_ENV": "test",
            "ARTGUARD_STORAGE": "s3",
            "ARTGUARD_Q_BROKER": broker,
            "AWS_REGION": "ca-central-1",
            # ... with a local stand-in for each AWS endpoint.
            "DYNAMODB_HOST": stack.switches["dynamodb"].url,
            "AWS_S3_ENDPOINT_URL": stack.switches["s3"].url,
            "AWS_ENDPOINT_URL_SQS": stack.switches["broker"].url,  # boto3 reads it; django-q2's SQS broker passes none
            "REDIS_URL": f"redis://127.0.0.1:{stack.switches['broker'].port}/0",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ca-central-1",
            "ARTGUARD_MODEL_DIR": str(data_dir / "shared-models"),
            "ARTGUARD_Q_SYNC": "false",
            "ARTGUARD_MODAL": "false",
            "ARTGUARD_DEMO_BOOTSTRAP": "false",
            "ARTGUARD_Q_TIMEOUT": "600",
            "ARTGUARD_Q_RETRY": "660",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        })
        for host in ("web", *WORKER_HOSTS):
            (data_dir / host).mkdir(exist_ok=True)
            stack.host_envs[host] = {**env, "ARTGUARD_DATA_DIR": str(data_dir / host)}
        stack.env = stack.host_envs["web"]

        # The README's steps, on every host: migrate its own database; then the shared tables,
        # buckets and static files once.
        migrations = {host: subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=host_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ) for host, host_env in stack.host_envs.items()}
        for host, migration in migrations.items():
            _, errors = migration.communicate(timeout=600)
            if migration.returncode:
                raise RuntimeError(f"migrate on {host} failed:\n{errors[-3000:]}")
        stack.manage("provision_storage")
        stack.manage("collectstatic", "--noinput", "-v", "0")
        for host in WORKER_HOSTS:
            stack.start_host(host)
        # The README's web command, so its settings and warm-up (artguard/gunicorn_conf.py) are
        # what this profile runs; only where it listens and its size come from the environment.
        stack.hosts["web"] = _spawn(stack, "web", [
            sys.executable, "-m", "gunicorn", "-c", "python:artguard.gunicorn_conf", "artguard.wsgi:application",
        ], env={**stack.env, "ARTGUARD_HOST": "127.0.0.1", "ARTGUARD_PORT": str(web_port),
                "ARTGUARD_WEB_WORKERS": str(GUNICORN_WORKERS), "ARTGUARD_WEB_THREADS": str(GUNICORN_THREADS)})
        _wait_web(stack.base_url + "/", process=stack.hosts["web"])
    except Exception:
        stack.stop()
        raise
    return stack


def main(argv: list[str]) -> None:
    broker = argv[0] if argv else "redis"
    folder = Path(tempfile.mkdtemp(prefix=f"artguard-prod-{broker}-"))
    stack = start_production_stack(folder, broker=broker)
    print(f"ArtGuard (production profile, {broker} broker) at {stack.base_url}; logs in {folder}. Ctrl-C stops it.")
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
