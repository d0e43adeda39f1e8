"""Upload documents about an artist to the knowledge base (docs/knowledge.md).

    manage.py upload_knowledge --artist NAME PATH [PATH ...] [--title T] [--author A] [--year Y]
                               [--citation URL_OR_REFERENCE] [--licence NOTE] [--replaces DOC_ID]
    manage.py upload_knowledge --artist NAME --withdraw DOC_ID [--reason TEXT]

Each file is checked and stored on its own: one refused file (with its reason) does not stop the
others, and the command exits non-zero if any was refused. Indexing (Workflow C) runs in the
worker; the artist's page shows each version's state.
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datasets.knowledge.extract import KnowledgeError
from datasets.knowledge.services import Source, artist_for_documents, knowledge_upload, knowledge_withdraw


class Command(BaseCommand):
    help = "Upload PDF, Markdown or text documents about an artist to the knowledge base, or withdraw one."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)
        parser.add_argument("--artist", required=True, help="the artist's name, alias or id")
        parser.add_argument("--title", default="", help="title (one file only; default: the file's name)")
        parser.add_argument("--author", default="")
        parser.add_argument("--year", default="")
        parser.add_argument("--citation", default="", help="URL or bibliographic reference")
        parser.add_argument("--licence", default="", help="licence note, e.g. 'CC BY 4.0'")
        parser.add_argument("--replaces", default=None, help="upload the file as a new version of this document id")
        parser.add_argument("--withdraw", default=None, metavar="DOC_ID", help="withdraw this document instead")
        parser.add_argument("--reason", default="")
        parser.add_argument("--by", default="upload_knowledge", help="who uploads, as the artist's page shows it")

    def handle(self, *args, paths, **options):
        try:
            artist = artist_for_documents(options["artist"])
        except KnowledgeError as error:
            raise CommandError(str(error)) from None
        if options["withdraw"]:
            return self._withdraw(artist, options)
        if not paths:
            raise CommandError("Name at least one file to upload.")
        if len(paths) > 1 and (options["title"] or options["replaces"]):
            raise CommandError("--title and --replaces apply to one file; upload the files one at a time.")
        refused = 0
        for path in paths:
            try:
                if not path.is_file():
                    raise KnowledgeError(f"{path} is not a file.")
                source = Source(title=options["title"], author=options["author"], year=options["year"],
                                citation=options["citation"], licence=options["licence"])
                doc = knowledge_upload(artist=artist.slug, filename=path.name, data=path.read_bytes(), source=source,
                                       by=options["by"], replaces=options["replaces"])
            except KnowledgeError as error:
                refused += 1
                self.stderr.write(f"refused {path}: {error}")
            else:
                self.stdout.write(f"stored {path} as {doc.title!r} ({doc.doc_id}, version {doc.current.version}, {doc.current.state})")
        if refused:
            raise CommandError(f"{refused} of {len(paths)} files were refused; the others are stored.")

    def _withdraw(self, artist, options):
        from datasets.knowledge.records import document_get

        doc = document_get(doc_id=options["withdraw"])
        if doc is None or doc.artist != artist.slug:
            raise CommandError(f"{artist.name} has no document {options['withdraw']!r}.")
        knowledge_withdraw(doc_id=doc.doc_id, by=options["by"], reason=options["reason"])
        self.stdout.write(f"withdrew {doc.title!r} ({doc.doc_id})")
