"""Reads of the training app: runs by key, by status (StatusIndex) and by dataset version
(DatasetVersionIndex), a run's configurations (RunConfigsIndex). Never a Scan."""
from __future__ import annotations

from collections import defaultdict

from artguard.pagination import Page, cursor_decode, page_from_query
from training import served_models
from training.tables import ConfigRecord, RunRecord

_STATUS_CURSOR_KEYS = {"run_id", "status", "created_at"}
_VERSION_CURSOR_KEYS = {"run_id", "dataset_version", "created_at"}


def run_get(*, run_id: str) -> RunRecord | None:
    if not run_id or len(run_id) > 64:
        return None
    try:
        return RunRecord.get(run_id)
    except RunRecord.DoesNotExist:
        return None


def _artist_filter(artist: str | None):
    return (RunRecord.artist == artist) if artist else None


def runs_by_status(*, status: str, cursor: str | None = None, limit: int = 25, artist: str | None = None) -> Page:
    """Newest first, of one artist (slug) when given (a filter on the index query: a page may
    hold fewer than `limit`). BadCursor for a cursor this query did not make."""
    start = cursor_decode(cursor, allowed_keys=_STATUS_CURSOR_KEYS)
    query = RunRecord.status_index.query(status, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                                         filter_condition=_artist_filter(artist))
    return page_from_query(query, limit=limit)


def runs_for_dataset_version(*, dataset_version: str, cursor: str | None = None, limit: int = 25, artist: str | None = None) -> Page:
    start = cursor_decode(cursor, allowed_keys=_VERSION_CURSOR_KEYS)
    query = RunRecord.dataset_version_index.query(dataset_version, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                                                  filter_condition=_artist_filter(artist))
    return page_from_query(query, limit=limit)


def run_configs(*, run_id: str) -> list[ConfigRecord]:
    """Every ConfigRecord of the run, by fold (the final model's record has fold_id -1)."""
    return sorted(ConfigRecord.run_configs_index.query(run_id), key=lambda c: (c.fold_id, c.hyperparameters.as_dict().get("hidden", 0), c.created_at, c.config_id))


def run_fold_table(*, run_id: str) -> dict:
    """{"folds": [fold_id...], "configs": [{"key", "hyperparameters", "cells": {fold_id: record}}],
    "final": record | None}: the fold x configuration table of the run page."""
    records = run_configs(run_id=run_id)
    final = next((r for r in records if r.fold_id == -1), None)
    rows: dict[str, dict] = {}
    folds = sorted({int(r.fold_id) for r in records if r.fold_id >= 0})
    by_key = defaultdict(dict)
    for record in records:
        if record.fold_id < 0:
            continue
        hp = record.hyperparameters.as_dict()
        key = config_key(hp)
        rows.setdefault(key, {"key": key, "hyperparameters": {k: v for k, v in hp.items()}})
        by_key[key][int(record.fold_id)] = record
    table = [{**row, "cells": [by_key[row["key"]].get(fold) for fold in folds]} for row in rows.values()]
    return {"folds": folds, "configs": table, "final": final}


def config_key(hyperparameters: dict) -> str:
    """One row per distinct configuration: every hyperparameter but the run-wide backbone."""
    return ", ".join(f"{name}={value}" for name, value in sorted(hyperparameters.items()) if name != "backbone")


def served_artists() -> list:
    """The artists a model serves (datasets.artists.Artist, .serving names the model)."""
    return served_models.catalogue()


def serving_for_artist(*, artist: str | None) -> dict | None:
    """The `serving` entry of an artist (slug): {"model_version", "run_id", ...}, or None."""
    from datasets.selectors import artist_get

    found = artist_get(slug=artist) if artist else None
    return found.serving if found and found.served else None
