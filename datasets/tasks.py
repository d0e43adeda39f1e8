"""django-q2 tasks for Workflows B and C. Each loads an image id, calls one service and may run twice
safely (the services are idempotent)."""
from __future__ import annotations

from django_q.tasks import async_task

from datasets import services
from datasets.layout import STATUS_PROCESSED


def image_preprocess_task(image_id: str) -> str:
    """Preprocess one training image; on success queue its patch extraction."""
    record = services.image_preprocess(image_id=image_id)
    if record.status == STATUS_PROCESSED:
        async_task("datasets.tasks.image_patches_task", image_id, task_name=f"patches-{image_id}"[:100])
    return record.status


def image_patches_task(image_id: str) -> int:
    return services.image_patches_extract(image_id=image_id)


def knowledge_index_task(slug: str) -> dict:
    """Workflow C for one artist (datasets/knowledge/workflow.py)."""
    from datasets.knowledge.workflow import knowledge_index_build

    return knowledge_index_build(slug=slug)
