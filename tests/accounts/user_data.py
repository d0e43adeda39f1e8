"""A user's data as detection stores it, and every place any trace of a user could be left:
shared by the erasure tests (unit and browser)."""
import uuid

from django.core.files.base import ContentFile

from accounts.tables import ERASURE_PREFIX, RECEIPT_PREFIX
from artguard.dynamo import all_table_models, now_ms
from artguard.storage import list_prefix, processed_storage, raw_storage
from detection.tables import InferenceRecord

PROCESSED_NAMES = ("display.jpg", "thumb.jpg", "heatmap.png", "regions/S1.jpg", "report.pdf")


def seed_user_data(user_id: str, *, analyses: int) -> dict:
    """What detection stores per analysis: a record, the original, five processed files."""
    with InferenceRecord.batch_write() as batch:
        for i in range(analyses):
            inference_id = uuid.uuid4().hex
            folder = f"inference/{user_id}/{inference_id}"
            batch.save(InferenceRecord(inference_id=inference_id, user_id=user_id, created_at=now_ms() + i, image_path=f"{folder}/original.jpg", status="COMPLETED"))
            raw_storage().save(f"{folder}/original.jpg", ContentFile(b"original"))
            for name in PROCESSED_NAMES:
                processed_storage().save(f"{folder}/{name}", ContentFile(b"processed"))
    return {"inference_records": analyses, "shared_items": 0, "raw_objects": analyses, "processed_objects": analyses * len(PROCESSED_NAMES), "account": 1}


def user_traces(user_id: str, email: str) -> list[str]:
    """Every place anything of the user could be: all six tables (scanned: this is a test) and
    both buckets' whole trees, including folder names. The erasure item itself (the receipt) and
    its receipt pointer keep only the opaque user id and counts, never the email."""
    found = []
    for model in all_table_models():
        for item in model.scan():
            text = repr(item.attribute_values)
            if item.attribute_values.get("user_id", "").startswith((ERASURE_PREFIX, RECEIPT_PREFIX)):
                if email in text or email.split("@")[0] in text:
                    found.append(f"erasure item holds the email: {text[:80]}")
                continue
            if user_id in text or email in text:
                found.append(f"{model.Meta.table_name}: {text[:80]}")
    for storage in (raw_storage(), processed_storage()):
        found.extend(path for path in list_prefix(storage, "") if user_id in path)
        if storage.exists(f"inference/{user_id}"):
            found.append(f"folder inference/{user_id}")
    return found
