"""Modal failing (bad token, unreachable, timeout) when settings.MODAL_ENABLED: a detection ends
FAILED saying the scoring service is unavailable; a training run ends failed with the error."""
from __future__ import annotations

import uuid

import modal.exception
import pytest

from artguard.dynamo import now_ms
from detection import services
from detection.selectors import inference_get
from tests.images import image_bytes
from training import compute
from training.tables import RunRecord
from tests.training.fixtures import FIXTURE_ARTIST

JPEG = image_bytes(320, 240, fmt="JPEG")

LOOKUP_ERRORS = {
    "auth": modal.exception.AuthError("Token missing. Could not authenticate client."),
    "unreachable": modal.exception.ConnectionError("Could not connect to the Modal server."),
}


class _Remote:
    def __init__(self, error):
        self.error = error

    def remote(self, *args, **kwargs):
        raise self.error


def _modal_failing(monkeypatch, *, lookup=None, call=None):
    def lookup_function(name):
        if lookup is not None:
            raise lookup
        return _Remote(call)

    monkeypatch.setattr(compute, "_modal_function", lookup_function)


@pytest.mark.parametrize(
    "lookup,call",
    [
        (LOOKUP_ERRORS["auth"], None),
        (LOOKUP_ERRORS["unreachable"], None),
        (None, modal.exception.FunctionTimeoutError("Function timed out")),
        (None, TimeoutError("deadline exceeded")),
    ],
    ids=["auth-error", "unreachable", "function-timeout", "timeout"],
)
def test_detection_fails_with_a_readable_reason_when_modal_fails(user, fake_model, settings, monkeypatch, lookup, call):
    settings.MODAL_ENABLED = True
    _modal_failing(monkeypatch, lookup=lookup, call=call)
    submission = services.inference_submit(user_id=user.user_id, data=JPEG, filename="a.jpg", attributed_artist=FIXTURE_ARTIST)  # sync queue runs the task
    record = inference_get(inference_id=submission.record.inference_id)
    assert record.status == "FAILED"
    assert record.failure_reason.startswith("The scoring service is unavailable right now")
    assert type(lookup or call).__name__ in record.failure_reason


@pytest.mark.parametrize("lookup,call", [(LOOKUP_ERRORS["auth"], None), (None, modal.exception.FunctionTimeoutError("Function timed out after 3600s"))], ids=["auth-error", "timeout"])
def test_training_run_fails_with_its_error_when_modal_fails(settings, monkeypatch, lookup, call):
    from training.tasks import run_train_task

    settings.MODAL_ENABLED = True
    _modal_failing(monkeypatch, lookup=lookup, call=call)
    now = now_ms()
    run = RunRecord(run_id=uuid.uuid4().hex, created_at=now, status="running", dataset_version="v1", k_folds=2,
                    stratify_on="sublabel", outer_split_seed=0, inner_split_seed=1, hyperparameter_grid={"configs": []},
                    backbone="efficientnet-lite0", progress="0% queued", heartbeat_at=now, updated_at=now)
    run.save()
    assert run_train_task(run.run_id) == "failed"
    run = RunRecord.get(run.run_id)
    assert run.status == "failed" and type(lookup or call).__name__ in run.error and run.finished_at
