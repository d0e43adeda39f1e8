"""Model cards for every signed-in user, the served-artist API, and the staff artist pages
(names, aliases, runs, promotion history, withdrawal), against a real promoted model."""
import pytest

from tests.training.fixtures import FIXTURE_ARTIST, capture_evidence, serve_untrained_model


@pytest.mark.slow
def test_a_user_reads_the_card_of_the_model_that_serves_an_artist(user_client, promoted_model):
    listing = user_client.get("/models/").content.decode()
    assert FIXTURE_ARTIST in listing and promoted_model.model_version in listing

    page = user_client.get("/models/fixture-hand/").content.decode()
    assert f"Model card: {FIXTURE_ARTIST}" in page and promoted_model.model_version in page
    assert "dataset version fixture-v1" in page
    assert "6 original (authentic)" in page and "3 copy (forged)" in page  # counts by sublabel
    assert "out-of-fold" in page and "auc" in page and "±" in page
    assert "cannot see pigments" in page
    assert user_client.get(f"/models/fixture-hand/{promoted_model.model_version}/").status_code == 200
    assert user_client.get("/models/fixture-hand/model-that-never-served/").status_code == 404
    assert user_client.get("/models/nobody/").status_code == 404


@pytest.mark.slow
def test_the_api_lists_served_artists_and_their_cards(user_client, promoted_model):
    [artist] = user_client.get("/api/artists/").json()
    assert artist["name"] == FIXTURE_ARTIST and artist["slug"] == "fixture-hand"
    assert artist["model_version"] == promoted_model.model_version and artist["card_url"].endswith("/models/fixture-hand/")
    card = user_client.get("/api/models/fixture-hand/").json()
    assert card["artist"]["name"] == FIXTURE_ARTIST and card["serving"] is True
    assert card["training_counts"]["by_sublabel"]["original"] == {"label": "authentic", "images": 6}
    assert set(card["cross_validation"]["metrics"]["auc"]) == {"mean", "std"}
    assert card["verdict_policy"]["statements"] and "pigments" in card["limits"]
    assert user_client.get("/api/models/nobody/").status_code == 404
    schema = user_client.get("/api/schema/?format=json").json()
    upload = schema["components"]["schemas"]["DetectionUpload"]
    assert upload["properties"]["attributed_artist"]["x-served-artists"] == [FIXTURE_ARTIST]
    assert "attributed_artist" in upload["required"]


@pytest.mark.slow
def test_the_upload_picker_offers_names_and_aliases(user_client, promoted_model):
    from datasets.artist_registry import artist_update
    from training.services import catalogue_changed

    artist_update(slug="fixture-hand", aliases=["The Fixture Painter"])
    catalogue_changed()
    page = user_client.get("/detections/").content.decode()
    assert 'list="artist-names"' in page and f'<option value="{FIXTURE_ARTIST}">' in page
    assert '<option value="The Fixture Painter" label="The Fixture Painter (Fixture Hand)">' in page
    assert 'href="/models/fixture-hand/"' in page


@pytest.mark.slow
def test_staff_edit_aliases_see_history_and_withdraw_a_model(staff_client, promoted_model):
    user_client = staff_client  # one test client: staff are signed-in users too
    page = staff_client.get("/training/artists/").content.decode()
    assert FIXTURE_ARTIST in page and promoted_model.model_version in page
    saved = staff_client.post("/training/artists/fixture-hand/update/", {"name": FIXTURE_ARTIST, "aliases": "F. Hand\nThe Fixture Painter"})
    assert saved.status_code == 302
    from training.served_models import clear_cache
    clear_cache()
    [artist] = user_client.get("/api/artists/").json()
    assert artist["aliases"] == ["F. Hand", "The Fixture Painter"]

    detail = staff_client.get("/training/artists/fixture-hand/").content.decode()
    assert "promoted" in detail and promoted_model.run_id[:8] in detail
    assert 'class="run-row"' in staff_client.get("/training/runs/?artist=fixture-hand").content.decode()
    assert 'class="run-row"' not in staff_client.get("/training/runs/?artist=someone-else").content.decode()

    # A danger action: styled as one, and done only with the confirmation box ticked (checked by the server).
    assert '<button type="submit" class="danger">Withdraw this artist\'s model</button>' in detail and 'name="confirm"' in detail
    unconfirmed = staff_client.post("/training/artists/fixture-hand/withdraw/", {"reason": "retraining"})
    assert unconfirmed.status_code == 400 and "Tick the box to confirm the withdrawal; nothing was withdrawn." in unconfirmed.content.decode()
    clear_cache()
    assert [artist["name"] for artist in user_client.get("/api/artists/").json()] == [FIXTURE_ARTIST]
    run_page = staff_client.get(f"/training/runs/{promoted_model.run_id}/").content.decode()
    assert 'id="promote-again-help"' in run_page and "Promoting it again re-writes its served information" in run_page

    staff_client.post("/training/artists/fixture-hand/withdraw/", {"reason": "retraining", "confirm": "on"})
    clear_cache()
    assert user_client.get("/api/artists/").json() == []
    history = staff_client.get("/training/artists/fixture-hand/").content.decode()
    assert "withdrawn" in history and "retraining" in history
    run_page = staff_client.get(f"/training/runs/{promoted_model.run_id}/").content.decode()
    assert "after a withdrawal or another model, makes it serve Fixture Hand again" in run_page


def test_the_card_says_whether_the_model_judges_the_camera(user_client):
    """Served info written at promotion is the fallback; the run's own figures come first."""
    from training.tables import RunRecord

    serve_untrained_model("m-capture", info=capture_evidence(concern=True))
    card = user_client.get("/api/models/fixture-hand/").json()["capture"]
    assert card["measured"] and card["audit"]["concern"] and card["audit"]["auc"] == 0.91
    assert "differ in how they were photographed" in card["audit"]["statement"]
    changes = {row["name"]: row for row in card["robustness"]["changes"]}
    assert changes["tilt-3"] == {"name": "tilt-3", "words": "tilted 3° and cropped", "severity": "benign", "auc": 0.9, "flips": 3,
                                 "works": 40, "inconclusive": 0.25, "misses_target": True}
    assert [name for name, row in changes.items() if row["misses_target"]] == ["tilt-3", "blur-strong"]
    assert card["envelope"].startswith("Validated from JPEG quality 70, focus 0.15, 576 px on the long side")
    page = user_client.get("/models/fixture-hand/").content.decode()
    assert 'id="card-capture-audit"' in page and 'class="message warning"' in page and page.count("misses its target") == 2
    assert "3 of 40" in page and "25%" in page

    RunRecord(run_id="r" * 32, created_at=1, status="completed", dataset_version="v1", outer_split_seed=0, inner_split_seed=1,
              metrics_detail=capture_evidence(concern=False)).save()
    card = user_client.get("/api/models/fixture-hand/").json()["capture"]
    assert not card["audit"]["concern"] and not any(row["misses_target"] for row in card["robustness"]["changes"])


def test_a_model_trained_before_the_capture_checks_says_not_measured(user_client):
    serve_untrained_model("m-older")
    card = user_client.get("/api/models/fixture-hand/").json()["capture"]
    assert card == {"measured": False, "note": card["note"], "audit": None, "robustness": None, "envelope": None, "augmentation": None}
    assert card["note"].startswith("Not measured: this run was trained before")
    assert 'id="card-capture-not-measured"' in user_client.get("/models/fixture-hand/").content.decode()
