"""Create runs, fail them, sweep the dead ones, and set what staff decide about a run.

A run is one nested cross-validation of one artist's images (training.ml.cv); executing it is
training.services.execution's job.
"""
from __future__ import annotations

import logging
import uuid

from django.conf import settings
from pynamodb.exceptions import UpdateError

from artguard.dynamo import now_ms
from training import data as training_data
from training.ml import backbone as backbone_module, grid as grid_rules, policy as policy_module
from training.selectors import run_get
from training.tables import RunRecord

logger = logging.getLogger(__name__)

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
STATUSES = (RUNNING, COMPLETED, FAILED)


class TrainingError(ValueError):
    """A request the training app cannot carry out; the message is meant for the person."""


class RunAborted(RuntimeError):
    """The run stopped being "running" under us (the stale sweep failed it): stop quietly."""


def heartbeat_stale_seconds() -> int:
    return int(getattr(settings, "TRAINING_HEARTBEAT_STALE_SECONDS", 15 * 60))


def existing_run(run_id: str) -> RunRecord:
    """The run, or a TrainingError saying there is none."""
    run = run_get(run_id=run_id)
    if run is None:
        raise TrainingError(f"There is no run {run_id}.")
    return run


def clean_grid(grid: list[dict] | None) -> list[dict]:
    """The grid as training.ml.grid cleans it, its refusal as a TrainingError."""
    try:
        return grid_rules.clean_grid(grid)
    except grid_rules.InvalidGrid as error:
        raise TrainingError(str(error)) from None


def run_create(
    *,
    dataset_version: str,
    k_folds: int = 5,
    stratify_on: str = "sublabel",
    outer_split_seed: int = 0,
    inner_split_seed: int = 1,
    grid: list[dict] | None = None,
    backbone: str = backbone_module.DEFAULT_BACKBONE,
    started_by: str | None = None,
    is_demo: bool = False,
    targets: dict | None = None,
    artist: str | None = None,
    proxies: bool = False,
) -> RunRecord:
    """A RunRecord in status running (progress "queued"); checks everything checkable up front.
    `targets`: the verdict policy's error-rate targets as fractions (training.ml.policy).
    `artist`: whose model this is (a name, alias or slug); may be left out when the version
    names one artist only. `proxies`: other artists' authentic works join as negatives."""
    if not 2 <= int(k_folds) <= 20:
        raise TrainingError("k_folds must be between 2 and 20.")
    if stratify_on not in training_data.STRATIFY_CHOICES:
        raise TrainingError(f"stratify_on must be one of {', '.join(training_data.STRATIFY_CHOICES)}.")
    if backbone not in backbone_module.REGISTRY:
        raise TrainingError(f"Unknown backbone {backbone!r}; known: {', '.join(sorted(backbone_module.REGISTRY))}.")
    cleaned = clean_grid(grid)
    try:
        targets = policy_module.clean_targets(targets)
    except policy_module.InvalidTargets as error:
        raise TrainingError(str(error)) from None
    try:
        snapshot = training_data.dataset_version_snapshot(dataset_version)
    except training_data.TrainingDataError as error:
        raise TrainingError(str(error)) from None
    chosen = _run_artist(snapshot, dataset_version, artist)
    images = training_data.artist_images(snapshot, artist_slug=chosen.slug, proxies=proxies)
    labels = [image.get("label") for image in images]
    counts = (f"it has {labels.count('authentic')} authentic and {labels.count('forged')} forged images of {chosen.name} "
              f"({_sublabel_counts(images)})")
    for name in ("authentic", "forged"):
        if labels.count(name) < k_folds:
            raise TrainingError(f"{k_folds} folds need at least {k_folds} {name} images; dataset version {dataset_version!r}: {counts}.")
    needed = policy_module.images_needed(targets)
    for name, target_key in (("forged", "forged_called_authentic"), ("authentic", "authentic_called_forged")):
        if labels.count(name) < needed[name]:
            raise TrainingError(
                f"A {policy_module.pct(targets[target_key])} target needs at least {needed[name]} {name} images to be measured "
                f"(one error in {needed[name]}); dataset version {dataset_version!r}: {counts}. Add images or loosen the target.")
    now = now_ms()
    run = RunRecord(
        run_id=uuid.uuid4().hex,
        created_at=now,
        status=RUNNING,
        dataset_version=dataset_version,
        k_folds=int(k_folds),
        stratify_on=stratify_on,
        outer_split_seed=int(outer_split_seed),
        inner_split_seed=int(inner_split_seed),
        hyperparameter_grid={"configs": cleaned, "backbone": backbone},
        backbone=backbone,
        progress="0% queued",
        heartbeat_at=now,
        updated_at=now,
        started_by=started_by,
        is_demo=bool(is_demo),
        verdict_targets=targets,
        artist=chosen.slug,
        artist_name=chosen.name,
        proxy_negatives=bool(proxies),
    )
    run.save(condition=RunRecord.run_id.does_not_exist())
    return run


def _run_artist(snapshot: dict, dataset_version: str, artist: str | None):
    """The artist a run is for: the one named, or the version's only artist."""
    present = training_data.version_artists(snapshot)
    names = ", ".join(item.name for item in present)
    if artist is None or not artist.strip():
        if len(present) == 1:
            return present[0]
        if not present:
            raise TrainingError(f"Dataset version {dataset_version!r} names no artist (its images have no attributed_creator); "
                                "a model is trained per artist, so upload the images with the artist they are attributed to.")
        raise TrainingError(f"Dataset version {dataset_version!r} has works of several artists ({names}); name the artist to train for.")
    try:
        chosen = training_data.resolve_artist(artist)
    except training_data.TrainingDataError as error:
        raise TrainingError(str(error)) from None
    if chosen.slug not in {item.slug for item in present}:
        raise TrainingError(f"Dataset version {dataset_version!r} has no works attributed to {chosen.name}; its artists: {names or 'none'}.")
    return chosen


def _sublabel_counts(images: list[dict]) -> str:
    counts: dict[str, int] = {}
    for image in images:
        key = f"{image.get('label')}/{image.get('sublabel') or '-'}"
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))


def run_fail(*, run_id: str, error: str) -> bool:
    """Mark a running run failed with `error`; False if it was not running any more."""
    now = now_ms()
    try:
        RunRecord(run_id=run_id).update(
            actions=[RunRecord.status.set(FAILED), RunRecord.error.set(error[:2000]), RunRecord.finished_at.set(now), RunRecord.updated_at.set(now)],
            condition=(RunRecord.status == RUNNING),
        )
        return True
    except UpdateError as update_error:
        if update_error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def runs_sweep_stale(*, now: int | None = None) -> list[str]:
    """Fail every running run whose heartbeat is older than the stale limit (StatusIndex query
    on "running": a handful of items, never a scan). Returns the failed run ids."""
    now = now or now_ms()
    limit_ms = heartbeat_stale_seconds() * 1000
    failed = []
    for run in RunRecord.status_index.query(RUNNING):
        beat = int(run.heartbeat_at or run.created_at)
        if now - beat > limit_ms:
            minutes = (now - beat) / 60000
            if run_fail(run_id=run.run_id, error=f"No heartbeat for {minutes:.0f} minutes: the worker running it stopped (or never started it)."):
                failed.append(run.run_id)
    return failed


def run_reference_thumbnails_set(*, run_id: str, allowed: bool, changed_by: str) -> RunRecord:
    """Staff decide whether users may see thumbnails of this run's training patches beside their
    results (training images may be confidential; labels and similarities are always shown).
    Applies at once to every result of the model, past and future: results store no thumbnails."""
    run = existing_run(run_id)
    logger.info("run %s: reference thumbnails %s by %s", run_id, "shown" if allowed else "hidden", changed_by)
    run.update(actions=[RunRecord.reference_thumbnails.set(bool(allowed)), RunRecord.updated_at.set(now_ms())])
    return run
