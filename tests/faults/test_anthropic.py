"""Claude slower than ANTHROPIC_TIMEOUT_SECONDS, over a real socket (tests/detection/test_explain.py
covers error answers and transport errors through a MockTransport): the SDK gives up at the
configured timeout and the analysis still completes with the local explanation."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anthropic  # noqa: F401  (imported up front: its import time is not the call's)
import pytest

from detection import explain
from tests.detection.evidence import sample_evidence

SERVER_DELAY_SECONDS = 8.0


@pytest.fixture
def evidence():
    return sample_evidence()


@pytest.fixture
def slow_claude(monkeypatch, settings):
    release = threading.Event()
    requests = []

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            requests.append(self.path)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            release.wait(SERVER_DELAY_SECONDS)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")
            except OSError:
                pass  # the client already gave up

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{server.server_port}")
    settings.ANTHROPIC_API_KEY = "sk-ant-test"
    settings.ANTHROPIC_MAX_RETRIES = 0
    settings.ANTHROPIC_TIMEOUT_SECONDS = 0.5
    yield requests
    release.set()
    server.shutdown()
    server.server_close()


def test_a_slow_claude_is_abandoned_at_the_timeout_and_the_local_explanation_used(slow_claude, evidence):
    result = explain.explain(evidence)
    assert slow_claude == ["/v1/messages"]
    assert result.source == explain.SOURCE_LOCAL
    assert result.text == explain.local_explanation(evidence)
    # The server holds its answer until teardown: only the configured timeout can end the call.
    assert result.error.startswith("APITimeoutError")
