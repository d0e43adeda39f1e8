"""Promote a completed run's model to serve its artist (one model per artist; docs/artists.md).

    manage.py promote_model --run-id ID [--auc-floor 0.8] [--reason "why, when it raises a concern"]

A run that can decide neither verdict, or whose cross-validated AUC is below the floor, is
promoted only with --reason: without one the command prints the concerns and exits non-zero.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from training import services


class Command(BaseCommand):
    help = "Promote a completed training run's model to serve detection."

    def add_arguments(self, parser):
        parser.add_argument("--run-id", required=True)
        parser.add_argument("--auc-floor", type=float, default=None,
                            help=f"promoting below this cross-validated AUC needs --reason (default {services.DEFAULT_AUC_FLOOR})")
        parser.add_argument("--reason", default="", help="why to promote despite the concerns; recorded on the run and in the artist's serving history")
        parser.add_argument("--promoted-by", default="manage.py")

    def handle(self, *args, **options):
        try:
            info = services.model_promote(
                run_id=options["run_id"], promoted_by=options["promoted_by"],
                auc_floor=options["auc_floor"], reason=options["reason"],
            )
        except services.PromotionNeedsConfirmation as error:
            for concern in error.concerns:
                self.stderr.write(f"- {concern}")
            raise CommandError("Not promoted: give --reason to promote it anyway.") from None
        except services.TrainingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Model {info['model_version']} (run {info['run_id']}) now serves {info['artist_name']}."))
        if info.get("promotion_concerns"):
            self.stdout.write(f"Promoted despite: {' '.join(info['promotion_concerns'])} Reason: {info['promotion_reason']}")
