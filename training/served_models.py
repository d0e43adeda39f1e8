"""Which model serves which artist (docs/artists.md).

- The catalogue: the artists a model serves. Each artist's registry item (datasets) carries a
  small `serving` map naming its model version; the catalogue is one query of the artist
  partition, kept CATALOGUE_TTL_SECONDS per process, so a promotion reaches every host within
  that time (and the promoting process at once).
- The served info of a model version: what scoring needs beyond the weights (calibration,
  verdict policy, thresholds, metrics), one small JSON object per version in processed storage
  (`models/served/<model_version>.json`, a local folder or the S3 bucket every host shares),
  written at promotion. A detection pins the version when it is submitted and reads the info
  by version, so an upload in flight when its artist's model changes finishes with the model
  it started with. Versions are immutable, so their info is cached per process (bounded).
"""
from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict


from artguard.storage import processed_storage, store_at

SERVED_PREFIX = "models/served"
CATALOGUE_TTL_SECONDS = 5.0
INFO_CACHE_SIZE = 64

_lock = threading.Lock()
_catalogue: dict = {"at": -1e9, "value": None, "storage": None}
_infos: OrderedDict = OrderedDict()


def served_info_path(model_version: str) -> str:
    return f"{SERVED_PREFIX}/{model_version}.json"


def served_info_write(info: dict) -> None:
    store_at(processed_storage(), served_info_path(info["model_version"]), json.dumps(info, sort_keys=True).encode())
    clear_cache()


def served_info_read(model_version: str) -> dict | None:
    """The info `model_version` was promoted with, or None if it never was."""
    storage = processed_storage()
    key = (id(storage), model_version)
    with _lock:
        if key in _infos:
            _infos.move_to_end(key)
            return _infos[key]
    try:
        with storage.open(served_info_path(model_version), "rb") as handle:
            value = json.loads(handle.read())
    except FileNotFoundError:
        return None
    with _lock:
        _infos[key] = value
        while len(_infos) > INFO_CACHE_SIZE:
            _infos.popitem(last=False)
    return value


def catalogue(*, fresh: bool = False) -> list:
    """The artists a model serves (datasets.artists.Artist, by name), cached a few seconds."""
    from datasets.selectors import artists_list

    storage = processed_storage()  # a new storage (tests) means new tables too: read afresh
    with _lock:
        cached = _catalogue["storage"] is storage and time.monotonic() - _catalogue["at"] < CATALOGUE_TTL_SECONDS
        if cached and not fresh:
            return _catalogue["value"]
    value = [artist for artist in artists_list() if artist.served]
    with _lock:
        _catalogue.update(at=time.monotonic(), value=value, storage=storage)
    return value


def clear_cache() -> None:
    with _lock:
        _catalogue.update(at=-1e9, value=None, storage=None)
        _infos.clear()
