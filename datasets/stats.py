"""Per-dataset image counts kept as sharded counters, so the staff datasets page reads 8 small
items instead of every training image (docs/scaling.md, "datasets_list").

Counters live in ImageRecords items `image_id = "dataset-stats#<shard>"` (shards 0-7), an
addition to seed 000. They carry no `label` or `split`, so they stay out of LabelSplitIndex.
Each counter is a top-level number attribute named `<dataset>|<facet>|<value>` (facets: label,
sublabel, split, status), changed with atomic ADDs on a random shard: writes spread over eight
keys, and a read is one BatchGetItem that sums the shards.

Writers: an upload adds its new images; a status change (uploaded -> processed or failed) is
counted only by the caller whose conditional update made it; deleting a dataset removes its
counters. `stats_rebuild` recounts everything from the partitions: the `recount_datasets`
command, and an upload that finds no counters yet (before it writes anything, so on a new table
the counters cover every image from the first one on).
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict

from artguard.dynamo import now_ms
from datasets.tables import ImageRecord

logger = logging.getLogger(__name__)

STATS_ID_PREFIX = "dataset-stats#"
SHARDS = 8
FACETS = ("label", "sublabel", "split", "status")
SEPARATOR = "|"
BUILT_AT = "built_at"  # on shard 0: the table has counters (even when it has no images)
_ADDS_PER_UPDATE = 50  # keeps each UpdateExpression well inside DynamoDB's limits


def stats_item_id(shard: int) -> str:
    return f"{STATS_ID_PREFIX}{shard}"


def _client():
    return ImageRecord._get_connection().connection.client


def _table() -> str:
    return ImageRecord.Meta.table_name


def _counter(dataset: str, facet: str, value: str) -> str:
    return SEPARATOR.join((dataset, facet, value))


def image_facets(*, label: str, sublabel: str | None, split: str, status: str) -> dict[str, str]:
    return {"label": label, "sublabel": f"{label}/{sublabel or '-'}", "split": split, "status": status or "-"}


def stats_add(changes: dict[tuple[str, str, str], int], *, shard: int | None = None) -> None:
    """ADD each (dataset, facet, value) -> n to one shard (random unless given)."""
    changes = {key: n for key, n in changes.items() if n}
    if not changes:
        return
    shard = random.randrange(SHARDS) if shard is None else shard
    items = list(changes.items())
    for start in range(0, len(items), _ADDS_PER_UPDATE):
        chunk = items[start:start + _ADDS_PER_UPDATE]
        names = {f"#c{i}": _counter(*key) for i, (key, _) in enumerate(chunk)}
        values = {f":v{i}": {"N": str(n)} for i, (_, n) in enumerate(chunk)}
        _client().update_item(
            TableName=_table(), Key={"image_id": {"S": stats_item_id(shard)}},
            UpdateExpression="ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(chunk))),
            ExpressionAttributeNames=names, ExpressionAttributeValues=values,
        )


def tally(records) -> dict[tuple[str, str, str], int]:
    """(dataset, facet, value) -> count over ImageRecord-like objects."""
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for record in records:
        facets = image_facets(label=record.label, sublabel=record.sublabel, split=record.split, status=record.status)
        for facet, value in facets.items():
            counts[(record.dataset_name or "(none)", facet, value)] += 1
    return counts


def stats_images_added(records) -> None:
    """Count newly stored images."""
    stats_add(tally(records))


def stats_status_changed(*, dataset: str, old: str | None, new: str) -> None:
    if (old or "-") != new:
        stats_add({(dataset, "status", old or "-"): -1, (dataset, "status", new): 1})


def stats_built() -> bool:
    """True once the counters cover every image (shard 0 carries BUILT_AT)."""
    answer = _client().get_item(TableName=_table(), Key={"image_id": {"S": stats_item_id(0)}}, ConsistentRead=True,
                                ProjectionExpression="#built", ExpressionAttributeNames={"#built": BUILT_AT})
    return BUILT_AT in answer.get("Item", {})


def _shards() -> list[dict]:
    keys = [{"image_id": {"S": stats_item_id(shard)}} for shard in range(SHARDS)]
    request = {_table(): {"Keys": keys, "ConsistentRead": True}}
    items: list[dict] = []
    while request:
        answer = _client().batch_get_item(RequestItems=request)
        items.extend(answer["Responses"].get(_table(), []))
        request = answer.get("UnprocessedKeys") or {}
    return items


def stats_read() -> list[dict] | None:
    """[{name, image_count, labels, sublabels, splits, statuses}] by name; None if the table has
    no counters yet (stats_rebuild makes them)."""
    shards = _shards()
    if not any(BUILT_AT in item for item in shards):
        return None
    counts: dict[tuple[str, str, str], int] = defaultdict(int)
    for item in shards:
        for name, value in item.items():
            if SEPARATOR in name and "N" in value:
                counts[tuple(name.split(SEPARATOR, 2))] += int(value["N"])
    return listing(counts)


def listing(counts: dict[tuple[str, str, str], int]) -> list[dict]:
    """[{name, image_count, labels, sublabels, splits, statuses}] by name, from a tally."""
    totals: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: {facet: defaultdict(int) for facet in FACETS})
    for (dataset, facet, value), n in counts.items():
        totals[dataset][facet][value] += n
    listed = []
    for dataset, facets in sorted(totals.items()):
        labels = {value: n for value, n in facets["label"].items() if n}
        if not labels:
            continue  # every image of it was deleted
        listed.append({
            "name": dataset,
            "image_count": sum(labels.values()),
            "labels": labels,
            "sublabels": dict(sorted((value, n) for value, n in facets["sublabel"].items() if n)),
            "splits": {value: n for value, n in facets["split"].items() if n},
            "statuses": {value: n for value, n in facets["status"].items() if n},
        })
    return listed


def stats_dataset_forget(*, dataset: str) -> None:
    """Remove a deleted dataset's counters from every shard."""
    prefix = dataset + SEPARATOR
    for item in _shards():
        names = [name for name in item if name.startswith(prefix)]
        for start in range(0, len(names), _ADDS_PER_UPDATE):
            chunk = names[start:start + _ADDS_PER_UPDATE]
            _client().update_item(
                TableName=_table(), Key={"image_id": item["image_id"]},
                UpdateExpression="REMOVE " + ", ".join(f"#c{i}" for i in range(len(chunk))),
                ExpressionAttributeNames={f"#c{i}": name for i, name in enumerate(chunk)},
            )


def stats_rebuild(records) -> None:
    """Replace every counter with counts of `records` (all training images). With images, run it
    while nothing is being uploaded, processed or deleted: changes made meanwhile may be counted
    twice or not. With none (a new table) it only marks the counters built, so it cannot race."""
    changes = tally(records)
    count = sum(n for (_, facet, _), n in changes.items() if facet == "label")
    if count:
        for shard in range(SHARDS):
            _client().delete_item(TableName=_table(), Key={"image_id": {"S": stats_item_id(shard)}})
        stats_add(changes, shard=0)
    _client().update_item(
        TableName=_table(), Key={"image_id": {"S": stats_item_id(0)}},
        UpdateExpression="SET #built = if_not_exists(#built, :now)", ExpressionAttributeNames={"#built": BUILT_AT},
        ExpressionAttributeValues={":now": {"N": str(now_ms())}},
    )
    logger.info("dataset counters rebuilt from %s training images", count)
