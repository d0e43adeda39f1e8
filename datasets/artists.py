"""Artist names: one canonical name per artist, aliases, and how a typed attribution finds its
artist. Pure functions; the registry items live in ImageRecords (datasets.services and
datasets.selectors, docs/artists.md).

Two spellings name the same artist when they normalize alike: letter case, accents and
punctuation do not count, and "Gogh, Vincent van" reads as "Vincent van Gogh". Anything else
("Van Gogh", "V. van Gogh") is an alias staff add.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from datasets.layout import DatasetError

ARTIST_ID_PREFIX = "artist#"
ARTIST_LABEL = "_artist"  # LabelSplitIndex partition of the artist registry items
ARTIST_SPLIT = "_artist"
MAX_NAME_LENGTH = 200


class ArtistError(DatasetError):
    """An attribution that names no single artist; the message is meant for the person."""


class EmptyArtist(ArtistError):
    pass


class UnknownArtist(ArtistError):
    pass


class AmbiguousArtist(ArtistError):
    pass


def normalize(name: str | None) -> str:
    """The comparison key of a name: no accents, case-folded, "Last, First" turned round,
    punctuation as spaces, single spaces."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    if text.count(",") == 1:
        last, first = text.split(",")
        text = f"{first} {last}"
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def slug_for(name: str) -> str:
    """A stable URL-safe id for a new artist: the normalized name in ASCII, hyphenated."""
    ascii_name = normalize(name).encode("ascii", "ignore").decode()
    slug = "-".join(ascii_name.split())[:80].strip("-")
    return slug or "artist-" + hashlib.sha256(normalize(name).encode()).hexdigest()[:10]


def artist_item_id(slug: str) -> str:
    return f"{ARTIST_ID_PREFIX}{slug}"


def clean_name(value: str | None, *, what: str = "The artist's name") -> str:
    name = " ".join((value or "").split())
    if not name:
        raise EmptyArtist(f"{what} is empty.")
    if len(name) > MAX_NAME_LENGTH:
        raise ArtistError(f"{what} is longer than {MAX_NAME_LENGTH} characters.")
    if not normalize(name):
        raise ArtistError(f"{what} {name!r} has no letters or digits.")
    return name


@dataclass(frozen=True)
class Artist:
    slug: str
    name: str  # canonical
    aliases: tuple[str, ...] = ()
    serving: dict | None = None  # {"model_version", "run_id", "promoted_at", "promoted_by", "is_demo"} or None
    history: tuple[dict, ...] = field(default=(), compare=False)  # promotions and withdrawals, oldest first

    @property
    def served(self) -> bool:
        return bool(self.serving and self.serving.get("model_version"))

    def keys(self) -> set[str]:
        return {normalize(name) for name in (self.name, *self.aliases)} - {""}


class Resolver:
    """Finds the artist an attribution names, among `artists` (canonical names and aliases)."""

    def __init__(self, artists: list[Artist]):
        self.artists = sorted(artists, key=lambda artist: normalize(artist.name))
        self._by_key: dict[str, list[Artist]] = {}
        for artist in self.artists:
            for key in artist.keys():
                self._by_key.setdefault(key, []).append(artist)

    def find(self, name: str | None) -> Artist | None:
        """The one artist `name` names, None if none; AmbiguousArtist if it names several."""
        matches = self._by_key.get(normalize(name), [])
        if len(matches) > 1:
            names = " and ".join(artist.name for artist in matches)
            raise AmbiguousArtist(f"{name!r} matches more than one artist ({names}); give the full name.")
        return matches[0] if matches else None

    def resolve(self, name: str | None, *, what: str = "artists with a model") -> Artist:
        """Like find, but an empty or unknown name is an error that lists the artists."""
        listing = ", ".join(artist.name for artist in self.artists) or "none yet"
        if not (name or "").strip():
            raise EmptyArtist(f"Name the artist the work is attributed to ({what}: {listing}).")
        artist = self.find(name)
        if artist is None:
            near = self.nearest(name)
            guess = f" Did you mean {' or '.join(near)}?" if near else ""
            raise UnknownArtist(f"No model for {name.strip()!r}.{guess} The {what} are: {listing}.")
        return artist

    def nearest(self, name: str | None, *, cutoff: float = 0.75, limit: int = 3) -> list[str]:
        """The artists (canonical names) whose name or alias is spelled most like `name`: a
        typo or a spelling variant ("Verhagen" for "Verhaegen"), nearest first."""
        key = normalize(name)
        if not key:
            return []
        scored = {}
        for artist in self.artists:
            for candidate in artist.keys():
                # each word too, so a surname alone finds "First Last"
                for part in {candidate, *candidate.split()}:
                    ratio = difflib.SequenceMatcher(None, key, part).ratio()
                    if ratio >= cutoff:
                        scored[artist.name] = max(scored.get(artist.name, 0.0), ratio)
        return [artist for artist, _ in sorted(scored.items(), key=lambda item: -item[1])[:limit]]
