from django.urls import reverse

from training import serving, services
from training.tables import RunRecord


def test_staff_only(user_client):
    run_id = "a" * 32
    for url in (reverse("training:runs"), reverse("training:run", args=[run_id]), reverse("training:run_plot", args=[run_id, "roc"]),
                reverse("training:compare")):
        response = user_client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    for url in (reverse("training:run_promote", args=[run_id]), reverse("training:run_start")):
        response = user_client.post(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_run_pages_for_staff(staff_client, promoted_model):
    body = staff_client.get(reverse("training:runs")).content.decode()
    assert body.count('class="run-row"') == 1 and f'href="/training/runs/{promoted_model.run_id}/">{promoted_model.run_id[:8]}</a>' in body
    assert "Serving detection" in body
    running = staff_client.get(reverse("training:runs"), {"status": "running"}).content.decode()
    assert 'class="run-row"' not in running
    by_version = staff_client.get(reverse("training:runs"), {"dataset_version": promoted_model.dataset_version}).content.decode()
    assert by_version.count('class="run-row"') == 1
    assert staff_client.get(reverse("training:runs"), {"cursor": "garbage"}).status_code == 404

    body = staff_client.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    for text in ('id="fold-config"', "Fold 0", "Fold 1", "±", 'id="sublabels"', "pastiche", "Final model (fold −1)", "This run's model serves detection"):
        assert text in body, text
    for kind in ("roc", "calibration"):
        response = staff_client.get(reverse("training:run_plot", args=[promoted_model.run_id, kind]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert staff_client.get(reverse("training:run_plot", args=[promoted_model.run_id, "other"])).status_code == 404
    assert staff_client.get(reverse("training:run", args=["f" * 32])).status_code == 404

    bad = staff_client.post(reverse("training:run_start"), {"dataset_version": promoted_model.dataset_version, "k_folds": 9,
                                                          "stratify_on": "sublabel", "outer_split_seed": 0, "inner_split_seed": 1, "backbone": "efficientnet-lite0"})
    assert bad.status_code == 400 and "at least 9" in bad.content.decode()
    assert list(RunRecord.status_index.query(services.RUNNING)) == []


def test_compare_two_runs_and_promote_from_the_page(staff_client, promoted_model):
    other = services.run_execute(run_id=services.run_create(
        dataset_version=promoted_model.dataset_version, k_folds=2, outer_split_seed=5,
        grid=[{"hidden": 0, "lr": 0.01, "weight_decay": 0.0, "dropout": 0.0, "max_epochs": 10, "patience": 3}]).run_id)
    response = staff_client.get(reverse("training:compare"), {"run": [promoted_model.run_id, other.run_id]})
    assert response.status_code == 200
    body = response.content.decode()
    assert promoted_model.run_id[:8] in body and other.run_id[:8] in body
    assert staff_client.get(reverse("training:compare"), {"run": [other.run_id]}).status_code == 404

    assert staff_client.get(reverse("training:run_promote", args=[other.run_id])).status_code == 405
    response = staff_client.post(reverse("training:run_promote", args=[other.run_id]))
    assert response.status_code == 302
    assert serving.promoted_model_info()["run_id"] == other.run_id
    assert RunRecord.get(other.run_id).promoted_by == "staff@example.com"
