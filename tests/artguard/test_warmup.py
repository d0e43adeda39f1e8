"""A web worker's one-off set-up runs before it takes requests (artguard.warmup); a step that
fails is reported and skipped, never fatal."""
from artguard import dynamo, warmup


def test_warmup_creates_every_table_client_and_runs_the_apps_steps(settings):
    dynamo.configure_tables(host=settings.DYNAMODB_HOST)  # drops every cached connection
    assert all(model._connection is None for model in dynamo.all_table_models())
    outcome = warmup.warmup_run()
    assert {"pillow plugins", "dynamodb clients", "storage", "served artists"} <= set(outcome)
    assert outcome["dynamodb clients"].endswith(" s")
    assert all(model._connection.connection._client is not None for model in dynamo.all_table_models())


def test_a_failing_step_is_reported_and_the_rest_still_run(monkeypatch):
    ran = []
    monkeypatch.setattr(warmup, "_STEPS", {"broken": lambda: 1 / 0, "after": lambda: ran.append(True)})
    outcome = warmup.warmup_run()
    assert outcome["broken"].startswith("failed: ZeroDivisionError")
    assert ran == [True] and outcome["after"].endswith(" s")


def test_warmup_leaves_no_cached_catalogue(settings):
    """It warms the lookup, not its answer: a promotion right after a worker starts reaches the
    first upload (the e2e killed-worker test promotes a model seconds after the stack starts)."""
    from training import served_models

    warmup.warmup_run()
    assert served_models._catalogue["value"] is None
