"""Workflow B upload: `manage.py upload_training_data --dataset-path DIR --dataset-name NAME`."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datasets import services
from datasets.layout import DatasetError
from datasets.sources import SourceError, entries_load


class ProgressBar:
    """A one-line progress bar on stderr (redrawn in place on a terminal, a line per 10% otherwise)."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_decile = -1

    def __call__(self, done: int, total: int, name: str) -> None:
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} files  {rate:.1f}/s  {name[-40:]}"
        if self.tty:
            self.stream.write("\r" + line.ljust(100) + ("\n" if done >= total else ""))
        elif int(fraction * 10) != self.last_decile or done >= total:
            self.last_decile = int(fraction * 10)
            self.stream.write(line + "\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Upload a folder of training images: originals to raw storage, ImageRecords in batches, "
        "then preprocessing and patches as django-q2 tasks (or in this process with --sync). "
        "Labels come from a manifest CSV (--manifest, or DIR/manifest.csv) or from folder names "
        "(DIR/authentic/*, DIR/forged/<sublabel>/*). Re-running skips images already uploaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset-path", required=True, type=Path, help="folder holding the images")
        parser.add_argument("--dataset-name", required=True, help="name under training/ in storage, e.g. authentic_v1")
        parser.add_argument("--manifest", type=Path, default=None, help="CSV: file,label,sublabel,attributed_creator,actual_creator[,split]")
        parser.add_argument("--sync", action="store_true", help="preprocess and cut patches here instead of queueing tasks")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, **options):
        try:
            entries, problems, ignored, manifest = entries_load(dataset_path=options["dataset_path"], manifest_path=options["manifest"])
        except SourceError as error:
            raise CommandError(str(error)) from None
        source = f"manifest {manifest}" if manifest else "folder names"
        self.stderr.write(f"{len(entries)} image file(s) from {source}; {len(problems)} rejected before upload.")
        progress = None if options["no_progress"] else ProgressBar(self.stderr._out)
        # django-q2 logs a line per enqueued task; the summary gives the count instead.
        queue_logger = logging.getLogger("django-q")
        previous_level = queue_logger.level
        if not options["sync"]:
            queue_logger.setLevel(max(previous_level, logging.WARNING))
        try:
            summary = services.training_upload(
                dataset_name=options["dataset_name"],
                entries=entries,
                problems=problems,
                ignored=ignored,
                process=services.PROCESS_INLINE if options["sync"] else services.PROCESS_QUEUE,
                progress=progress,
            )
        except DatasetError as error:
            raise CommandError(str(error)) from None
        except Exception as error:
            from artguard.outages import outage_message

            if outage_message(error) is None:
                raise
            raise CommandError(
                f"Stopped: DynamoDB or image storage is unavailable or throttling ({type(error).__name__}: {error}). "
                "What was uploaded so far is kept; run the same command again to finish (images already uploaded are skipped)."
            ) from None
        finally:
            queue_logger.setLevel(previous_level)
        self._report(summary, sync=options["sync"])
        if not summary.ok:
            raise CommandError(f"{len(summary.failed) + len(summary.process_failed)} file(s) failed; see the summary above.", returncode=1)

    def _report(self, summary: services.UploadSummary, *, sync: bool) -> None:
        out = self.stdout
        out.write(f"Uploaded: {len(summary.uploaded)}")
        out.write(f"Skipped: {len(summary.skipped)}")
        for problem in summary.skipped:
            out.write(f"  - {problem.name}: {problem.reason}")
        out.write(f"Failed: {len(summary.failed)}")
        for problem in summary.failed:
            out.write(f"  - {problem.name}: {problem.reason}")
        if sync:
            out.write(f"Preprocessed with patches: {summary.processed}")
            for problem in summary.process_failed:
                out.write(f"  - preprocessing failed for {problem.name}: {problem.reason}")
        else:
            out.write(f"Queued for preprocessing: {summary.queued} (run `manage.py qcluster` to process them)")
