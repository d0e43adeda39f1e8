"""django-q2 tasks for detection. Thin: each calls one service. Both are idempotent."""
from detection import services


def inference_process_task(inference_id: str, upload_seconds: float | None = None) -> None:
    services.inference_process(inference_id=inference_id, upload_seconds=upload_seconds)


def inferences_sweep_stuck_task() -> int:
    return services.inferences_sweep_stuck()
