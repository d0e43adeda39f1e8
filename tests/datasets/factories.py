"""Tiny labelled dataset folders for the datasets tests."""
from __future__ import annotations

import csv
from pathlib import Path

from tests.images import image_bytes

MANIFEST_COLUMNS = ["file", "label", "sublabel", "attributed_creator", "actual_creator", "split"]


def write_image(path: Path, *, seed: int, width: int = 300, height: int = 240, fmt: str = "JPEG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(width, height, fmt=fmt, seed=seed))
    return path


def write_manifest(folder: Path, rows: list[dict]) -> Path:
    path = folder / "manifest.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=MANIFEST_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({key: row.get(key, "") for key in MANIFEST_COLUMNS})
    return path


def folder_dataset(root: Path, *, authentic: int = 2, forged: dict[str, int] | None = None, seed: int = 0) -> Path:
    """DIR/authentic/*.jpg and DIR/forged/<sublabel>/*.jpg with distinct random pixels."""
    forged = {"imitation": 1} if forged is None else forged
    n = seed * 100
    for index in range(authentic):
        n += 1
        write_image(root / "authentic" / f"a{index}.jpg", seed=n)
    for sublabel, count in forged.items():
        for index in range(count):
            n += 1
            write_image(root / "forged" / sublabel / f"{sublabel}{index}.jpg", seed=n)
    return root
