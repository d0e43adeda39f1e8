"""The Modal app: GPU training and GPU scoring for ArtGuard (the one module that defines it).

    modal deploy training/modal_app.py

Both functions run the same plain code as the in-process path (training.services.run_execute,
training.compute.local_patch_scores) inside the project's own image, against the same DynamoDB
tables and buckets (AWS credentials and ARTGUARD_* settings come from the Modal secret
"artguard-<env>"), with settings.MODEL_DIR on the Modal Volume settings.MODAL_VOLUME_NAME.
Django calls them through training.compute when settings.MODAL_ENABLED.
"""
from __future__ import annotations

import os
from pathlib import Path

import modal

ROOT = Path(__file__).resolve().parents[1]
ENV = os.environ.get("ARTGUARD_ENV", "dev")
APP_NAME = os.environ.get("ARTGUARD_MODAL_APP", f"artguard-{ENV}")
VOLUME_NAME = os.environ.get("ARTGUARD_MODAL_VOLUME", f"artguard-models-{ENV}")
VOLUME_PATH = "/models"
GPU = os.environ.get("ARTGUARD_MODAL_GPU", "T4")

app = modal.App(APP_NAME)
volume = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)
image = (
    modal.Image.debian_slim(python_version="3.11")
    .pip_install_from_requirements(str(ROOT / "requirements.txt"))
    .pip_install("timm")  # larger backbones (training.ml.backbone.REGISTRY) on GPUs
    .env({
        "DJANGO_SETTINGS_MODULE": "artguard.settings",
        "ARTGUARD_ENV": ENV,
        "ARTGUARD_MODEL_DIR": VOLUME_PATH,
        "ARTGUARD_MODAL": "false",  # inside Modal everything runs in-process
        "ARTGUARD_DATA_DIR": "/tmp/artguard",
        "PYTHONPATH": "/root/artguard",
    })
    .add_local_dir(str(ROOT), "/root/artguard", ignore=[".venv", "var", ".git", "staticfiles", "**/__pycache__", "bench/results"])
)
secrets = [modal.Secret.from_name(f"artguard-{ENV}")]


def _django() -> None:
    import django

    django.setup()


@app.function(image=image, gpu=GPU, volumes={VOLUME_PATH: volume}, secrets=secrets, timeout=3 * 3600)
def train_run(run_id: str) -> str:
    """Execute a created run; the final model is saved on the Volume and committed."""
    _django()
    from training import services

    try:
        run = services.run_execute(run_id=run_id)
    finally:
        volume.commit()
    return run.status


@app.cls(image=image, gpu=GPU, volumes={VOLUME_PATH: volume}, secrets=secrets, scaledown_window=300)
class Scorer:
    @modal.enter()
    def load(self) -> None:
        """Django, the backbone and the served artists' models, once per container."""
        _django()
        from training import serving
        from training.compute import head_cache_size, loaded_model

        for artist in serving.served_artists()[: head_cache_size()]:
            loaded_model(artist.serving["model_version"])

    @modal.method()
    def score(self, model_version: str, patches_png: list[bytes]) -> dict:
        """{"logits", "familiarity", "reference_queries"} from `model_version` (reloaded from the Volume only when it changes)."""
        from training import compute

        try:
            compute.loaded_model(model_version)
        except FileNotFoundError:
            volume.reload()  # a model promoted after this container started
        return compute.local_patch_scores(model_version=model_version, images=compute.decode_pngs(patches_png))

    @modal.method()
    def references(self, model_version: str, queries: list[list[float]], k: int = 3) -> list[dict] | None:
        """The nearest training patches of each query, from `model_version`'s reference index."""
        from training import compute

        return compute.local_reference_neighbours(model_version=model_version, queries=queries, k=k)
