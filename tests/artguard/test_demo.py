"""The first-run demo bootstrap: synthetic data through the real upload path, a real (tiny)
nested cross-validated training run, promotion; and nothing at all once a model serves."""
import pytest
from django.core.management import call_command

from artguard.demo import DemoPlan, demo_model_ensure
from datasets.selectors import dataset_version_get
from training.serving import promoted_model_info
from training.tables import RunRecord

pytestmark = pytest.mark.slow

TINY = DemoPlan(images=12, k_folds=2, grid=[{"kind": "baseline", "C": 0.03}], version="demo-test", width=448, height=336,
                targets={"forged_called_authentic": 0.2, "authentic_called_forged": 0.2})


def test_bootstrap_trains_and_promotes_a_labelled_demo_model_once():
    messages = []
    info = demo_model_ensure(plan=TINY, say=messages.append)

    assert info["is_demo"] is True
    assert promoted_model_info()["model_version"] == info["model_version"]
    version = dataset_version_get(name="demo-test")
    assert len(version["images"]) == 12
    assert {image["label"] for image in version["images"]} == {"authentic", "forged"}
    run = RunRecord.get(info["run_id"])
    assert run.status == "completed" and run.is_demo and run.k_folds == 2
    assert any("SYNTHETIC" in message for message in messages)
    assert any(message.startswith("[3/4]") for message in messages)

    again = []
    assert demo_model_ensure(plan=TINY, say=again.append)["model_version"] == info["model_version"]
    assert again == [f"Model {info['model_version']} serves detection; no demo needed."]


def test_command_respects_the_switch(settings, capsys):
    settings.DEMO_BOOTSTRAP = False
    call_command("bootstrap_demo")
    assert "off" in capsys.readouterr().out
    assert promoted_model_info() is None
