"""The storage seam: the raw, processed and knowledge-base buckets of seed 000 as Django storages
(local folders by default, S3 through django-storages when ARTGUARD_STORAGE=s3)."""
from collections.abc import Iterator
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def raw_storage() -> Storage:
    return storages["raw"]


def processed_storage() -> Storage:
    return storages["processed"]


def knowledge_storage() -> Storage:
    """Staff documents about artists and their passages (docs/knowledge.md); versioned on S3."""
    return storages["knowledge"]


def overwrites(storage: Storage) -> bool:
    """Does saving at a taken name replace the object (S3 with file_overwrite, a local folder
    with allow_overwrite), rather than pick another name?"""
    return bool(getattr(storage, "file_overwrite", False) or getattr(storage, "_allow_overwrite", False))


def store_at(storage: Storage, path: str, data: bytes) -> str:
    """Write `data` at exactly `path`, replacing whatever is there; return the path. One write on
    a storage that overwrites (both of ours are configured so): no existence check first, which
    on S3 was a HEAD request before every PUT. Elsewhere the old object is deleted first."""
    if not overwrites(storage) and storage.exists(path):
        storage.delete(path)
    saved = storage.save(path, ContentFile(data))
    if saved != path:  # a storage that renames would break the layout every record points into
        raise RuntimeError(f"storage saved {path} as {saved}")
    return saved


S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects call takes


def delete_prefix(storage: Storage, prefix: str) -> int:
    """Delete every object under `prefix` (a folder path without a leading slash); return the count."""
    return sum(delete_objects(storage, list_prefix(storage, prefix)))


def delete_objects(storage: Storage, paths: list[str]) -> Iterator[int]:
    """Delete these objects, yielding how many went as each step succeeds (so a caller keeping
    counts stays exact when a later step fails). On S3 one DeleteObjects call per 1,000 keys
    rather than a request per object; elsewhere one object at a time."""
    bucket = getattr(storage, "bucket", None)
    if bucket is None or not hasattr(storage, "_normalize_name"):
        for path in paths:
            storage.delete(path)
            yield 1
        return
    from storages.utils import clean_name

    for start in range(0, len(paths), S3_DELETE_BATCH):
        keys = [{"Key": storage._normalize_name(clean_name(path))} for path in paths[start : start + S3_DELETE_BATCH]]
        errors = bucket.delete_objects(Delete={"Objects": keys, "Quiet": True}).get("Errors", [])
        yield len(keys) - len(errors)
        if errors:
            first = errors[0]
            raise OSError(f"S3 refused to delete {len(errors)} objects, e.g. {first.get('Key')}: {first.get('Message')}")


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
