"""The image-storage seam: the raw and processed buckets of seed 000 as Django storages
(local folders by default, S3 through django-storages when ARTGUARD_STORAGE=s3)."""
from django.core.files.storage import Storage, storages


def raw_storage() -> Storage:
    return storages["raw"]


def processed_storage() -> Storage:
    return storages["processed"]


def delete_prefix(storage: Storage, prefix: str) -> int:
    """Delete every object under `prefix` (a folder path without a leading slash); return the count."""
    deleted = 0
    prefix = prefix.strip("/")
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return 0
    for name in files:
        storage.delete(f"{prefix}/{name}")
        deleted += 1
    for directory in directories:
        deleted += delete_prefix(storage, f"{prefix}/{directory}")
    return deleted


def list_prefix(storage: Storage, prefix: str) -> list[str]:
    """Every object path under `prefix`, recursively."""
    prefix = prefix.strip("/")
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return []
    paths = [f"{prefix}/{name}" if prefix else name for name in files]
    for directory in directories:
        paths.extend(list_prefix(storage, f"{prefix}/{directory}" if prefix else directory))
    return paths
