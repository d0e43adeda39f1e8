"""django-q2 tasks for erasure and retention. Each may run twice; the services make that safe."""
from accounts import erasure
from artguard import retention


def erasure_run(user_id: str) -> dict:
    request = erasure.erasure_run(user_id=user_id)
    if request is None:
        return {"status": "unknown"}
    return {"status": request.status, "counts": request.counts}


def erasures_resume() -> list[str]:
    """Scheduled: restart erasures whose attempt failed or whose worker died."""
    return erasure.erasures_resume()


def retention_sweep() -> dict:
    """Scheduled daily: expire local uploads (S3 does this with lifecycle rules)."""
    return retention.storage_retention_sweep()
