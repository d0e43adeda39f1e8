"""A demo dataset on disk: images per artist and class, painted side by side on every core, and
their manifest.csv."""
from __future__ import annotations

import csv
import os
from pathlib import Path

from datasets.synthetic.artists import DEMO_ARTISTS, DIFFICULTIES, FORGED_SUBLABELS, HAND_A, actual_creator
from datasets.synthetic.recipes import make_image


def class_counts(count: int) -> dict[str, int]:
    """About half authentic, the rest split evenly over the forged sublabels."""
    forged_each = max(1, count // 2 // len(FORGED_SUBLABELS)) if count >= 4 else (1 if count >= 2 else 0)
    forged = {sublabel: forged_each for sublabel in FORGED_SUBLABELS[: max(0, count - 1)]}
    return {"original": count - sum(forged.values()), **forged}


PARALLEL_FROM = 16  # fewer images are painted in this process: starting workers would cost more


def _paint_file(job: tuple) -> None:
    """Paint one image and save it (top level, so worker processes can run it)."""
    path, sublabel, seed, index, width, height, difficulty, artist = job
    image, quality = make_image(sublabel=sublabel, seed=seed, index=index, width=width, height=height, difficulty=difficulty, artist=artist)
    image.save(path, format="JPEG", quality=quality)


def _run(jobs: list[tuple]):
    """Yield as each job finishes, in order: in worker processes (one per core) when there are
    enough jobs. Painting is pure Python stroke by stroke, so threads would not help."""
    if len(jobs) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        for job in jobs:
            yield _paint_file(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start at once and need nothing re-imported (painting uses numpy and PIL only)
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_paint_file, jobs, chunksize=4)


def demo_dataset_write(*, out: Path, seed: int = 7, count: int = 120, width: int = 768, height: int = 576, progress=None,
                       difficulty: str = "standard", artists: tuple[str, ...] = (HAND_A,)) -> list[dict]:
    """Write `count` images per artist, Hand A's under out/authentic/ and out/forged/<sublabel>/
    (another artist's under out/<its slug>/ the same way), plus out/manifest.csv; return the
    manifest rows. Every image is attributed to its artist; actual_creator says who made it. One
    in five images of each class is marked split "test". Images are painted side by side on
    every core; each is deterministic, so the result is the same."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
    out.mkdir(parents=True, exist_ok=True)
    rows, jobs = [], []
    for artist in artists:
        if artist not in DEMO_ARTISTS:
            raise ValueError(f"artist must be one of {', '.join(DEMO_ARTISTS)}, not {artist!r}")
        root = out if artist == HAND_A else out / artist.lower().replace(" ", "-")
        for sublabel, n in class_counts(count).items():
            label = "authentic" if sublabel == "original" else "forged"
            folder = root / "authentic" if label == "authentic" else root / "forged" / sublabel
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(n):
                name = f"{sublabel}_{index:03d}.jpg"
                jobs.append((folder / name, sublabel, seed, index, width, height, difficulty, artist))
                rows.append({
                    "file": (folder / name).relative_to(out).as_posix(),
                    "label": label,
                    "sublabel": sublabel,
                    "attributed_creator": artist,
                    "actual_creator": actual_creator(sublabel, artist),
                    "split": "test" if index % 5 == 4 else "train",
                })
    for done, _ in enumerate(_run(jobs), start=1):
        if progress:
            progress(done, len(jobs), rows[done - 1]["file"])
    with open(out / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "label", "sublabel", "attributed_creator", "actual_creator", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
