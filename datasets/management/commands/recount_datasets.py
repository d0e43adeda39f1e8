"""`manage.py recount_datasets`: rebuild the per-dataset image counters from the images themselves."""
from django.core.management.base import BaseCommand

from datasets.selectors import datasets_list, training_image_summaries
from datasets.stats import stats_rebuild


class Command(BaseCommand):
    help = (
        "Recount every training image into the dataset counters the datasets page reads (datasets/stats.py). "
        "Reads every image record: run it when nothing is being uploaded, processed or deleted, after "
        "restoring a table from a backup, or if the page's counts look wrong."
    )

    def handle(self, *args, **options):
        stats_rebuild(training_image_summaries())
        for dataset in datasets_list():
            self.stdout.write(f"{dataset['name']}: {dataset['image_count']} images, {dataset['statuses']}")
        self.stdout.write("Counters rebuilt.")
