"""Bounded load on loopback against the live stack: concurrent users upload (each upload sent
twice with one Idempotency-Key) and browse history; afterwards every record is accounted for:
none lost, duplicated or stuck PENDING. Figures for a bigger run: `python bench/bench_load.py`."""
import pytest

from bench.bench_load import ensure_model, run_load

pytestmark = pytest.mark.browser  # the live-stack tier


def test_concurrent_uploads_and_history_lose_nothing(live_stack):
    ensure_model(live_stack)
    result = run_load(live_stack, users=3, uploads_per_user=2, history_reads=5, deadline=300)
    assert result["errors"] == []
    assert result["submitted"] == 6
    assert result["lost"] == result["duplicated"] == result["unexpected"] == result["stuck"] == []
    assert result["completed"] + result["failed"] == 6


def test_each_web_worker_warms_up_before_taking_requests(live_stack):
    """Each gunicorn worker creates its DynamoDB clients, loads Pillow's plugins and the
    served-artists catalogue before its first request (artguard.warmup), not during it."""
    lines = [line for line in (live_stack.data_dir / "web.log").read_text(errors="replace").splitlines() if "warm-up:" in line]
    assert len(lines) >= 2, "one warm-up line per gunicorn worker"
    for line in lines:
        assert "pillow plugins" in line and "dynamodb clients" in line and "storage" in line and "served artists" in line
        assert "failed" not in line, line
