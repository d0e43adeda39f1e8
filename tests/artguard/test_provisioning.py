import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from artguard import dynamo
from artguard.dynamo import all_table_models
from artguard.provisioning import bucket_provision, tables_provision


def test_provision_is_idempotent_and_creates_all_six_tables(capsys):
    for model in all_table_models():
        model.delete_table()
    call_command("provision_storage")
    assert "artguard-users-test" in capsys.readouterr().out
    assert all(model.exists() for model in all_table_models())
    assert tables_provision() == []  # second run creates nothing
    call_command("provision_storage")
    assert "nothing (all present)" in capsys.readouterr().out


def test_bucket_rules(settings):
    client = boto3.client("s3", region_name=settings.AWS_REGION)
    assert bucket_provision(bucket="artguard-images-raw-test", retention_days=30, client=client) is True
    assert bucket_provision(bucket="artguard-images-raw-test", retention_days=30, client=client) is False
    rules = client.get_bucket_lifecycle_configuration(Bucket="artguard-images-raw-test")["Rules"]
    assert rules[0]["Expiration"]["Days"] == 30 and rules[0]["Filter"]["Prefix"] == "inference/"
    encryption = client.get_bucket_encryption(Bucket="artguard-images-raw-test")
    assert encryption["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = client.get_public_access_block(Bucket="artguard-images-raw-test")["PublicAccessBlockConfiguration"]
    assert all(block.values())


def test_provision_on_s3_creates_both_buckets(settings):
    settings.STORAGE_BACKEND = "s3"
    call_command("provision_storage")
    client = boto3.client("s3", region_name=settings.AWS_REGION)
    names = {bucket["Name"] for bucket in client.list_buckets()["Buckets"]}
    assert {"artguard-images-raw-test", "artguard-images-processed-test"} <= names
    days = client.get_bucket_lifecycle_configuration(Bucket="artguard-images-processed-test")["Rules"][0]["Expiration"]["Days"]
    assert days == 90
    # seed 000's knowledge-base bucket: versioned, private, nothing expires
    assert settings.KNOWLEDGE_BUCKET in names
    assert client.get_bucket_versioning(Bucket=settings.KNOWLEDGE_BUCKET)["Status"] == "Enabled"
    assert all(client.get_public_access_block(Bucket=settings.KNOWLEDGE_BUCKET)["PublicAccessBlockConfiguration"].values())
    with pytest.raises(client.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        client.get_bucket_lifecycle_configuration(Bucket=settings.KNOWLEDGE_BUCKET)


def test_unreachable_dynamodb_gives_one_clear_message():
    dynamo.configure_tables(host="http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(CommandError) as error:
        call_command("check_dynamodb", "--timeout", "1")
    assert "DYNAMODB_HOST" in str(error.value) and "Traceback" not in str(error.value)


def test_provision_adds_an_index_that_a_table_made_before_it_lacks():
    """A Users table made from seed 000 alone (EmailIndex only) gains ErasureIndex, and the
    erasure items are then found through it."""
    from accounts import erasure_store
    from accounts.tables import UserRecord

    UserRecord.delete_table()
    client = UserRecord._get_connection().connection.client
    client.create_table(
        TableName=UserRecord.Meta.table_name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}, {"AttributeName": "email", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "EmailIndex", "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
    )
    assert tables_provision() == []  # nothing created: the table is there
    indexes = {index["IndexName"]: index for index in client.describe_table(TableName=UserRecord.Meta.table_name)["Table"]["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"EmailIndex", "ErasureIndex"}
    assert [key["KeyType"] for key in indexes["ErasureIndex"]["KeySchema"]] == ["HASH", "RANGE"]
    erasure_store.erasure_create(user_id="u1", requested_by="self")
    assert [request.user_id for request in erasure_store.erasures_open()] == ["u1"]
    tables_provision()  # and again: nothing to add
