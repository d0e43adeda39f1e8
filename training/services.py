"""Writes of the training app: create and execute nested cross-validation runs, record their
configurations, save the final model, promote a model version, sweep dead runs.

Every long function takes `progress(message, fraction)` so commands, tasks and the demo
bootstrap can show where it is.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings
from pynamodb.exceptions import UpdateError

from artguard.dynamo import now_ms
from training import capture_data, pointer
from training import concerns as concerns_module
from training import data as training_data
from training.ml import (artifact, backbone as backbone_module, capture, capture_check, cv, familiarity, head, policy as policy_module,
                         reference_index, robustness, shortcut)
from training.tables import ConfigRecord, RunRecord

logger = logging.getLogger(__name__)

RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
STATUSES = (RUNNING, COMPLETED, FAILED)
FINAL_FOLD_ID = -1
HEARTBEAT_EVERY_SECONDS = 2.0
Progress = Callable[[str, float], None]
HP_KEYS = {"kind", "C", "hidden", "lr", "weight_decay", "dropout", "max_epochs", "patience", "batch_size"}
DEFAULT_AUC_FLOOR = concerns_module.DEFAULT_AUC_FLOOR  # promoting a run below it asks for a reason (staff may set another)


class TrainingError(ValueError):
    """A request the training app cannot carry out; the message is meant for the person."""


class PromotionNeedsConfirmation(TrainingError):
    """Promoting this run needs a reason given on purpose; `concerns` says why, in plain words."""

    def __init__(self, concerns: list[str]):
        super().__init__(" ".join(concerns) + " Give a reason to promote it anyway.")
        self.concerns = concerns


class RunAborted(RuntimeError):
    """The run stopped being "running" under us (the stale sweep failed it): stop quietly."""


def heartbeat_stale_seconds() -> int:
    return int(getattr(settings, "TRAINING_HEARTBEAT_STALE_SECONDS", 15 * 60))


def _clean_grid(grid: list[dict] | None) -> list[dict]:
    grid = grid if grid is not None else head.DEFAULT_GRID
    if not isinstance(grid, list) or not grid:
        raise TrainingError("The hyperparameter grid must be a non-empty list of configurations.")
    cleaned = []
    for position, config in enumerate(grid, start=1):
        if not isinstance(config, dict) or set(config) - HP_KEYS:
            raise TrainingError(f"Configuration {position}: allowed keys are {', '.join(sorted(HP_KEYS))}.")
        if config.get("kind") == head.LDA:
            if set(config) != {"kind"}:
                raise TrainingError(f"Configuration {position}: an lda head takes no other setting (its shrinkage is estimated).")
            cleaned.append(head.complete(config))
            continue
        if head.is_linear(config):
            try:
                c_value = float(config.get("C", 0.03))
            except (TypeError, ValueError):
                raise TrainingError(f"Configuration {position}: C is not a number.") from None
            if set(config) - {"kind", "C"} or not 0 < c_value <= 1e4:
                raise TrainingError(f"Configuration {position}: a {config['kind']} head takes only C, above 0 and at most 10000.")
            cleaned.append(head.complete({"kind": config["kind"], "C": c_value}))
            continue
        if config.get("kind", head.TORCH) != head.TORCH:
            raise TrainingError(f"Configuration {position}: kind must be one of {', '.join(head.HEAD_KINDS)}.")
        hp = head.complete(config)
        try:
            hp = {
                "kind": head.TORCH,
                "hidden": int(hp.get("hidden", 0)), "lr": float(hp.get("lr", 0.001)),
                "weight_decay": float(hp.get("weight_decay", 0.0)), "dropout": float(hp.get("dropout", 0.0)),
                "max_epochs": int(hp["max_epochs"]), "patience": int(hp["patience"]), "batch_size": int(hp["batch_size"]),
            }
        except (TypeError, ValueError):
            raise TrainingError(f"Configuration {position} has a value that is not a number.") from None
        if hp["hidden"] < 0 or not 0 < hp["lr"] <= 1 or hp["weight_decay"] < 0 or not 0 <= hp["dropout"] < 1 \
                or not 1 <= hp["max_epochs"] <= 1000 or hp["patience"] < 1 or hp["batch_size"] < 1:
            raise TrainingError(f"Configuration {position} is out of range: {hp}.")
        cleaned.append(hp)
    return cleaned


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
    cleaned = _clean_grid(grid)
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


def run_start(*, sync: bool = False, progress: Progress | None = None, **options) -> RunRecord:
    """Create a run and execute it: in a django-q2 worker (default) or here (`sync`)."""
    run = run_create(**options)
    if sync:
        return run_execute(run_id=run.run_id, progress=progress)
    from django_q.tasks import async_task

    async_task("training.tasks.run_train_task", run.run_id, task_name=f"train-{run.run_id}", timeout=settings.Q_CLUSTER.get("timeout"))
    return run


class _Heartbeat:
    """Progress for the caller, and progress + heartbeat on the RunRecord (at most every
    HEARTBEAT_EVERY_SECONDS). The write is conditional on status == running, so a run the
    stale sweep has failed stops instead of overwriting the verdict."""

    def __init__(self, run: RunRecord, progress: Progress | None):
        self.run, self.progress, self.last = run, progress, 0.0

    def __call__(self, message: str, fraction: float, *, force: bool = False) -> None:
        if self.progress:
            self.progress(message, fraction)
        if not force and time.monotonic() - self.last < HEARTBEAT_EVERY_SECONDS:
            return
        self.last = time.monotonic()
        now = now_ms()
        try:
            self.run.update(
                actions=[RunRecord.progress.set(f"{int(fraction * 100)}% {message}"[:500]), RunRecord.heartbeat_at.set(now), RunRecord.updated_at.set(now)],
                condition=RunRecord.status == RUNNING,
            )
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise RunAborted(f"Run {self.run.run_id} is no longer running.") from None
            raise


def _stage(report: _Heartbeat, start: float, end: float) -> Progress:
    return lambda message, fraction: report(message, start + (end - start) * max(0.0, min(1.0, fraction)))


DYNAMO_SMALLEST = 1e-120  # DynamoDB refuses numbers under 1e-130 in magnitude ("Number underflow")
DYNAMO_LARGEST = 1e120  # and over 9.99e125


def _plain(value):
    """numpy values and tuples as DynamoDB-storable plain Python; NaN / infinity (and numbers too
    large to store) -> None; a float too small to store (a fitted weight of 1e-200) -> 0.0."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > DYNAMO_LARGEST:
            return None
        if abs(value) < DYNAMO_SMALLEST:
            return 0.0
    return value


def _config_record(run: RunRecord, fold_id: int, config: cv.ConfigResult, fold: cv.FoldResult | None, created_at: int) -> ConfigRecord:
    record = ConfigRecord(
        config_id=uuid.uuid4().hex,
        created_at=created_at,
        run_id=run.run_id,
        dataset_version=run.dataset_version,
        fold_id=fold_id,
        hyperparameters={**config.hyperparameters, "backbone": run.backbone or backbone_module.LEGACY_BACKBONE},
        best_epoch=config.best_epoch,
        best_val=config.best_val,
        early_stopped=config.early_stopped,
        is_best_in_fold=config.is_best_in_fold,
        inner_metrics=_plain(config.inner_metrics),
    )
    if fold is not None and config.is_best_in_fold:
        record.fold_metrics = _plain({**fold.metrics, "n_train": len(fold.train_images), "n_test": len(fold.test_images), "n_inner_val": len(fold.inner_val_images)})
    return record


def _delete_configs(run_id: str) -> None:
    """A retried run starts clean: configurations an earlier attempt wrote are removed."""
    stale = list(ConfigRecord.run_configs_index.query(run_id))
    if stale:
        with ConfigRecord.batch_write() as batch:
            for record in stale:
                batch.delete(record)


def model_version_for(run: RunRecord) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{'demo' if run.is_demo else 'model'}-{stamp}-{run.run_id[:8]}"


def run_execute(*, run_id: str, progress: Progress | None = None) -> RunRecord:
    """Execute a created run end to end (the plain function behind the django-q2 task and the
    Modal training function). Idempotent: a run that is no longer running is returned as is."""
    try:
        run = RunRecord.get(run_id)
    except RunRecord.DoesNotExist:
        raise TrainingError(f"There is no run {run_id}.") from None
    if run.status != RUNNING:
        return run
    report = _Heartbeat(run, progress)
    started = time.monotonic()
    timings: dict[str, float] = {}
    try:
        report("starting", 0.0, force=True)
        _delete_configs(run_id)
        backbone = run.backbone or backbone_module.LEGACY_BACKBONE
        grid = list(run.hyperparameter_grid.as_dict()["configs"]) if run.hyperparameter_grid else head.DEFAULT_GRID
        grid = _clean_grid([{k: v for k, v in config.items() if k in HP_KEYS} for config in grid])

        t = time.monotonic()
        loaded = training_data.training_data_load(
            dataset_version=run.dataset_version, stratify_on=run.stratify_on, backbone=backbone, progress=_stage(report, 0.0, 0.35),
            artist=run.artist, proxies=bool(run.proxy_negatives),
        )
        timings["load_and_embed_seconds"] = time.monotonic() - t
        t = time.monotonic()
        copy_progress = _stage(report, 0.35, 0.5)
        copies = capture_data.copies(loaded.images, loaded.cache, progress=lambda done, total: copy_progress(
            f"re-photographing training images so capture is not evidence ({done}/{total})", done / max(total, 1)))
        data = loaded.data.with_copies(copies.features, copies.owners)
        timings["capture_copies_seconds"] = time.monotonic() - t

        def on_fold(fold: cv.FoldResult) -> None:
            created_at = now_ms()
            with ConfigRecord.batch_write() as batch:
                for config in fold.configs:
                    batch.save(_config_record(run, fold.fold_id, config, fold, created_at))

        t = time.monotonic()
        result = cv.nested_cv(
            data, grid, k_folds=int(run.k_folds), outer_split_seed=int(run.outer_split_seed),
            inner_split_seed=int(run.inner_split_seed), progress=_stage(report, 0.5, 0.85), on_fold=on_fold,
            targets=run.verdict_targets.as_dict() if run.verdict_targets else None,
        )
        timings["nested_cv_seconds"] = time.monotonic() - t

        t = time.monotonic()
        capture_evidence = _capture_evidence(loaded, data, result, _stage(report, 0.85, 0.9), seed=int(run.outer_split_seed))
        timings["capture_evidence_seconds"] = time.monotonic() - t

        report("training the final model on every image", 0.9, force=True)
        t = time.monotonic()
        all_images = np.arange(len(data.image_ids))
        final_hp = grid[result.final_index]
        final = cv.refit(data, all_images, final_hp, result.final_epochs, seed=int(run.outer_split_seed) + 7919)
        timings["final_model_seconds"] = time.monotonic() - t

        detail = {**result.detail, **capture_evidence}
        thresholds = dict(detail["thresholds"])
        model_version = model_version_for(run)
        summary = _plain(result.summary)
        meta = {
            "backbone": backbone,
            "embedding_dim": int(loaded.data.features.shape[1]),
            "hyperparameters": final_hp,
            "epochs": result.final_epochs,
            "thresholds": thresholds,
            "calibration": result.calibrator.as_dict(),
            "policy": _plain(detail["policy"]),
            "dataset_version": run.dataset_version,
            "run_id": run.run_id,
            "metrics": summary,
            "is_demo": bool(run.is_demo),
            "created_at": now_ms(),
            "n_images": len(loaded.data.image_ids),
            "n_patches": loaded.patch_count,
            **capture_evidence,
        }
        report("measuring how the training patches spread (familiarity reference)", 0.95, force=True)
        t = time.monotonic()
        # Copies included: a re-saved or resized photograph of a work like these is not unfamiliar.
        reference = familiarity.fit(data.features, data.patch_image, seed=int(run.outer_split_seed))
        timings["familiarity_seconds"] = time.monotonic() - t
        report("indexing the training patches for reference passages", 0.97, force=True)
        t = time.monotonic()
        references = _reference_index(loaded, seed=int(run.outer_split_seed))
        timings["reference_index_seconds"] = time.monotonic() - t
        path = artifact.save(settings.MODEL_DIR, model_version, final.head, meta, familiarity=reference, references=references)
        (path / "evaluation.json").write_text(json.dumps(_plain(detail), indent=1))  # incl. every out-of-fold prediction

        final_config = cv.ConfigResult(result.final_index, {**final_hp, "epochs": result.final_epochs, "grid_index": result.final_index}, result.final_epochs, None, False, True)
        final_record = _config_record(run, FINAL_FOLD_ID, final_config, None, now_ms())
        final_record.best_val = result.detail["mean_inner_val"][result.final_index]
        final_record.modal_volume_path = str(path)
        final_record.save()

        timings["total_seconds"] = time.monotonic() - started
        stored_detail = {key: value for key, value in detail.items() if key != "oof"}
        # The policy's reference points live in model.json and the served info, not the run.
        stored_detail["policy"] = {key: value for key, value in detail["policy"].items() if key != "reference"}
        stored_detail["roc"] = _thin(detail["roc"], 200)
        stored_detail.update(
            final_index=result.final_index, final_epochs=result.final_epochs, timings=timings,
            n_images=len(loaded.data.image_ids), n_patches=loaded.patch_count, patches_embedded=loaded.embedded,
            label_counts={"authentic": int((loaded.data.labels == 0).sum()), "forged": int((loaded.data.labels == 1).sum())},
        )
        now = now_ms()
        actions = [
            RunRecord.status.set(COMPLETED),
            RunRecord.best_config_id.set(final_record.config_id),
            RunRecord.model_version.set(model_version),
            RunRecord.modal_volume_path.set(str(path)),
            RunRecord.metrics_detail.set(_plain(stored_detail)),
            RunRecord.progress.set("100% completed"),
            RunRecord.finished_at.set(now),
            RunRecord.updated_at.set(now),
            RunRecord.heartbeat_at.set(now),
        ]
        for name, value in summary.items():
            attribute = getattr(RunRecord, name)
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        try:
            run.update(actions=actions, condition=RunRecord.status == RUNNING)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                raise RunAborted(f"Run {run_id} was failed by the stale sweep before it could complete.") from None
            raise
        if progress:
            progress("completed", 1.0)
        return run
    except RunAborted:
        run.refresh()
        return run
    except Exception as error:
        logger.exception("training run %s failed", run_id)
        run_fail(run_id=run_id, error=f"{type(error).__name__}: {error}")
        raise


def _capture_evidence(loaded: training_data.LoadedData, data: cv.TrainingData, result: cv.CVResult, progress: Progress, *, seed: int) -> dict:
    """The run's answer to "does it judge the camera?" (issue 26; docs/training.md "Capture"):
    the shortcut audit on capture statistics alone, in the model's own outer folds; robustness
    of out-of-fold verdicts under re-photographs; and the capture check's envelope, widened by
    the changes measured robust."""
    progress("auditing how the training images were photographed", 0.0)
    stats = capture_data.statistics(loaded.images)
    audit = shortcut.audit(stats, data.labels, [(fold.train_images, fold.test_images) for fold in result.folds])
    works = robustness.works_to_measure(data.labels, seed=seed)
    changed, changed_stats = capture_data.changed_works(
        [loaded.images[i] for i in works], loaded.cache,
        progress=lambda done, total: progress(f"re-photographing validation works ({done}/{total} changes)", 0.1 + 0.9 * done / max(total, 1)))
    measure = functools.partial(
        robustness.measure, labels=data.labels, folds=result.folds, oof_logits=result.oof_logits, calibrator=result.calibrator,
        served_policy=result.detail["policy"], works=works, changed={name: (e.features, e.owners) for name, e in changed.items()},
    )
    model_alone = measure()
    widened = {row["name"]: [(s, int(data.labels[i])) for s, i in zip(changed_stats[row["name"]], works)]
               for row in model_alone["changes"] if row["robust"]}
    envelope = capture_check.fit(stats, data.labels, widened=widened)
    served = measure(outside={name: [envelope is not None and envelope.assess(s)["outside"] for s in group] for name, group in changed_stats.items()})
    served["model_alone"] = [{key: row[key] for key in ("name", "auc", "flips", "decided_errors", "inconclusive", "robust")} for row in model_alone["changes"]]
    return {
        "capture_audit": audit,
        "robustness": served,
        "capture_envelope": envelope.as_dict() if envelope else None,
        "augmentation": {"copies": capture_data.COPIES, "version": capture_data.COPY_VERSION, "patch_share": capture.COPY_PATCH_SHARE},
    }


def _reference_index(loaded: training_data.LoadedData, *, seed: int) -> reference_index.ReferenceIndex:
    data = loaded.data
    return reference_index.build(
        data.features, patch_image=data.patch_image, image_ids=data.image_ids, image_labels=data.labels,
        image_sublabels=data.sublabels, patch_paths=loaded.patch_paths, patch_boxes=loaded.patch_boxes, seed=seed,
    )


def _thin(points: list, limit: int) -> list:
    if len(points) <= limit:
        return points
    step = math.ceil(len(points) / limit)
    return points[::step] + ([points[-1]] if (len(points) - 1) % step else [])


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


def promotion_concerns(run: RunRecord, *, auc_floor: float | None = None) -> list[str]:
    """Why promoting this run deserves a second thought, in plain words ([] when none); the
    rules are training.concerns', applied to the stored run so the run page shows the same list."""
    detail = run.metrics_detail.as_dict() if run.metrics_detail else {}
    return concerns_module.promotion_concerns(detail, mean_auc=run.mean_auc, auc_floor=auc_floor)


def model_promote(*, run_id: str, promoted_by: str, auc_floor: float | None = None, reason: str = "") -> dict:
    """Make this run's final model the one that serves its artist, and record who did it and when.

    A run with promotion concerns (see promotion_concerns) is promoted only with a `reason`,
    recorded on the run and in the artist's serving history; without one,
    PromotionNeedsConfirmation. The model's served info (training.pointer) is written first,
    the artist's serving entry last, so a reader never finds an artist without its info."""
    try:
        run = RunRecord.get(run_id)
    except RunRecord.DoesNotExist:
        raise TrainingError(f"There is no run {run_id}.") from None
    if run.status != COMPLETED or not run.model_version:
        raise TrainingError("Only a completed run with a saved model can be promoted.")
    if not run.artist:
        raise TrainingError("This run was trained before models were made per artist and serves no artist; train the artist again.")
    if auc_floor is not None and not 0 <= float(auc_floor) <= 1:
        raise TrainingError("The AUC floor must be between 0 and 1.")
    concerns = promotion_concerns(run, auc_floor=auc_floor)
    reason = (reason or "").strip()
    if concerns and not reason:
        raise PromotionNeedsConfirmation(concerns)
    meta = None
    if not settings.MODAL_ENABLED:
        try:
            meta = artifact.read_meta(settings.MODEL_DIR, run.model_version)
        except artifact.ModelNotFound:
            raise TrainingError(f"Model {run.model_version} is not in {settings.MODEL_DIR}; it cannot be served from here.") from None
    detail = run.metrics_detail.as_dict() if run.metrics_detail else {}
    served_policy = (meta or {}).get("policy") or detail.get("policy") or {}
    thresholds = detail.get("thresholds") or {}
    now = now_ms()
    info = {
        "model_version": run.model_version,
        "run_id": run.run_id,
        "artist": run.artist,
        "artist_name": run.artist_name,
        "dataset_version": run.dataset_version,
        "backbone": run.backbone or backbone_module.LEGACY_BACKBONE,
        "metrics": {name: getattr(run, name) for name in (f"{s}_{m}" for s in ("mean", "std") for m in ("accuracy", "auc", "f1", "precision", "recall"))},
        "thresholds": {key: (None if thresholds.get(key) is None else float(thresholds[key])) for key in ("authentic_below", "forged_above")},
        "calibration": (meta or {}).get("calibration") or (detail.get("calibrator") or {}),
        "policy": served_policy,
        "is_demo": bool(run.is_demo),
        "promoted_at": now,
        "promoted_by": promoted_by,
        "promotion_concerns": concerns,
        "promotion_reason": reason if concerns else "",
        # What the capture check compares uploads with, and the figures the model card shows.
        **{key: (meta or {}).get(key) or detail.get(key) for key in ("capture_envelope", "capture_audit", "robustness", "augmentation")},
    }
    actions = [RunRecord.promoted_at.set(now), RunRecord.promoted_by.set(promoted_by), RunRecord.updated_at.set(now)]
    if concerns:
        actions += [RunRecord.promotion_reason.set(reason), RunRecord.promotion_concerns.set(concerns)]
    else:
        actions += [RunRecord.promotion_reason.remove(), RunRecord.promotion_concerns.remove()]
    run.update(actions=actions)
    pointer.served_info_write(_plain(info))
    serving = {"model_version": run.model_version, "run_id": run.run_id, "promoted_at": now, "promoted_by": promoted_by,
               "is_demo": bool(run.is_demo), "dataset_version": run.dataset_version}
    event = {"action": "promoted", "model_version": run.model_version, "run_id": run.run_id, "by": promoted_by,
             "reason": info["promotion_reason"]}
    _artist_serving_set(run.artist, serving, event)
    return info


def model_unpromote(*, artist: str, by: str, reason: str = "") -> dict:
    """Stop serving `artist` (a name, alias or slug): uploads attributed to it are refused from
    now on; those already submitted finish with the model they were pinned to."""
    try:
        chosen = training_data.resolve_artist(artist)
    except training_data.TrainingDataError as error:
        raise TrainingError(str(error)) from None
    if not chosen.served:
        raise TrainingError(f"No model serves {chosen.name}.")
    event = {"action": "withdrawn", "model_version": chosen.serving["model_version"], "run_id": chosen.serving.get("run_id"),
             "by": by, "reason": (reason or "").strip()}
    _artist_serving_set(chosen.slug, None, event)
    return event


def catalogue_changed() -> None:
    """This process sees an artist's new names or model at once (other hosts within seconds)."""
    pointer.clear_cache()


def _artist_serving_set(slug: str, serving: dict | None, event: dict) -> None:
    from datasets.services import artist_serving_set

    artist_serving_set(slug=slug, serving=serving, event=event)
    catalogue_changed()


def run_reference_thumbnails_set(*, run_id: str, allowed: bool, changed_by: str) -> RunRecord:
    """Staff decide whether users may see thumbnails of this run's training patches beside their
    results (training images may be confidential; labels and similarities are always shown).
    Applies at once to every result of the model, past and future: results store no thumbnails."""
    try:
        run = RunRecord.get(run_id)
    except RunRecord.DoesNotExist:
        raise TrainingError(f"There is no run {run_id}.") from None
    logger.info("run %s: reference thumbnails %s by %s", run_id, "shown" if allowed else "hidden", changed_by)
    run.update(actions=[RunRecord.reference_thumbnails.set(bool(allowed)), RunRecord.updated_at.set(now_ms())])
    return run


def model_dir_for(model_version: str) -> Path:
    return artifact.model_path(settings.MODEL_DIR, model_version)
