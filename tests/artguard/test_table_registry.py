"""Apps register their tables (AppConfig.ready); the ground floor lists them without importing any app."""
import pytest
from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from artguard import dynamo

SEED_TABLES = {"users", "inference-records", "image-records", "patch-records", "run-records", "config-records"}


def test_every_seed_table_is_registered_once():
    short_names = [model.Meta.short_name for model in dynamo.all_table_models()]
    assert sorted(short_names) == sorted(SEED_TABLES)


def test_a_second_model_for_a_registered_table_is_refused():
    class Impostor(Model):
        Meta = dynamo.table_meta("users")
        user_id = UnicodeAttribute(hash_key=True)

    with pytest.raises(ValueError, match="registered twice"):
        dynamo.table_models_register(Impostor)


def test_a_model_without_table_meta_is_refused():
    class Loose(Model):
        class Meta:
            table_name = "loose"

        key = UnicodeAttribute(hash_key=True)

    with pytest.raises(TypeError, match="table_meta"):
        dynamo.table_models_register(Loose)
