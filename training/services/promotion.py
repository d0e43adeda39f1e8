"""Promote a run's model to serve its artist, withdraw an artist's model, and say why a run
deserves a second thought before it is promoted (training.concerns).

Which model serves which artist is read through training.served_models; promotion writes the
model's served info there first and the artist's serving entry (datasets.artist_registry) last,
so a reader never finds an artist without its info.
"""
from __future__ import annotations

from django.conf import settings

from artguard.dynamo import now_ms, storable
from datasets.artist_registry import artist_serving_set
from training import concerns as concerns_module
from training import data as training_data
from training import served_models
from training.ml import artifact, backbone as backbone_module
from training.services.runs import COMPLETED, TrainingError, existing_run
from training.tables import RunRecord


DEFAULT_AUC_FLOOR = concerns_module.DEFAULT_AUC_FLOOR  # promoting a run below it asks for a reason (staff may set another)


class PromotionNeedsConfirmation(TrainingError):
    """Promoting this run needs a reason given on purpose; `concerns` says why, in plain words."""

    def __init__(self, concerns: list[str]):
        super().__init__(" ".join(concerns) + " Give a reason to promote it anyway.")
        self.concerns = concerns


def promotion_concerns(run: RunRecord, *, auc_floor: float | None = None) -> list[str]:
    """Why promoting this run deserves a second thought, in plain words ([] when none); the
    rules are training.concerns', applied to the stored run so the run page shows the same list."""
    detail = run.metrics_detail.as_dict() if run.metrics_detail else {}
    return concerns_module.promotion_concerns(detail, mean_auc=run.mean_auc, auc_floor=auc_floor)


def model_promote(*, run_id: str, promoted_by: str, auc_floor: float | None = None, reason: str = "") -> dict:
    """Make this run's final model the one that serves its artist, and record who did it and when.

    A run with promotion concerns (see promotion_concerns) is promoted only with a `reason`,
    recorded on the run and in the artist's serving history; without one,
    PromotionNeedsConfirmation. The model's served info (training.served_models) is written first,
    the artist's serving entry last, so a reader never finds an artist without its info."""
    run = existing_run(run_id)
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
    served_models.served_info_write(storable(info))
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
    served_models.clear_cache()


def _artist_serving_set(slug: str, serving: dict | None, event: dict) -> None:
    artist_serving_set(slug=slug, serving=serving, event=event)
    catalogue_changed()
