"""django-q2 tasks of the training app: thin, idempotent."""
from __future__ import annotations

from training import compute, services


def run_train_task(run_id: str) -> str:
    """Execute a run (Modal or in-process, as training.compute decides). A run that is no
    longer running (done, failed, swept) is left alone, so a second delivery is harmless."""
    run = compute.run_training(run_id=run_id)
    return run.status


def runs_sweep_stale_task() -> list[str]:
    return services.runs_sweep_stale()
