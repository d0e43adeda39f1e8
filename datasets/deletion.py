"""Delete a whole training dataset: its ImageRecords, their PatchRecords, and its files in raw
and processed storage (training/<name>/, patches/<name>/).

Records go first and files last, so an interrupted deletion leaves at worst files without
records, which running it again removes. Dataset versions are immutable snapshots: deleting a
dataset one of them contains is refused unless forced (for example to honour a removal request),
and the versions affected are named so nobody trains on them expecting the images to be there.
Images still being preprocessed are refused too unless forced: a worker may be writing them."""
from __future__ import annotations

from dataclasses import dataclass, field

from artguard.batching import paced_batch_write
from artguard.storage import delete_prefix, processed_storage, prune_empty_folders, raw_storage
from datasets import stats
from datasets.layout import STATUS_UPLOADED, DatasetError, validate_name
from datasets.selectors import dataset_versions_list, images_for_datasets
from datasets.services import image_records_batch_write
from datasets.tables import PatchRecord

DELETE_CHUNK = 25  # images per round of batch deletes (the DynamoDB batch size)


class DatasetInUse(DatasetError):
    pass


@dataclass
class DatasetDeletion:
    dataset_name: str
    images: int = 0
    patches: int = 0
    raw_objects: int = 0
    processed_objects: int = 0
    versions_affected: list[str] = field(default_factory=list)


def dataset_delete(*, name: str, force: bool = False) -> DatasetDeletion:
    name = validate_name(name, what="Dataset name")
    records = images_for_datasets(dataset_names=[name], status=None)
    result = DatasetDeletion(dataset_name=name, versions_affected=[
        version["name"] for version in dataset_versions_list() if name in version["datasets"]
    ])
    in_progress = sum(record.status == STATUS_UPLOADED for record in records)
    if not force and result.versions_affected:
        raise DatasetInUse(
            f"Dataset {name!r} is part of dataset version(s) {', '.join(result.versions_affected)}, which would then "
            "refer to deleted images. Use --force to delete it anyway."
        )
    if not force and in_progress:
        raise DatasetInUse(f"{in_progress} image(s) of {name!r} are still being preprocessed; wait for the worker, or use --force.")
    for start in range(0, len(records), DELETE_CHUNK):
        chunk = records[start:start + DELETE_CHUNK]
        patch_ids = [
            patch.patch_id
            for record in chunk
            for patch in PatchRecord.image_patches_index.query(record.image_id, attributes_to_get=["patch_id"])
        ]
        with paced_batch_write(PatchRecord) as batch:
            for patch_id in patch_ids:
                batch.delete(PatchRecord(patch_id=patch_id))
        with image_records_batch_write() as batch:
            for record in chunk:
                batch.delete(record)
        result.patches += len(patch_ids)
        result.images += len(chunk)
    if result.images:
        stats.stats_dataset_forget(dataset=name)
    raw, processed = raw_storage(), processed_storage()
    result.raw_objects = delete_prefix(raw, f"training/{name}")
    result.processed_objects = delete_prefix(processed, f"training/{name}") + delete_prefix(processed, f"patches/{name}")
    for storage, prefix in ((raw, f"training/{name}"), (processed, f"training/{name}"), (processed, f"patches/{name}")):
        prune_empty_folders(storage, prefix)
    if not (result.images or result.raw_objects or result.processed_objects):
        raise DatasetError(f"There is no dataset named {name!r}.")
    return result
