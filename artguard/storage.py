"""The image-storage seam: the raw and processed buckets of seed 000 as Django storages
(local folders by default, S3 through django-storages when ARTGUARD_STORAGE=s3)."""
from pathlib import Path

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


def prune_empty_folders(storage: Storage, prefix: str, *, keep_root: bool = False) -> None:
    """Remove folders left empty under `prefix` on local storage (folder names such as user and
    inference ids are data too). Object stores have no folders: nothing to do there."""
    try:
        root = Path(storage.path(prefix.strip("/")))
    except NotImplementedError:
        return
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        _rmdir_if_empty(folder)
    if not keep_root:
        _rmdir_if_empty(root)


def _rmdir_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # not empty (a file arrived meanwhile) or already gone
        pass
