"""The artist registry (docs/artists.md): one ImageRecords item per artist, registered from the
training data's attributions, renamed and given aliases by staff, and told by training's
promotion which model serves it. How names match is datasets.artists; reads are
datasets.selectors (artists_list, artist_get).
"""
from __future__ import annotations

from pynamodb.exceptions import PutError

from artguard.dynamo import now_ms
from datasets import artists as artist_names
from datasets.artists import ARTIST_LABEL, ARTIST_SPLIT, Artist, ArtistError, artist_item_id
from datasets.selectors import artist_get, artists_list
from datasets.tables import ImageRecord

HISTORY_LIMIT = 100  # promotions and withdrawals kept per artist


def artists_register(*, names: list[str]) -> list[Artist]:
    """The artist each attribution names, registering the ones no artist answers to yet (its
    first spelling becomes the canonical name). Idempotent; a racing registrar loses quietly."""
    resolver = artist_names.Resolver(artists_list())
    found: dict[str, Artist] = {}
    for raw in names:
        name = artist_names.clean_name(raw, what="An attributed artist")
        artist = resolver.find(name)
        if artist is None:
            artist = _artist_create(name)
            resolver = artist_names.Resolver([*resolver.artists, artist])
        found[artist.slug] = artist
    return list(found.values())


def _artist_create(name: str) -> Artist:
    slug, taken = artist_names.slug_for(name), 1
    while True:
        candidate = slug if taken == 1 else f"{slug}-{taken}"
        item = ImageRecord(image_id=artist_item_id(candidate), image_name=name, label=ARTIST_LABEL, split=ARTIST_SPLIT,
                           aliases=[], created_at=now_ms())
        try:
            item.save(condition=ImageRecord.image_id.does_not_exist())
            return Artist(slug=candidate, name=name)
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
        existing = artist_get(slug=candidate)
        if existing and artist_names.normalize(existing.name) == artist_names.normalize(name):
            return existing  # registered by someone else meanwhile
        taken += 1


def artist_update(*, slug: str, name: str | None = None, aliases: list[str] | None = None) -> Artist:
    """Rename an artist or replace its aliases. A name or alias another artist answers to is refused."""
    artist = artist_get(slug=slug)
    if artist is None:
        raise ArtistError(f"There is no artist {slug!r}.")
    new_name = artist_names.clean_name(name) if name is not None else artist.name
    new_aliases = artist.aliases if aliases is None else tuple(dict.fromkeys(
        artist_names.clean_name(alias, what="An alias") for alias in aliases if alias.strip()))
    others = artist_names.Resolver([other for other in artists_list() if other.slug != slug])
    for spelling in (new_name, *new_aliases):
        clash = others.find(spelling)
        if clash is not None:
            raise ArtistError(f"{spelling!r} already names {clash.name}; an alias must name one artist only.")
    ImageRecord(image_id=artist_item_id(slug)).update(
        actions=[ImageRecord.image_name.set(new_name), ImageRecord.aliases.set(list(new_aliases))],
        condition=ImageRecord.image_id.exists())
    return artist_get(slug=slug)


def artist_serving_set(*, slug: str, serving: dict | None, event: dict) -> Artist:
    """Record which model serves the artist (None: none any more) and append `event` to its
    serving history, in one conditional write."""
    artist = artist_get(slug=slug)
    if artist is None:
        raise ArtistError(f"There is no artist {slug!r}.")
    history = [*artist.history, {**event, "at": now_ms()}][-HISTORY_LIMIT:]
    actions = [ImageRecord.serving_history.set(history)]
    actions.append(ImageRecord.serving.set(serving) if serving else ImageRecord.serving.remove())
    ImageRecord(image_id=artist_item_id(slug)).update(actions=actions, condition=ImageRecord.image_id.exists())
    return artist_get(slug=slug)
