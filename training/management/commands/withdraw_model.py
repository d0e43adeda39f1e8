"""Stop serving an artist: uploads attributed to it are refused from then on; those already
submitted finish with the model they were pinned to.

    manage.py withdraw_model --artist NAME [--reason TEXT]
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from training import services


class Command(BaseCommand):
    help = "Withdraw the model serving an artist."

    def add_arguments(self, parser):
        parser.add_argument("--artist", required=True, help="name, alias or id")
        parser.add_argument("--reason", default="")
        parser.add_argument("--by", default="manage.py")

    def handle(self, *args, **options):
        try:
            event = services.model_unpromote(artist=options["artist"], by=options["by"], reason=options["reason"])
        except services.TrainingError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Model {event['model_version']} no longer serves {options['artist']}; its uploads are refused."))
