"""The production profile, run for real (tests/e2e/prodstack.py): gunicorn, S3 and SQS on moto's
server, Redis, DynamoDB Local and two worker hosts that share nothing but DynamoDB, S3, the
broker and the model folder. Once per broker (redis, sqs), on one stack per broker:

- the journeys the product exists for, in Chromium over HTTP: staff upload demo data, train and
  promote; a user signs up, uploads, reads the result, finds it in history and deletes it; a
  user erases all their data;
- a worker host killed mid-load: the other host carries on, and every record ends COMPLETED or
  FAILED with a reason;
- the broker, S3 or DynamoDB going away mid-load: uploads get 503 with Retry-After while it is
  away, and every record ends COMPLETED or FAILED with a reason.

The journeys are the same test functions the local-default stack runs (imported below, so
pytest runs them here too, with this module's `live_stack`)."""
from __future__ import annotations

import os

import json
import signal
import threading
import time
import uuid

import pytest
import requests

from bench.bench_load import painting_jpeg, token_for
from tests.e2e.prodstack import BROKERS, redis_available, start_production_stack
from tests.e2e import test_deletion_journey
from tests.e2e.test_product_journeys import (  # noqa: F401
    test_staff_upload_demo_data_train_review_and_promote,
    test_user_uploads_reads_the_result_downloads_the_report_and_deletes_it,
)
from tests.e2e.test_load import test_each_web_worker_warms_up_before_taking_requests  # noqa: F401  (the README's web command)
from tests.e2e.test_worker_killed import _alive, _signal_tree

# Part of every full run (about 16 min for both brokers on a busy 2-core machine). To leave it
# out of a quick local run: ARTGUARD_TEST_PRODUCTION=0; alone: `bin/artguard test -m production`.
RUN_PRODUCTION = os.environ.get("ARTGUARD_TEST_PRODUCTION", "1").lower() not in ("0", "false", "no")
pytestmark = [pytest.mark.browser, pytest.mark.production, pytest.mark.skipif(
    not RUN_PRODUCTION, reason="PRODUCTION PROFILE NOT RUN: ARTGUARD_TEST_PRODUCTION=0 was set")]

TERMINAL = ("COMPLETED", "FAILED")
# What the scheduled sweep does every few minutes, run now with no grace period: whatever is
# still PENDING/PROCESSING once the queue has drained was lost by a dead worker or broker.
SWEEP_NOW = (
    "from django.test import override_settings; from detection.tasks import inferences_sweep_stuck_task\n"
    "with override_settings(PENDING_TIMEOUT_MINUTES=0): print(inferences_sweep_stuck_task())"
)


@pytest.fixture(scope="module", params=BROKERS)
def live_stack(request, tmp_path_factory):
    """This module's live stack: the production profile with one broker."""
    if request.param == "redis" and not redis_available():
        pytest.skip("REDIS-SERVER IS NOT INSTALLED: the production profile's redis tests did not run "
                    "(bin/artguard test installs Debian's redis-server through scripts/install_redis.sh)")
    stack = start_production_stack(
        tmp_path_factory.mktemp(f"prod-{request.param}"), broker=request.param,
        extra_env={"ARTGUARD_UPLOADS_PER_HOUR": "1000"},
    )
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def api(live_stack):
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token_for(live_stack, f'faults-{uuid.uuid4().hex[:8]}@example.com')}"
    return session


def _upload(stack, session, n: int) -> requests.Response:
    return session.post(
        stack.base_url + "/api/detections/", timeout=90,
        files={"file": (f"work{n}.jpg", painting_jpeg(n, size=(800, 600)), "image/jpeg")},
        data={"attributed_artist": "Demo Hand A", "title": f"Study {n}"},  # the staff journey serves it
    )


def _statuses(stack, session, ids) -> dict:
    return {i: session.get(f"{stack.base_url}/api/detections/{i}/", timeout=30).json() for i in ids}


def _settle(stack, session, ids, *, timeout: float = 600, quiet: float = 45) -> dict:
    """Wait until every record is finished, or until none has changed for `quiet` seconds (what
    is left was taken by a dead worker or lost with the broker); then sweep; return the details."""
    deadline = time.monotonic() + timeout
    last, last_change = None, time.monotonic()
    while True:
        details = _statuses(stack, session, ids)
        now_statuses = {i: d["status"] for i, d in details.items()}
        if now_statuses != last:
            last, last_change = now_statuses, time.monotonic()
        if all(status in TERMINAL for status in now_statuses.values()):
            return details
        if time.monotonic() - last_change > quiet or time.monotonic() > deadline:
            break
        time.sleep(3)
    stack.manage("shell", "-c", SWEEP_NOW)
    return _statuses(stack, session, ids)


def _assert_accounted_for(details: dict) -> None:
    unfinished = {i: d["status"] for i, d in details.items() if d["status"] not in TERMINAL}
    assert not unfinished, f"records neither COMPLETED nor FAILED: {unfinished}"
    reasonless = [i for i, d in details.items() if d["status"] == "FAILED" and not d.get("failure_reason")]
    assert not reasonless, f"FAILED without a reason: {reasonless}"


def test_a_worker_host_killed_mid_load_loses_nothing(live_stack, api):
    """Needs the promoted model from the staff journey above."""
    host_a = live_stack.hosts["host-a"]
    ids = []
    for n in range(6):
        response = _upload(live_stack, api, n)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    # Mid-load: wait for host-a or host-b to start on the first, then kill host-a's whole tree.
    deadline = time.monotonic() + 120
    while not any(d["status"] != "PENDING" for d in _statuses(live_stack, api, ids[:2]).values()):
        assert time.monotonic() < deadline, "no worker host took a task"
        time.sleep(0.5)
    killed = _signal_tree(host_a, signal.SIGKILL)
    host_a.wait(timeout=20)
    for n in range(6, 10):  # more load while host-a is gone
        response = _upload(live_stack, api, n)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    try:
        details = _settle(live_stack, api, ids)
        _assert_accounted_for(details)
        completed = sum(d["status"] == "COMPLETED" for d in details.values())
        assert completed >= 4, f"host-b finished only {completed} of {len(ids)}\n{live_stack.log_tail('host-b')}"
        assert not [process for process in killed if _alive(process)], "host-a's processes survived SIGKILL"
    finally:
        live_stack.start_host("host-a")


@pytest.mark.parametrize("service", ["broker", "s3", "dynamodb"])
def test_a_service_going_away_mid_load_answers_503_and_loses_nothing(live_stack, api, service):
    switch = live_stack.switches[service]
    ids, answers, stop = [], [], threading.Event()

    def load() -> None:
        n = 100
        while not stop.is_set():
            n += 1
            try:
                response = _upload(live_stack, api, n)
            except requests.RequestException as error:
                answers.append(("error", str(error), switch.is_on))
                continue
            answers.append((response.status_code, response.headers.get("Retry-After"), switch.is_on))
            if response.status_code == 202:
                ids.append(response.json()["id"])
            time.sleep(0.2)

    loader = threading.Thread(target=load)
    loader.start()
    try:
        time.sleep(4)
        switch.off()
        time.sleep(8)
    finally:
        switch.on()
    time.sleep(4)
    stop.set()
    loader.join(timeout=120)

    during = [answer for answer in answers if not answer[2]]
    assert any(status == 503 for status, _, _ in during), f"no 503 while {service} was away: {answers}"
    wrong = [answer for answer in answers if answer[0] not in (202, 503) or (answer[0] == 503 and not answer[1])]
    assert not wrong, f"answers other than 202, or 503 with Retry-After: {wrong}"
    assert answers[-1][0] == 202, f"uploads did not recover after {service} came back: {answers[-3:]}"

    details = _settle(live_stack, api, ids)
    _assert_accounted_for(details)
    print(json.dumps({service: {"answers": len(answers), "503": sum(a[0] == 503 for a in answers),
                                "completed": sum(d["status"] == "COMPLETED" for d in details.values()),
                                "failed": sum(d["status"] == "FAILED" for d in details.values())}}))


def test_user_deletes_their_data_from_the_browser(journey, live_stack):
    test_deletion_journey.test_user_deletes_their_data_from_the_browser(journey, live_stack)
