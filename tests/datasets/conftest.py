"""Faster DynamoDB for this folder: one moto mock with the six tables per test module, emptied
before each test (instead of a new mock and six new tables per test). Tests marked
`integration` keep the shared DynamoDB Local behaviour of tests/conftest.py."""
import pytest
from moto import mock_aws

from artguard.dynamo import all_table_models, configure_tables
from artguard.provisioning import tables_provision


@pytest.fixture(scope="module")
def _moto_tables():
    with mock_aws():
        configure_tables(host=None)
        tables_provision()
        yield
    configure_tables(host=None)


def _empty_tables():
    for model in all_table_models():
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


@pytest.fixture(autouse=True)
def dynamo_tables(request):
    if request.node.get_closest_marker("integration"):
        host = request.getfixturevalue("dynamodb_local_host")
        configure_tables(host=host)
        for model in all_table_models():
            if model.exists():
                model.delete_table()
        tables_provision()
        yield host
        for model in all_table_models():
            if model.exists():
                model.delete_table()
        configure_tables(host=None)
        return
    request.getfixturevalue("_moto_tables")
    _empty_tables()
    yield None
