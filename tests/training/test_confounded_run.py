"""Issue 26, end to end: a run on a training set whose classes were photographed differently
(authentic works as clean scans, forgeries as softer, heavily compressed photographs) shows the
capture audit's concern on its page and asks for a reason before it serves."""
import pytest
from django.urls import reverse
from PIL import ImageFilter

from training import services
from training.services.promotion import PromotionNeedsConfirmation
from tests.training.fixtures import FIXTURE_ARTIST, FIXTURE_GRID, SMALL_TARGETS, synthetic_painting

PER_LABEL = 20  # the audit's concern threshold is 0.5 + 4 chance SDs of an AUC: 6 + 6 images could never reach it


def _confounded_version(folder) -> str:
    from datasets.services import PROCESS_INLINE, dataset_version_create, training_upload
    from datasets.sources import UploadEntry

    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for i in range(PER_LABEL):
        for forged in (False, True):
            picture = synthetic_painting(i, forged=forged)
            path = folder / f"{'forged' if forged else 'authentic'}_{i:02d}.jpg"
            if forged:  # the trap real data carries: forgeries come as rougher photographs
                picture.filter(ImageFilter.GaussianBlur(1.2)).save(path, quality=45)
            else:
                picture.save(path, quality=95)
            entries.append(UploadEntry(path=path, name=path.name, label="forged" if forged else "authentic",
                                       sublabel="copy" if forged else "original", attributed_creator=FIXTURE_ARTIST))
    summary = training_upload(dataset_name="confounded", entries=entries, process=PROCESS_INLINE)
    assert summary.ok and summary.processed == len(entries), summary
    return dataset_version_create(name="confounded-v1", dataset_names=["confounded"])["name"]


def test_a_run_on_a_capture_confounded_set_shows_the_audit_s_concern(settings, tmp_path, training_embedding_cache, staff_client):
    settings.EMBEDDING_CACHE_DIR = training_embedding_cache
    version = _confounded_version(tmp_path / "images")
    run = services.run_create(targets=SMALL_TARGETS, dataset_version=version, k_folds=2, grid=FIXTURE_GRID)
    run = services.run_execute(run_id=run.run_id)
    assert run.status == services.COMPLETED, run.error

    audit = run.metrics_detail.as_dict()["capture_audit"]
    assert audit["concern"] and audit["auc"] >= audit["threshold"], audit
    assert audit["strongest"] in ("jpeg_quality", "blockiness", "focus", "fine_detail"), audit
    assert "differ in how they were photographed" in audit["statement"]

    body = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    assert "differ in how they were photographed" in body and f"{audit['auc']:.3f}" in body
    with pytest.raises(PromotionNeedsConfirmation) as refused:
        services.model_promote(run_id=run.run_id, promoted_by="staff@example.com")
    assert any("differ in how they were photographed" in line for line in refused.value.concerns)
