"""What can score an upload: the served models and the artists they serve (training.serving,
imported late because training is loaded after detection's services are)."""
from __future__ import annotations

from detection.services.errors import NO_MODEL_MESSAGE, ArtistNotServed, NoModelAvailable


def serving():
    from training import serving as serving_module

    return serving_module


def serving_model_info() -> dict | None:
    """The info of a served model (training.serving), or None when nothing can score yet."""
    return serving().promoted_model_info()


def served_artists() -> list:
    """The artists a model serves (datasets.artists.Artist), by name; cached a few seconds."""
    return serving().served_artists()


def served_artist_for(attribution: str | None):
    """The served artist the attribution names. NoModelAvailable when no artist is served;
    ArtistNotServed (empty, unknown or ambiguous, naming the served artists) otherwise."""
    from datasets.artists import ArtistError

    if not served_artists():
        raise NoModelAvailable(NO_MODEL_MESSAGE)
    try:
        return serving().served_artist_for(attribution)
    except ArtistError as error:
        raise ArtistNotServed(str(error), [artist.name for artist in served_artists()]) from None
