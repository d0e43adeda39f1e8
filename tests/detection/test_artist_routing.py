"""One model per artist, end to end through the services: runs for one artist, promotion per
artist, uploads routed by their attribution, refusals that name the served artists, and an
upload in flight that finishes with the model it was submitted to."""
import pytest

from detection import services
from detection.selectors import inference_get
from tests.detection.conftest import stored_files
from tests.images import image_bytes
from tests.training.fixtures import FIXTURE_ARTIST, FIXTURE_GRID, SMALL_TARGETS, fixture_dataset_create, synthetic_painting
from training import services as training_services
from training.serving import served_artists

pytestmark = pytest.mark.slow
SECOND = "Second Hand"


@pytest.fixture
def two_artist_version(settings, tmp_path, training_embedding_cache):
    from datasets.services import dataset_version_create

    settings.EMBEDDING_CACHE_DIR = training_embedding_cache
    fixture_dataset_create(tmp_path / "a", name="hand-a", version=None)
    fixture_dataset_create(tmp_path / "b", name="hand-b", version=None, artist=SECOND, first_index=6)
    dataset_version_create(name="two-hands", dataset_names=["hand-a", "hand-b"])
    return "two-hands"


def _train(version: str, artist: str, **options):
    run = training_services.run_create(dataset_version=version, artist=artist, k_folds=2, grid=FIXTURE_GRID,
                                       targets=SMALL_TARGETS, started_by="test", **options)
    run = training_services.run_execute(run_id=run.run_id)
    assert run.status == training_services.COMPLETED, run.error
    return run


def test_runs_are_per_artist_and_refuse_what_they_cannot_measure(two_artist_version):
    with pytest.raises(training_services.TrainingError, match="several artists .*Fixture Hand, Second Hand.*name the artist"):
        training_services.run_create(dataset_version=two_artist_version, targets=SMALL_TARGETS)
    with pytest.raises(training_services.TrainingError, match="No model for 'Claude Monet'.*Fixture Hand, Second Hand"):
        training_services.run_create(dataset_version=two_artist_version, artist="Claude Monet", targets=SMALL_TARGETS)
    with pytest.raises(training_services.TrainingError,
                       match=r"7 folds need at least 7 authentic images.*6 authentic and 6 forged images of Second Hand "
                             r"\(authentic/original: 6, forged/copy: 3, forged/pastiche: 3\)"):
        training_services.run_create(dataset_version=two_artist_version, artist="hand, second", k_folds=7, targets=SMALL_TARGETS)
    run = training_services.run_create(dataset_version=two_artist_version, artist="SECOND HAND", proxies=True, targets=SMALL_TARGETS, k_folds=2)
    assert (run.artist, run.artist_name, run.proxy_negatives) == ("second-hand", SECOND, True)


def test_uploads_go_to_their_artists_model_and_finish_with_it(two_artist_version, user, storage_dirs, monkeypatch):
    first = _train(two_artist_version, FIXTURE_ARTIST)
    second = _train(two_artist_version, SECOND, proxies=True)
    assert second.metrics_detail.as_dict()["label_counts"] == {"authentic": 6, "forged": 12}  # 6 proxies
    for run in (first, second):
        training_services.model_promote(run_id=run.run_id, promoted_by="staff@example.com", reason="test")
    assert [(a.name, a.serving["model_version"]) for a in served_artists()] == [(FIXTURE_ARTIST, first.model_version), (SECOND, second.model_version)]

    data = image_bytes(320, 240)
    as_first = services.inference_submit(user_id=user.user_id, data=data, filename="a.jpg", attributed_artist="fixture hand").record
    as_second = services.inference_submit(user_id=user.user_id, data=data, filename="a.jpg", attributed_artist=SECOND).record
    done = [inference_get(inference_id=r.inference_id) for r in (as_first, as_second)]
    assert [(r.status, r.attributed_artist, r.artist, r.model_version) for r in done] == [
        ("COMPLETED", FIXTURE_ARTIST, "fixture-hand", first.model_version), ("COMPLETED", SECOND, "second-hand", second.model_version)]

    # Refusals name the served artists and create nothing.
    before = stored_files(storage_dirs)
    for attribution, reason in (("Claude Monet", "No model for 'Claude Monet'"), ("", "Name the artist")):
        with pytest.raises(services.ArtistNotServed, match=reason) as refused:
            services.inference_submit(user_id=user.user_id, data=data, filename="b.jpg", attributed_artist=attribution)
        assert refused.value.served == [FIXTURE_ARTIST, SECOND]
    assert stored_files(storage_dirs) == before

    # In flight while the artist's model is withdrawn: it finishes with the model it was pinned to.
    import django_q.tasks
    queued = []
    monkeypatch.setattr(django_q.tasks, "async_task", lambda *args, **kwargs: queued.append(args))
    waiting = services.inference_submit(user_id=user.user_id, data=image_bytes(300, 260), filename="c.jpg", attributed_artist=SECOND).record
    training_services.model_unpromote(artist=SECOND, by="staff@example.com", reason="retraining")
    with pytest.raises(services.ArtistNotServed, match=f"The artists with a model are: {FIXTURE_ARTIST}"):
        services.inference_submit(user_id=user.user_id, data=data, filename="d.jpg", attributed_artist=SECOND)
    services.inference_process(inference_id=waiting.inference_id)
    finished = inference_get(inference_id=waiting.inference_id)
    assert (finished.status, finished.model_version) == ("COMPLETED", second.model_version)
    from datasets.selectors import artist_get
    assert [event["action"] for event in artist_get(slug="second-hand").history] == ["promoted", "withdrawn"]
