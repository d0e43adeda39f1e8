"""Writes of the training app, one module per verb:

- runs.py: create a run (checking its grid, targets and images up front), fail it, sweep runs
  whose worker died, and staff's per-run settings;
- execution.py: start a run and execute it end to end (the plain function behind the django-q2
  task and the Modal training function);
- promotion.py: promote a run's model to serve its artist, withdraw it, and the concerns that
  make a promotion ask for a reason.

Callers import from here (`from training import services`), so code and queued tasks keep
working whichever module a function lives in.
"""
from training.services.execution import FINAL_FOLD_ID, Progress, run_execute, run_start
from training.services.promotion import (DEFAULT_AUC_FLOOR, PromotionNeedsConfirmation, catalogue_changed, model_promote, model_unpromote,
                                         promotion_concerns)
from training.services.runs import (COMPLETED, FAILED, RUNNING, STATUSES, RunAborted, TrainingError, clean_grid, heartbeat_stale_seconds,
                                    run_create, run_fail, run_reference_thumbnails_set, runs_sweep_stale)

__all__ = [
    "COMPLETED", "DEFAULT_AUC_FLOOR", "FAILED", "FINAL_FOLD_ID", "Progress", "PromotionNeedsConfirmation", "RUNNING", "STATUSES",
    "RunAborted", "TrainingError", "catalogue_changed", "clean_grid", "heartbeat_stale_seconds", "model_promote", "model_unpromote",
    "promotion_concerns", "run_create", "run_execute", "run_fail", "run_reference_thumbnails_set", "run_start", "runs_sweep_stale",
]
