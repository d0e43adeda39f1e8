"""`manage.py create_dataset_version --name V --datasets a,b`: freeze processed images as a version."""
from django.core.management.base import BaseCommand, CommandError

from datasets import services
from datasets.layout import DatasetError


class Command(BaseCommand):
    help = "Create an immutable, named snapshot of the processed images of one or more datasets."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="version name, e.g. demo-v1 (refused if it exists)")
        parser.add_argument("--datasets", required=True, help="comma-separated dataset names")

    def handle(self, *args, **options):
        try:
            snapshot = services.dataset_version_create(name=options["name"], dataset_names=options["datasets"].split(","))
        except DatasetError as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{key}: {value}" for key, value in snapshot["label_counts"].items())
        self.stdout.write(f"Created dataset version {snapshot['name']} with {snapshot['image_count']} images ({counts}).")
