"""What to upload: training entries read from a manifest CSV or from folder names.

Manifest columns: file, label (authentic|forged), sublabel, attributed_creator, actual_creator,
split (optional: train|val|test, default train). `file` is relative to the dataset folder.
Folder layout: DIR/authentic/** (sublabel "original", or the name of a subfolder) and
DIR/forged/<sublabel>/** (files directly in DIR/forged get sublabel "forgery").

Problems with single rows or files are returned, not raised, so an upload reports them by file
and carries on; only a manifest that cannot be read at all raises SourceError.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

LABELS = ("authentic", "forged")
SPLITS = ("train", "val", "test")
DEFAULT_SUBLABEL = {"authentic": "original", "forged": "forgery"}
# Files with these suffixes are offered to the image checks (which reject the unsupported ones
# with a clear reason); anything else in a dataset folder is listed as ignored.
IMAGE_LIKE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp", ".heic", ".heif"}
MANIFEST_NAME = "manifest.csv"
_SUBLABEL_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class SourceError(ValueError):
    """The dataset folder or manifest cannot be used at all."""


@dataclass(frozen=True)
class UploadEntry:
    path: Path  # absolute path of the file on disk
    name: str  # path relative to the dataset folder, as written in the manifest / summary
    label: str
    sublabel: str
    split: str = "train"
    attributed_creator: str | None = None
    actual_creator: str | None = None


@dataclass(frozen=True)
class Problem:
    name: str
    reason: str


def _clean(value: str | None) -> str:
    return (value or "").strip()


def entries_from_manifest(*, dataset_path: Path, manifest_path: Path) -> tuple[list[UploadEntry], list[Problem]]:
    dataset_path = dataset_path.resolve()
    try:
        with open(manifest_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            fieldnames = {_clean(name).lower() for name in (reader.fieldnames or [])}
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise SourceError(f"Cannot read the manifest {manifest_path}: {error}") from None
    missing = {"file", "label"} - fieldnames
    if missing:
        raise SourceError(f"The manifest {manifest_path} lacks the column(s) {', '.join(sorted(missing))}; "
                          "expected file,label,sublabel,attributed_creator,actual_creator[,split].")
    entries, problems, seen = [], [], set()
    for line, raw in enumerate(rows, start=2):
        row = {(_clean(key)).lower(): _clean(value) for key, value in raw.items() if key is not None}
        name = row.get("file", "")
        where = name or f"manifest line {line}"
        label = row.get("label", "").lower()
        sublabel = row.get("sublabel", "").lower() or DEFAULT_SUBLABEL.get(label, "")
        split = row.get("split", "").lower() or "train"
        if not name:
            problems.append(Problem(where, f"manifest line {line} has no file name"))
            continue
        if label not in LABELS:
            problems.append(Problem(where, f"unknown label {row.get('label', '')!r} (manifest line {line}); use authentic or forged"))
            continue
        if split not in SPLITS:
            problems.append(Problem(where, f"unknown split {row.get('split', '')!r} (manifest line {line}); use train, val or test"))
            continue
        if not _SUBLABEL_RE.match(sublabel):
            problems.append(Problem(where, f"sublabel {sublabel!r} (manifest line {line}) must be lower-case letters, digits, - or _"))
            continue
        path = (dataset_path / name).resolve()
        if not path.is_relative_to(dataset_path):
            problems.append(Problem(where, f"file lies outside the dataset folder (manifest line {line})"))
            continue
        if path in seen:
            problems.append(Problem(where, f"listed twice in the manifest (again on line {line})"))
            continue
        seen.add(path)
        if not path.is_file():
            problems.append(Problem(where, f"file not found (manifest line {line})"))
            continue
        entries.append(UploadEntry(
            path=path, name=name, label=label, sublabel=sublabel, split=split,
            attributed_creator=row.get("attributed_creator") or None,
            actual_creator=row.get("actual_creator") or None,
        ))
    return entries, problems


def entries_from_folders(*, dataset_path: Path) -> tuple[list[UploadEntry], list[Problem], list[Problem]]:
    """(entries, problems, ignored): labels from DIR/authentic/** and DIR/forged/<sublabel>/**."""
    dataset_path = dataset_path.resolve()
    if not any((dataset_path / label).is_dir() for label in LABELS):
        raise SourceError(f"{dataset_path} has neither an authentic/ nor a forged/ folder, and no manifest was given.")
    entries, problems, ignored = [], [], []
    for label in LABELS:
        root = dataset_path / label
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(dataset_path).as_posix()
            if any(part.startswith(".") for part in path.relative_to(root).parts):
                continue
            if path.suffix.lower() not in IMAGE_LIKE_SUFFIXES:
                ignored.append(Problem(name, "not an image file name"))
                continue
            parts = path.relative_to(root).parts
            sublabel = parts[0].lower() if len(parts) > 1 else DEFAULT_SUBLABEL[label]
            if not _SUBLABEL_RE.match(sublabel):
                problems.append(Problem(name, f"folder name {parts[0]!r} is not a usable sublabel"))
                continue
            entries.append(UploadEntry(path=path, name=name, label=label, sublabel=sublabel))
    return entries, problems, ignored


def entries_load(*, dataset_path: Path, manifest_path: Path | None) -> tuple[list[UploadEntry], list[Problem], list[Problem], Path | None]:
    """(entries, problems, ignored, manifest used): from the manifest if one is given or
    DIR/manifest.csv exists, else from folder names."""
    if not dataset_path.is_dir():
        raise SourceError(f"{dataset_path} is not a folder.")
    if manifest_path is None and (dataset_path / MANIFEST_NAME).is_file():
        manifest_path = dataset_path / MANIFEST_NAME
    if manifest_path is not None:
        if not manifest_path.is_file():
            raise SourceError(f"The manifest {manifest_path} does not exist.")
        entries, problems = entries_from_manifest(dataset_path=dataset_path, manifest_path=manifest_path)
        return entries, problems, [], manifest_path
    entries, problems, ignored = entries_from_folders(dataset_path=dataset_path)
    return entries, problems, ignored, None
