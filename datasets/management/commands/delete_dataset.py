"""`manage.py delete_dataset --dataset-name NAME`: delete a training dataset's records and files."""
from django.core.management.base import BaseCommand, CommandError

from datasets.deletion import dataset_delete
from datasets.layout import DatasetError


class Command(BaseCommand):
    help = (
        "Delete a training dataset: its image and patch records and its files in raw and processed "
        "storage. Refused while a dataset version contains it or images are still preprocessing, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset-name", required=True)
        parser.add_argument("--force", action="store_true", help="delete even if dataset versions contain it or images are still preprocessing")
        parser.add_argument("--no-input", "--noinput", action="store_false", dest="interactive", help="do not ask for confirmation")

    def handle(self, *args, **options):
        name = options["dataset_name"]
        if options["interactive"]:
            answer = input(f"This deletes every image, patch and file of dataset {name!r}. Type the dataset name to confirm: ")
            if answer.strip() != name:
                raise CommandError("Not confirmed; nothing was deleted.")
        try:
            result = dataset_delete(name=name, force=options["force"])
        except DatasetError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Deleted dataset {result.dataset_name}: {result.images} images, {result.patches} patches, "
            f"{result.raw_objects} raw and {result.processed_objects} processed files."
        )
        if result.versions_affected:
            self.stderr.write(
                f"Dataset version(s) {', '.join(result.versions_affected)} refer to the deleted images; "
                "training runs on them will fail. Create a new version from the remaining datasets."
            )
