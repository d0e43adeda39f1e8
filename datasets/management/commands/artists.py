"""List the registered artists, or edit one's names.

    manage.py artists                                   # every artist: id, name, aliases, serving model
    manage.py artists --artist NAME --add-alias "Van Gogh" [--add-alias ...]
    manage.py artists --artist NAME --remove-alias "Van Gogh"
    manage.py artists --artist NAME --rename "Vincent van Gogh"

Artists are registered from the training data's attributions when a dataset version is frozen
(docs/artists.md). An alias that already names another artist is refused.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from datasets.artists import ArtistError
from datasets.selectors import artist_get, artists_list, artists_resolver
from datasets.artist_registry import artist_update


class Command(BaseCommand):
    help = "List artists, or edit an artist's canonical name and aliases."

    def add_arguments(self, parser):
        parser.add_argument("--artist", help="the artist to edit (name, alias or id)")
        parser.add_argument("--add-alias", action="append", default=[])
        parser.add_argument("--remove-alias", action="append", default=[])
        parser.add_argument("--rename", default=None)

    def handle(self, *args, **options):
        if not options["artist"]:
            for artist in artists_list():
                serving = artist.serving["model_version"] if artist.served else "no model"
                aliases = f" (aliases: {', '.join(artist.aliases)})" if artist.aliases else ""
                self.stdout.write(f"{artist.slug}\t{artist.name}{aliases}\t{serving}")
            return
        try:
            artist = artist_get(slug=options["artist"]) or artists_resolver().resolve(options["artist"], what="registered artists")
            aliases = [alias for alias in artist.aliases if alias not in options["remove_alias"]] + options["add_alias"]
            updated = artist_update(slug=artist.slug, name=options["rename"], aliases=aliases)
        except ArtistError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"{updated.slug}: {updated.name}; aliases: {', '.join(updated.aliases) or 'none'}"))
