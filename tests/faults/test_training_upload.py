"""Workflow B (the training upload command) with DynamoDB throttled or down: the command stops
with a message a person can act on, and running it again once DynamoDB answers finishes the job
(originals are content-addressed, so nothing is duplicated)."""
from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from datasets.selectors import images_for_datasets
from tests.datasets.factories import folder_dataset


def _upload(folder) -> str:
    out = io.StringIO()
    call_command("upload_training_data", "--dataset-path", str(folder), "--dataset-name", "faulty", "--no-progress",
                 stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.parametrize("operation", ["BatchGetItem", "BatchWriteItem"])
def test_training_upload_throttled_stops_clearly_and_a_rerun_completes(tmp_path, dynamo_faults, no_queue, operation):
    folder = folder_dataset(tmp_path / "data", authentic=2, forged={"copy": 2})
    dynamo_faults.fail(operation)
    with pytest.raises(CommandError) as raised:
        _upload(folder)
    message = str(raised.value)
    assert "DynamoDB" in message or "database" in message.lower()
    assert "again" in message and "Traceback" not in message

    dynamo_faults.clear()
    output = _upload(folder)
    assert "Failed: 0" in output
    records = images_for_datasets(dataset_names=["faulty"], status=None)
    assert sorted(r.image_name for r in records) == ["authentic/a0.jpg", "authentic/a1.jpg", "forged/copy/copy0.jpg", "forged/copy/copy1.jpg"]
    assert len(no_queue) == 4  # each image queued for preprocessing once
