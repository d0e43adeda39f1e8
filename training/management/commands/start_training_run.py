"""Start a nested cross-validation run on a dataset version.

    manage.py start_training_run --dataset-version demo-v2 [--artist NAME] [--proxies] [--k-folds 5] [--seeds 0 1]
                                 [--stratify-on sublabel] [--backbone efficientnet-lite0]
                                 [--max-forged-called-authentic PCT] [--max-authentic-called-forged PCT] [--sync]

A run is for one artist (docs/artists.md): its authentic works against the works attributed to it
that it did not make; --proxies adds the other artists' authentic works as negatives. --artist
may be left out when the version has works of one artist only.

The two targets (percent, above 0 and at most 50, default 5) bound the verdict policy's error
rates on out-of-fold predictions (training.ml.policy); each label needs at least 100 / PCT images.

Without --sync the run is queued for the django-q2 workers (`manage.py qcluster`) and the
command prints its id; with --sync it runs here and prints its progress.
"""
from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from training import services, targets
from training.data import STRATIFY_CHOICES
from training.ml.backbone import DEFAULT_BACKBONE, REGISTRY


class Command(BaseCommand):
    help = "Start a nested cross-validation training run on a dataset version."

    def add_arguments(self, parser):
        parser.add_argument("--dataset-version", required=True)
        parser.add_argument("--artist", default=None, help="the artist to train for (name, alias or id)")
        parser.add_argument("--proxies", action="store_true", help="other artists' authentic works join as negatives (sublabel proxy)")
        parser.add_argument("--k-folds", type=int, default=5)
        parser.add_argument("--seeds", type=int, nargs=2, metavar=("OUTER", "INNER"), default=(0, 1),
                            help="outer_split_seed and inner_split_seed (default 0 1)")
        parser.add_argument("--stratify-on", default="sublabel", choices=STRATIFY_CHOICES)
        parser.add_argument("--backbone", default=DEFAULT_BACKBONE, choices=sorted(REGISTRY))
        for field, (_, label) in targets.TARGET_FIELDS.items():
            parser.add_argument(f"--{field.replace('_', '-')}", type=float, metavar="PCT", default=targets.default_percent(field),
                                help=f"{label.replace('%', '%%')}, above 0 and at most 50 (default %(default)g)")
        parser.add_argument("--sync", action="store_true", help="run here instead of in a django-q2 worker")

    def handle(self, *args, **options):
        last = {"message": None}

        def progress(message: str, fraction: float) -> None:
            if message != last["message"]:
                last["message"] = message
                self.stdout.write(f"[{fraction * 100:5.1f}%] {message}")
                sys.stdout.flush()

        try:
            for field in targets.TARGET_FIELDS:
                targets.percent_check(options[field])
        except targets.BadPercent as error:
            raise CommandError(str(error)) from None
        try:
            run = services.run_start(
                dataset_version=options["dataset_version"], k_folds=options["k_folds"],
                artist=options["artist"], proxies=options["proxies"],
                outer_split_seed=options["seeds"][0], inner_split_seed=options["seeds"][1],
                stratify_on=options["stratify_on"], backbone=options["backbone"],
                targets=targets.from_percents(options), started_by="manage.py", sync=options["sync"], progress=progress,
            )
        except services.TrainingError as error:
            raise CommandError(str(error)) from None
        except Exception as error:
            raise CommandError(f"The run failed: {type(error).__name__}: {error}") from None
        if not options["sync"]:
            self.stdout.write(f"Run {run.run_id} queued; follow it on the Runs page or with `manage.py qcluster` running.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Run {run.run_id} {run.status}: model {run.model_version} for {run.artist_name}, "
            f"AUC {run.mean_auc:.3f} ± {run.std_auc:.3f}, accuracy {run.mean_accuracy:.3f} ± {run.std_accuracy:.3f}"
            if run.mean_auc is not None else f"Run {run.run_id} {run.status}"
        ))
