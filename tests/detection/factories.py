"""Records written straight to the table, shaped as inference_submit writes them, for tests that
need many of them (paging, retention). The pipeline itself is tested through the services."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from django.conf import settings

from artguard.dynamo import now_ms
from detection.tables import InferenceRecord


def make_record(*, user_id: str, created_at: int | None = None, status: str = "COMPLETED", **extra) -> InferenceRecord:
    created_at = created_at if created_at is not None else now_ms()
    record = InferenceRecord(
        inference_id=uuid.uuid4().hex,
        user_id=user_id,
        created_at=created_at,
        ttl=datetime.fromtimestamp(created_at / 1000 + settings.INFERENCE_TTL_DAYS * 86400, tz=timezone.utc),
        status=status,
        image_name="work.jpg",
        **extra,
    )
    if status == "COMPLETED":
        record.score, record.forgery_score, record.verdict = 0.42, 42, "INCONCLUSIVE"
    record.save(condition=InferenceRecord.inference_id.does_not_exist())
    return record


def make_records(*, user_id: str, count: int, start_ms: int | None = None) -> list[InferenceRecord]:
    start = start_ms if start_ms is not None else now_ms() - count * 1000
    records = []
    with InferenceRecord.batch_write() as batch:
        for index in range(count):
            created_at = start + index * 1000
            record = InferenceRecord(
                inference_id=uuid.uuid4().hex, user_id=user_id, created_at=created_at,
                ttl=datetime.fromtimestamp(created_at / 1000 + settings.INFERENCE_TTL_DAYS * 86400, tz=timezone.utc),
                status="COMPLETED", image_name=f"work{index}.jpg", score=0.5, forgery_score=50, verdict="INCONCLUSIVE",
            )
            batch.save(record)
            records.append(record)
    return records


# A model that cannot call a work likely authentic at its 5% target, scoring uncalibrated: how
# training.serving describes such a result (PatchScores.basis).
FORGED_ONLY_THRESHOLDS = {"authentic_below": None, "forged_above": 0.62}
FORGED_ONLY_BASIS = {
    "calibrated": False,
    "calibration_note": "Scores are not calibrated: calibration needs at least 20 out-of-fold predictions with 5 of each label, and this run has 12 (6 authentic, 6 forged).",
    "operating_point": {
        "n": 20, "forged": 15, "share": 0.75, "low": 0.61, "high": 0.78,
        "text": "Of the 20 validation works scored most like this one (scores 61–78), 15 (75%) were forgeries.",
    },
    "statements": [
        "This model cannot call a work likely authentic at 5% risk: on its validation works, every score range that held authentic works also held more than 5% of the forgeries.",
        "Likely forged above 62: on validation works, 1 of 30 authentic works (3%) scored there (target at most 5%).",
    ],
    "targets": {"forged_called_authentic": 0.05, "authentic_called_forged": 0.05},
}
