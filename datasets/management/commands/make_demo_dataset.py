"""`manage.py make_demo_dataset --out DIR [--seed 7] [--count 120] [--difficulty standard|hard]
[--artists "Demo Hand A" "Demo Hand C"]`: synthetic demo paintings (count per artist)."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datasets.synthetic import DEMO_ARTISTS, DIFFICULTIES, HAND_A, demo_dataset_write
from datasets.management.commands.upload_training_data import ProgressBar


class Command(BaseCommand):
    help = (
        "Write a synthetic, labelled demo dataset (painting-like images made offline from a seed, "
        "NOT real artworks) with manifest.csv, ready for upload_training_data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--count", type=int, default=120, help="images per artist (about half authentic)")
        parser.add_argument("--width", type=int, default=768)
        parser.add_argument("--height", type=int, default=576)
        parser.add_argument(
            "--difficulty", choices=DIFFICULTIES, default="standard",
            help="standard: the demo set (easy to separate); hard: a subtle imitator, mild prints, better look-alikes and more varied photographs, for comparing models on a set that is not saturated",
        )
        parser.add_argument("--artists", nargs="+", choices=list(DEMO_ARTISTS), default=[HAND_A],
                            help="the synthetic painters, each with its own imitator (default: %(default)s)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if options["count"] < 1:
            raise CommandError("--count must be at least 1.")
        if min(options["width"], options["height"]) < 224:
            raise CommandError("--width and --height must be at least 224 (one patch).")
        out = options["out"]
        if out.exists() and any(out.iterdir()) and not (out / "manifest.csv").exists():
            raise CommandError(f"{out} exists and is not a demo dataset folder; choose an empty or new folder.")
        progress = None if options["no_progress"] else ProgressBar(self.stderr._out)
        rows = demo_dataset_write(out=out, seed=options["seed"], count=options["count"], width=options["width"], height=options["height"], progress=progress, difficulty=options["difficulty"],
                                  artists=tuple(options["artists"]))
        counts = {}
        for row in rows:
            counts[row["sublabel"]] = counts.get(row["sublabel"], 0) + 1
        summary = ", ".join(f"{key}: {value}" for key, value in counts.items())
        self.stdout.write(f"Wrote {len(rows)} synthetic images ({summary}) and {out / 'manifest.csv'}.")
        self.stdout.write(f"Next: manage.py upload_training_data --dataset-path {out} --dataset-name demo")
