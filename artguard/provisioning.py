"""Create what ArtGuard stores into: the six tables (with indexes and TTL) and, on S3, the two
image buckets with lifecycle rules and the knowledge-base bucket with versioning (seed 000), all
with default encryption and public access blocked. Idempotent."""
from __future__ import annotations

import time
from pathlib import Path

import boto3
from botocore.exceptions import ClientError
from django.conf import settings
from pynamodb.attributes import TTLAttribute

from artguard.dynamo import all_table_models

# User uploads expire (seed 000's lifecycle); training images and models under other prefixes
# are the company's datasets and are kept until staff delete them.
EXPIRING_PREFIX = "inference/"


def tables_provision() -> list[str]:
    """Create missing tables; return the names created."""
    created = []
    for model in all_table_models():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
            created.append(model.Meta.table_name)
        else:
            _ensure_indexes(model)
        _ensure_ttl(model)
    return created


def _ensure_indexes(model) -> list[str]:
    """Add the global secondary indexes a model declares that its existing table lacks (an
    index ArtGuard added to a seed table after the table was made). DynamoDB builds an index
    in the background; the table stays usable meanwhile. Returns the names added."""
    client = model._get_connection().connection.client
    table = client.describe_table(TableName=model.Meta.table_name)["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    schema = model._get_schema()
    known_attributes = {definition["AttributeName"] for definition in table["AttributeDefinitions"]}
    added = []
    for index in schema.get("global_secondary_indexes", []):
        if index["index_name"] in present:
            continue
        # DynamoDB wants the HASH key first; PynamoDB lists them in declaration order.
        key_schema = sorted(index["key_schema"], key=lambda element: element["KeyType"] != "HASH")
        key_names = {element["AttributeName"] for element in key_schema}
        client.update_table(
            TableName=model.Meta.table_name,
            AttributeDefinitions=[
                definition for definition in schema["attribute_definitions"]
                if definition["AttributeName"] in key_names | known_attributes
            ],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": index["index_name"],
                "KeySchema": key_schema,
                "Projection": {"ProjectionType": index["projection"]["ProjectionType"]},
            }}],
        )
        _wait_index_active(client, model.Meta.table_name, index["index_name"])
        added.append(index["index_name"])
    return added


def _wait_index_active(client, table_name: str, index_name: str, timeout_seconds: float = 600) -> None:
    """A new index on a big table backfills for minutes; queries on it fail until it is ACTIVE."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        indexes = client.describe_table(TableName=table_name)["Table"].get("GlobalSecondaryIndexes", [])
        if any(index["IndexName"] == index_name and index.get("IndexStatus") == "ACTIVE" for index in indexes):
            return
        time.sleep(2)
    raise TimeoutError(f"index {index_name} of {table_name} is still being built; run provisioning again later")


def _ensure_ttl(model) -> None:
    ttl_names = [attr.attr_name for attr in model.get_attributes().values() if isinstance(attr, TTLAttribute)]
    if not ttl_names:
        return
    client = model._get_connection().connection.client
    described = client.describe_time_to_live(TableName=model.Meta.table_name)["TimeToLiveDescription"]
    if described.get("TimeToLiveStatus") not in {"ENABLED", "ENABLING"}:
        client.update_time_to_live(TableName=model.Meta.table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_names[0]})


def _s3_client():
    return boto3.client("s3", region_name=settings.AWS_REGION, endpoint_url=settings.AWS_S3_ENDPOINT_URL)


def bucket_provision(*, bucket: str, retention_days: int | None, versioned: bool = False, client=None) -> bool:
    """Create `bucket` if missing and (re)apply its rules; return True if it was created.
    `retention_days` None: nothing expires; `versioned`: S3 keeps every object version."""
    client = client or _s3_client()
    created = False
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response["Error"]["Code"] not in {"404", "NoSuchBucket", "NotFound"}:
            raise
        kwargs = {"Bucket": bucket}
        if settings.AWS_REGION != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_REGION}
        client.create_bucket(**kwargs)
        created = True
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    client.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    if versioned:
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if retention_days is None:
        return created
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": f"expire-{EXPIRING_PREFIX.strip('/')}-after-{retention_days}-days",
                    "Filter": {"Prefix": EXPIRING_PREFIX},
                    "Status": "Enabled",
                    "Expiration": {"Days": retention_days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        },
    )
    return created


def storage_provision() -> dict:
    """Everything at once; returns what was created, for the command's summary."""
    report = {"tables_created": tables_provision(), "buckets_created": []}
    if settings.STORAGE_BACKEND == "s3":
        for bucket, days in ((settings.RAW_BUCKET, settings.RAW_RETENTION_DAYS), (settings.PROCESSED_BUCKET, settings.PROCESSED_RETENTION_DAYS)):
            if bucket_provision(bucket=bucket, retention_days=days):
                report["buckets_created"].append(bucket)
        if bucket_provision(bucket=settings.KNOWLEDGE_BUCKET, retention_days=None, versioned=True):
            report["buckets_created"].append(settings.KNOWLEDGE_BUCKET)
    else:
        for name in ("raw", "processed", "knowledge"):
            location = settings.STORAGES[name]["OPTIONS"]["location"]
            Path(location).mkdir(parents=True, exist_ok=True)
    return report
