import pytest
from django.urls import reverse

from tests.training.fixtures import FIXTURE_REASON, SMALL_TARGETS, capture_evidence, issue_run_detail, quiet_detail
from training import serving, services
from training.ml import head
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
    assert "Models serving detection, one per artist" in body and "Fixture Hand" in body
    running = staff_client.get(reverse("training:runs"), {"status": "running"}).content.decode()
    assert 'class="run-row"' not in running
    by_version = staff_client.get(reverse("training:runs"), {"dataset_version": promoted_model.dataset_version}).content.decode()
    assert by_version.count('class="run-row"') == 1
    assert staff_client.get(reverse("training:runs"), {"cursor": "garbage"}).status_code == 404

    body = staff_client.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    for text in ('id="fold-config"', "Fold 0", "Fold 1", "±", 'id="sublabels"', "pastiche", "Final model: logistic regression: learning rate 0.01",
                 "This run's model serves detection", 'id="run-timings"', "loading and embedding the images"):
        assert text in body, text
    # No internals in the reading: no Python dicts, no raw keys; the server path only in a labelled fold.
    for internal in ("{&#x27;", "{'", "grid_index", "_seconds", "fold −1", "<code>{}</code>"):
        assert internal not in body, internal
    path = RunRecord.get(promoted_model.run_id).modal_volume_path
    assert not path or body.count(path) == 1 and body.index(path) > body.index('id="model-files"')
    for kind in ("roc", "calibration"):
        response = staff_client.get(reverse("training:run_plot", args=[promoted_model.run_id, kind]))
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert staff_client.get(reverse("training:run_plot", args=[promoted_model.run_id, "other"])).status_code == 404
    assert staff_client.get(reverse("training:run", args=["f" * 32])).status_code == 404

    bad = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "k_folds": 9})
    assert bad.status_code == 400 and "at least 9" in bad.content.decode()
    # The default 5% targets cannot be measured on 6 images per label: the form says so.
    strict = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "max_forged_called_authentic": 5, "max_authentic_called_forged": 5})
    assert strict.status_code == 400 and "A 5% target needs at least 20 forged images" in strict.content.decode()
    assert list(RunRecord.status_index.query(services.RUNNING)) == []


def _run_form(model) -> dict:
    """The run form as staff fill it in for the 12-image fixture: 20% targets (6 images per label)."""
    return {"dataset_version": model.dataset_version, "artist": model.info["artist"], "k_folds": 2, "stratify_on": "sublabel", "outer_split_seed": 0,
            "inner_split_seed": 1, "backbone": "efficientnet-lite0", "max_forged_called_authentic": 20, "max_authentic_called_forged": 20}


def test_compare_two_runs_and_promote_from_the_page(staff_client, promoted_model):
    other = services.run_execute(run_id=services.run_create(targets=SMALL_TARGETS, 
        dataset_version=promoted_model.dataset_version, k_folds=2, outer_split_seed=5,
        grid=[{"hidden": 0, "lr": 0.01, "weight_decay": 0.0, "dropout": 0.0, "max_epochs": 10, "patience": 3}]).run_id)
    response = staff_client.get(reverse("training:compare"), {"run": [promoted_model.run_id, other.run_id]})
    assert response.status_code == 200
    body = response.content.decode()
    assert promoted_model.run_id[:8] in body and other.run_id[:8] in body
    assert 'class="compare-final">logistic regression: learning rate 0.01' in body and "{&#x27;" not in body and "grid_index" not in body
    assert staff_client.get(reverse("training:compare"), {"run": [other.run_id]}).status_code == 404

    assert staff_client.get(reverse("training:run_promote", args=[other.run_id])).status_code == 405
    response = staff_client.post(reverse("training:run_promote", args=[other.run_id]), {"reason": FIXTURE_REASON})
    assert response.status_code == 302
    assert serving.promoted_model_info()["run_id"] == other.run_id
    assert RunRecord.get(other.run_id).promoted_by == "staff@example.com"


RUN_FORM = {"dataset_version": "v1", "k_folds": 2, "stratify_on": "sublabel", "outer_split_seed": 0, "inner_split_seed": 1,
            "backbone": "efficientnet-lite0", "max_forged_called_authentic": 5, "max_authentic_called_forged": 10}


def test_the_run_form_takes_error_rate_targets_in_percent():
    from training.forms import RunStartForm

    form = RunStartForm(RUN_FORM)
    assert form.is_valid(), form.errors
    assert form.run_options()["targets"] == {"forged_called_authentic": 0.05, "authentic_called_forged": 0.1}
    assert "max_forged_called_authentic" not in form.run_options()
    assert RunStartForm({**RUN_FORM, "max_forged_called_authentic": 50}).is_valid()
    assert RunStartForm().fields["max_forged_called_authentic"].initial == 5


@pytest.mark.parametrize("bad", [0, 60, "x", -5, "nan"])
def test_the_run_form_refuses_a_target_outside_0_to_50_percent(bad):
    from training.forms import RunStartForm

    form = RunStartForm({**RUN_FORM, "max_authentic_called_forged": bad})
    assert not form.is_valid()
    assert list(form.errors) == ["max_authentic_called_forged"]


def test_run_started_from_the_form_keeps_its_targets_and_the_page_shows_the_policy(staff_client, promoted_model, monkeypatch):
    # One configuration of each kind of head from the default grid: the page's head comparison
    # is under test, not the grid's size (a quarter of the time).
    kinds = {}
    for config in head.DEFAULT_GRID:
        kinds.setdefault(config.get("kind", head.TORCH), config)
    monkeypatch.setattr(head, "DEFAULT_GRID", list(kinds.values()))
    response = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "max_authentic_called_forged": 25})
    assert response.status_code == 302
    run = RunRecord.get(response["Location"].rstrip("/").split("/")[-1])
    assert run.verdict_targets.as_dict() == {"forged_called_authentic": 0.2, "authentic_called_forged": 0.25}
    assert run.status == services.COMPLETED, run.error  # django-q2 runs tasks inline in tests

    body = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    policy = run.metrics_detail.as_dict()["policy"]
    for text in ('id="policy-sides"', "<td>forgeries called likely authentic</td><td>20%</td>", "<td>authentic works called likely forged</td><td>25%</td>",
                 f"{policy['rates']['decided']['count']} of 12", *policy["statements"], 'id="policy-check-decided"',
                 'id="ece-before"', 'id="not-calibrated"', "calibration needs at least 20", 'id="final-head"'):
        assert text in body, text
    # The default grid holds the baseline; the final head is named, with the comparison that chose it.
    kinds = [f"<strong>{kind}</strong>" for kind in head.HEAD_KINDS]
    assert "best baseline: image AUC" in body and sum(kind in body for kind in kinds) == 1
    final = run.hyperparameter_grid.as_dict()["configs"][run.metrics_detail.as_dict()["final_index"]]
    assert f"({head.describe(final)})" in body
    assert "AUC 1.000 / " in body or "AUC 0." in body  # each fold's cells show what it chose by


def _cannot_decide(run_id: str) -> None:
    """Make a completed run's stored policy one that decides neither side (targets too strict)."""
    run = RunRecord.get(run_id)
    detail = run.metrics_detail.as_dict()
    detail["policy"].update(authentic_below=None, forged_above=None, statements=[
        "This model cannot call a work likely authentic at 20% risk: on its validation works, every score range that held authentic works also held more than 20% of the forgeries.",
        "This model cannot call a work likely forged at 20% risk: on its validation works, every score range that held forgeries also held more than 20% of the authentic works."])
    detail["thresholds"] = {"authentic_below": None, "forged_above": None}
    for fold in detail["per_fold"]:
        fold["thresholds"] = {"authentic_below": None, "forged_above": None}
    run.update(actions=[RunRecord.metrics_detail.set(detail)])


def test_promoting_a_run_that_cannot_decide_asks_for_a_reason_and_records_it(staff_client, promoted_model):
    _cannot_decide(promoted_model.run_id)
    before = RunRecord.get(promoted_model.run_id).promoted_at
    url = reverse("training:run_promote", args=[promoted_model.run_id])

    page = staff_client.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    assert 'name="auc_floor"' in page and 'value="0.8"' in page and 'name="reason"' in page
    assert 'id="decides-nothing"' in page and page.count("never / never") == 2  # the per-fold thresholds
    assert "This model cannot call a work likely forged at 20% risk" in page

    asked = staff_client.post(url, {"auc_floor": "0.8", "reason": ""})
    body = asked.content.decode()
    assert asked.status_code == 400 and 'id="promotion-concerns"' in body
    assert "This model can decide neither side" in body and "Promote anyway, with this reason" in body
    assert RunRecord.get(promoted_model.run_id).promoted_at == before and RunRecord.get(promoted_model.run_id).promotion_reason == FIXTURE_REASON

    assert staff_client.post(url, {"auc_floor": "1.5"}).status_code == 400  # a floor outside 0..1 is a form error

    done = staff_client.post(url, {"auc_floor": "0.8", "reason": "Demo for the board; verdicts stay inconclusive."})
    assert done.status_code == 302
    run = RunRecord.get(promoted_model.run_id)
    assert run.promotion_reason == "Demo for the board; verdicts stay inconclusive." and run.promoted_at > before
    assert serving.promoted_model_info()["promotion_reason"] == run.promotion_reason
    page = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    assert "promoted despite: This model can decide neither side: at its error-rate targets it would call every work INCONCLUSIVE. " in page
    assert "reason: Demo for the board; verdicts stay inconclusive." in page

    compare = staff_client.get(reverse("training:compare"), {"run": [run.run_id, run.run_id]})
    assert compare.status_code == 200 and "never" in compare.content.decode()


def test_reliability_plot_draws_before_and_after_calibration():
    from training import plots

    before = {"bins": [{"mean_probability": 0.2, "forged_share": 0.4, "n": 5}], "ece": 0.2}
    after = {"bins": [{"mean_probability": 0.35, "forged_share": 0.4, "n": 5}], "ece": 0.05}
    both, one = plots.calibration_png(after, before=before), plots.calibration_png(after)
    assert both.startswith(b"\x89PNG") and one.startswith(b"\x89PNG") and both != one


def test_a_calibrated_run_shows_its_calibration_error_before_and_after(staff_client, promoted_model):
    run = RunRecord.get(promoted_model.run_id)
    detail = run.metrics_detail.as_dict()
    detail["calibrator"] = {"method": "platt", "a": 1.7, "b": -0.2, "reason": "", "crossfit_reason": ""}
    detail["calibration_before"] = {"bins": [{"lo": 0.6, "hi": 0.7, "n": 12, "mean_probability": 0.687, "forged_share": 0.5}], "ece": 0.187}
    detail["calibration"] = {"bins": [{"lo": 0.5, "hi": 0.6, "n": 12, "mean_probability": 0.531, "forged_share": 0.5}], "ece": 0.031}
    run.update(actions=[RunRecord.metrics_detail.set(detail)])
    body = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    assert "Platt scaling, sigmoid(a × logit + b) with a = 1.700, b = -0.200" in body and 'id="not-calibrated"' not in body
    assert '<strong id="ece-before">0.187</strong>' in body and '<strong id="ece-after">0.031</strong>' in body
    plot = staff_client.get(reverse("training:run_plot", args=[run.run_id, "calibration"]))
    assert plot.status_code == 200 and plot.content.startswith(b"\x89PNG")


def _stored_run(run_id: str, detail: dict, **fields) -> RunRecord:
    """A completed run as the run page reads it, without training one (the page reads only the record)."""
    run = RunRecord(run_id=run_id, created_at=1, status=services.COMPLETED, dataset_version="v1", outer_split_seed=0,
                    inner_split_seed=1, k_folds=2, metrics_detail=detail, **fields)
    run.save()
    return run


def test_the_run_page_says_whether_the_model_judges_the_camera(staff_client):
    run = _stored_run("c" * 32, {"n_images": 40, **capture_evidence(concern=True)})
    body = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    assert "Does it judge the camera?" in body and 'id="capture-concern"' in body
    assert "differ in how they were photographed" in body and '<strong id="capture-auc">0.910</strong>' in body
    assert 'id="capture-statistics"' in body and "<td>95</td><td>72</td>" in body
    assert body.count('class="robustness-row') == 4 and body.count('class="robustness-row misses-target"') == 2
    assert "tilted 3° and cropped" in body and "3 of 40 (7.5%)" in body and '<td>5 <span class="muted">(as taken 2)</span></td>' in body
    assert "Decided verdicts flip when a photograph is tilted 3° and cropped" in body  # the promotion concern, in words
    assert "Validated from JPEG quality 70, focus 0.15, 576 px on the long side" in body and "Widened by: re-saved as JPEG quality 70." in body
    assert "2 re-photographed copies of every training image" in body

    older = _stored_run("d" * 32, {"n_images": 40})
    body = staff_client.get(reverse("training:run", args=[older.run_id])).content.decode()
    assert 'id="capture-not-measured"' in body and "trained before ArtGuard checked whether a model judges the camera" in body


def test_the_run_page_flags_what_a_promoter_needs_and_compares_with_the_serving_model(staff_client, promoted_model):
    artist = {"artist": promoted_model.info["artist"], "artist_name": promoted_model.artist}
    run = _stored_run("e" * 32, issue_run_detail(), mean_auc=0.93, std_auc=0.02, model_version="v-candidate", **artist)
    body = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    # Shown before anyone presses Promote, each with its figures.
    assert 'id="promotion-concerns"' in body and "Before promoting: 3 concerns." in body
    for text in ("Fold 2 called 1 of 6 forgeries (16.7%) likely authentic, against a target of at most 5%.",
                 "Fold 3 called 1 of 6 authentic works (16.7%) likely forged, against a target of at most 5%.",
                 "Imitation forgeries (60 works) scored accuracy 0.600, below the floor of 0.80."):
        assert text in body, text
    assert body.count('class="fold-row misses-target"') == 2 and body.count('class="sublabel-row misses-target"') == 1
    assert body.count('<span class="badge miss">misses target</span>') == 3  # words beside the colour
    # Compared with the model serving the artist now, with a recommendation and its reasons.
    assert 'id="serving-comparison"' in body and f"run {promoted_model.run_id[:8]}</a>" in body
    assert "<strong>Recommend: do not promote</strong>" in body and "It raises 3 concerns, listed above." in body
    assert "<td>0.930 ± 0.020</td>" in body
    # Promotion still asks for a reason, as before.
    asked = staff_client.post(reverse("training:run_promote", args=[run.run_id]), {"auc_floor": "0.8"})
    assert asked.status_code == 400 and "Promoting this run needs a reason." in asked.content.decode()

    decides_all = quiet_detail()
    decides_all["policy"]["rates"]["decided"] = {"count": 120, "of": 120, "rate": 1.0}
    quiet = _stored_run("f" * 32, decides_all, mean_auc=1.0, std_auc=0.0, model_version="v-quiet", **artist)
    body = staff_client.get(reverse("training:run", args=[quiet.run_id])).content.decode()
    assert 'id="promotion-concerns"' not in body and 'id="promotion-concerns-none"' in body and 'misses-target"' not in body
    assert "<strong>Recommend: promote</strong>" in body

    serving_page = staff_client.get(reverse("training:run", args=[promoted_model.run_id])).content.decode()
    assert "This run is the model serving Fixture Hand now" in serving_page and "Recommend:" not in serving_page
    # The fixture's own concerns (12 images) are shown as well, without a promote attempt.
    assert 'id="promotion-concerns"' in serving_page


def test_compare_shows_each_run_s_artist_and_warns_when_they_differ(staff_client, promoted_model):
    same = _stored_run("1" * 32, quiet_detail(), mean_auc=0.9, std_auc=0.02, artist=promoted_model.info["artist"], artist_name=promoted_model.artist)
    other = _stored_run("2" * 32, quiet_detail(), mean_auc=0.9, std_auc=0.02, artist="other-hand", artist_name="Other Hand")
    body = staff_client.get(reverse("training:compare"), {"run": [promoted_model.run_id, same.run_id]}).content.decode()
    assert 'id="compare-artist"' in body and body.count(">Fixture Hand</a>") >= 2 and 'id="different-artists"' not in body
    body = staff_client.get(reverse("training:compare"), {"run": [promoted_model.run_id, other.run_id]}).content.decode()
    assert 'id="different-artists"' in body and "These runs are of different artists</strong> (Fixture Hand and Other Hand)" in body


def test_the_run_page_and_the_model_card_show_the_same_rounded_figures(staff_client, promoted_model):
    # 0.91849 once read 0.918 on the run page and 0.919 on the card (rounded to 4 decimals, then to 3).
    run = RunRecord.get(promoted_model.run_id)
    run.update(actions=[RunRecord.mean_f1.set(0.91849), RunRecord.std_f1.set(0.01249)])
    page = staff_client.get(reverse("training:run", args=[run.run_id])).content.decode()
    assert "<th>f1</th><td>0.918 ± 0.012</td>" in page
    card = staff_client.get(reverse("models:card", args=[promoted_model.info["artist"]])).content.decode()
    assert "<td>f1</td><td>0.918</td><td>± 0.012</td>" in card and "0.919" not in card
    api = staff_client.get(f"/api/models/{promoted_model.info['artist']}/").json()
    assert api["cross_validation"]["metrics"]["f1"] == {"mean": 0.918, "std": 0.012}


def test_starting_a_run_picks_the_artist_from_the_version_and_shows_its_counts_first(staff_client, promoted_model):
    page = staff_client.get(reverse("training:runs")).content.decode()
    assert 'id="run-start-version"' in page and f'<option value="{promoted_model.dataset_version}"' in page
    assert 'id="run-start"' not in page  # no run form before a version is chosen, and no free-text artist anywhere
    page = staff_client.get(reverse("training:runs"), {"start_version": promoted_model.dataset_version}).content.decode()
    counts = page[page.index('id="start-counts"'):page.index("</table>", page.index('id="start-counts"'))]
    for row in ("<td>Fixture Hand</td><td>authentic</td><td>original</td><td>6</td>", "<td>forged</td><td>copy</td><td>3</td>",
                "<td>forged</td><td>pastiche</td><td>3</td>", "6 authentic, 6 forged"):
        assert row in counts, row
    assert '<select name="artist"' in page and '<option value="fixture-hand" selected>Fixture Hand</option>' in page
    assert '<input type="text" name="artist"' not in page
    assert f'<input type="hidden" name="dataset_version" value="{promoted_model.dataset_version}"' in page

    wrong = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "artist": "someone-else"})
    assert wrong.status_code == 400 and "someone-else has no works in this dataset version; choose one of its artists." in wrong.content.decode()
    missing = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "artist": ""})
    assert missing.status_code == 400 and "Choose the artist to train a model for." in missing.content.decode()
    unknown = staff_client.post(reverse("training:run_start"), {**_run_form(promoted_model), "dataset_version": "no-such-version"})
    assert unknown.status_code == 400 and "no-such-version is not a ready dataset version" in unknown.content.decode()
    assert 'id="start-error">no-such is not a ready dataset version' in staff_client.get(reverse("training:runs"), {"start_version": "no-such"}).content.decode()
    assert list(RunRecord.status_index.query(services.RUNNING)) == []


def test_counts_per_artist_leave_out_unattributed_works_and_count_proxies():
    from datasets.artists import Artist, Resolver
    from training.run_preview import counts_by_artist

    resolver = Resolver([Artist(slug="a-hand", name="A Hand", aliases=(), serving=None, history=()),
                         Artist(slug="b-hand", name="B Hand", aliases=(), serving=None, history=())])
    images = ([{"attributed_creator": "A Hand", "label": "authentic", "sublabel": "original"}] * 4
              + [{"attributed_creator": "a hand", "label": "forged", "sublabel": "imitation"}] * 2
              + [{"attributed_creator": "B Hand", "label": "authentic", "sublabel": ""}] * 3
              + [{"attributed_creator": None, "label": "forged", "sublabel": "print"}])
    a, b = counts_by_artist({"images": images}, resolver)
    assert (a["name"], a["authentic"], a["forged"], a["proxies"]) == ("A Hand", 4, 2, 3)
    assert a["rows"] == [{"label": "authentic", "sublabel": "original", "images": 4}, {"label": "forged", "sublabel": "imitation", "images": 2}]
    assert b["rows"] == [{"label": "authentic", "sublabel": "(none)", "images": 3}] and b["proxies"] == 4


def test_the_staff_highlights_are_styled():
    """The danger button and the rows that miss a target have their own styles (the rows also carry words)."""
    from django.contrib.staticfiles import finders

    css = open(finders.find("artguard.css"), encoding="utf-8").read()
    assert "button.danger" in css and "tr.misses-target td" in css and ".message.concerns" in css
