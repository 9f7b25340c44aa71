"""A bucket's stored configurations: tags, lifecycle, CORS and default encryption, each put,
got and deleted as the S3 API Reference says, with S3's errors for what is not there
(``ErrorResponses``: ``NoSuchTagSet``, ``NoSuchLifecycleConfiguration``,
``NoSuchCORSConfiguration``). Actions are the Service Authorization Reference's
(``list_amazons3``): a Delete of tagging, lifecycle, CORS or encryption is authorized as the
matching Put action, as the API Reference pages say. Lifecycle rules are stored and returned;
localiam does not expire or transition objects by them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import access
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import Bucket, decode_config, encode_config, error, get_bucket
from localiam.services.s3.cors import check_cors_rules
from localiam.state import s3_store

MAX_BUCKET_TAGS = 50
MAX_LIFECYCLE_RULES = 1000
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
SSE_S3_DEFAULT: dict[str, Any] = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
"""``default-bucket-encryption``: "all Amazon S3 buckets have encryption configured by default"
(SSE-S3), what GetBucketEncryption answers for a bucket nobody configured."""


def _authorize_bucket(ctx: OperationContext, op: Operation, params: Params) -> None:
    assert op.action is not None
    access.check_bucket(ctx, op.action, get_bucket(ctx, params))


def malformed_xml() -> Exception:
    return error(
        "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
    )


def _store(ctx: OperationContext, bucket: Bucket, **values: str | None) -> Result:
    s3_store.update_bucket(ctx.tx, bucket.name, **values)
    return {}


# ----------------------------------------------------------------------------- tagging
def _invalid_tag(message: str) -> Exception:
    return error("InvalidTag", message)


def check_bucket_tags(tag_set: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``API_PutBucketTagging`` / ``tagging-managing`` (user-defined tags): at most 50 tags,
    keys of 1-128 and values of up to 256 characters, each key once, none starting with the
    reserved ``aws:`` prefix."""
    if len(tag_set) > MAX_BUCKET_TAGS:
        raise _invalid_tag("Bucket tag count cannot be greater than 50")
    seen: set[str] = set()
    out = []
    for tag in tag_set:
        key, value = str(tag.get("Key", "")), str(tag.get("Value", ""))
        if key in seen:
            raise _invalid_tag("Cannot provide multiple Tags with the same key")
        if not key or len(key) > 128:
            raise _invalid_tag("The TagKey you have provided is invalid")
        if len(value) > 256:
            raise _invalid_tag("The TagValue you have provided is invalid")
        if key.lower().startswith("aws:"):
            raise _invalid_tag("System tags cannot be added/updated by requester")
        seen.add(key)
        out.append({"Key": key, "Value": value})
    return out


@SERVICE.operation(
    "PutBucketTagging", action="s3:PutBucketTagging", authorizer=_authorize_bucket, writes=True, signed=False
)
def put_bucket_tagging(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    tagging = params.get("Tagging")
    if tagging is None:
        raise malformed_xml()
    return _store(ctx, bucket, tags=encode_config(check_bucket_tags(list(tagging.get("TagSet") or []))))


@SERVICE.operation("GetBucketTagging", action="s3:GetBucketTagging", authorizer=_authorize_bucket, signed=False)
def get_bucket_tagging(ctx: OperationContext, params: Params) -> Result:
    """``API_GetBucketTagging``: no tag set is 404 ``NoSuchTagSet``."""
    bucket = get_bucket(ctx, params)
    if bucket.tags_text is None:
        raise error("NoSuchTagSet", "The TagSet does not exist", 404, BucketName=bucket.name)
    return {"TagSet": decode_config(bucket.tags_text)}


@SERVICE.operation(
    "DeleteBucketTagging", action="s3:PutBucketTagging", authorizer=_authorize_bucket, writes=True, signed=False
)
def delete_bucket_tagging(ctx: OperationContext, params: Params) -> Result:
    return _store(ctx, get_bucket(ctx, params), tags=None)


# ----------------------------------------------------------------------------- lifecycle
_LIFECYCLE_ACTIONS = (
    "Expiration",
    "Transitions",
    "NoncurrentVersionTransitions",
    "NoncurrentVersionExpiration",
    "AbortIncompleteMultipartUpload",
)


def check_lifecycle_rules(rules: list[Mapping[str, Any]]) -> None:
    """``API_LifecycleRule``: 1-1,000 rules, each ``Enabled`` or ``Disabled``, with an ID of
    up to 255 characters unique in the configuration, a ``Filter`` or the legacy ``Prefix``
    (not both), and at least one action; day counts are positive."""
    if not rules or len(rules) > MAX_LIFECYCLE_RULES:
        raise malformed_xml()
    ids: set[str] = set()
    for rule in rules:
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise malformed_xml()
        if "Filter" in rule and "Prefix" in rule:
            raise malformed_xml()
        rule_id = rule.get("ID")
        if rule_id is not None:
            if len(str(rule_id)) > 255:
                raise error("InvalidArgument", "ID length should not exceed allowed limit of 255")
            if rule_id in ids:
                raise error("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")
            ids.add(str(rule_id))
        if not any(rule.get(name) for name in _LIFECYCLE_ACTIONS):
            raise error("InvalidRequest", "At least one action needs to be specified in a rule")
        days = (rule.get("Expiration") or {}).get("Days")
        if days is not None and int(days) <= 0:
            raise error("InvalidArgument", "'Days' for Expiration action must be a positive integer")


@SERVICE.operation(
    "PutBucketLifecycleConfiguration",
    action="s3:PutLifecycleConfiguration",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def put_bucket_lifecycle_configuration(ctx: OperationContext, params: Params) -> Result:
    """Replaces the whole configuration (``API_PutBucketLifecycleConfiguration``: "Amazon S3
    [...] replaces an existing lifecycle configuration, if there is one")."""
    bucket = get_bucket(ctx, params)
    config = params.get("LifecycleConfiguration")
    if config is None:
        raise malformed_xml()
    rules = list(config.get("Rules") or [])
    check_lifecycle_rules(rules)
    stored: dict[str, Any] = {"Rules": rules}
    minimum = params.get("TransitionDefaultMinimumObjectSize")
    stored["TransitionDefaultMinimumObjectSize"] = minimum or "all_storage_classes_128K"
    _store(ctx, bucket, lifecycle=encode_config(stored))
    return {"TransitionDefaultMinimumObjectSize": stored["TransitionDefaultMinimumObjectSize"]}


@SERVICE.operation(
    "GetBucketLifecycleConfiguration",
    action="s3:GetLifecycleConfiguration",
    authorizer=_authorize_bucket,
    signed=False,
)
def get_bucket_lifecycle_configuration(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    if bucket.lifecycle_text is None:
        raise error(
            "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist", 404, BucketName=bucket.name
        )
    stored: dict[str, Any] = decode_config(bucket.lifecycle_text)
    return stored


@SERVICE.operation(
    "DeleteBucketLifecycle",
    action="s3:PutLifecycleConfiguration",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def delete_bucket_lifecycle(ctx: OperationContext, params: Params) -> Result:
    return _store(ctx, get_bucket(ctx, params), lifecycle=None)


# ----------------------------------------------------------------------------- CORS
@SERVICE.operation("PutBucketCors", action="s3:PutBucketCORS", authorizer=_authorize_bucket, writes=True, signed=False)
def put_bucket_cors(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    config = params.get("CORSConfiguration")
    if config is None:
        raise malformed_xml()
    rules = list(config.get("CORSRules") or [])
    check_cors_rules(rules)
    return _store(ctx, bucket, cors=encode_config(rules))


@SERVICE.operation("GetBucketCors", action="s3:GetBucketCORS", authorizer=_authorize_bucket, signed=False)
def get_bucket_cors(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    if bucket.cors_text is None:
        raise error("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404, BucketName=bucket.name)
    return {"CORSRules": decode_config(bucket.cors_text)}


@SERVICE.operation(
    "DeleteBucketCors", action="s3:PutBucketCORS", authorizer=_authorize_bucket, writes=True, signed=False
)
def delete_bucket_cors(ctx: OperationContext, params: Params) -> Result:
    return _store(ctx, get_bucket(ctx, params), cors=None)


# ----------------------------------------------------------------------------- default encryption
def check_encryption(config: Mapping[str, Any]) -> None:
    """``API_ServerSideEncryptionByDefault``: ``SSEAlgorithm`` is ``AES256``, ``aws:kms`` or
    ``aws:kms:dsse``; "KMSMasterKeyID [...] can only be used when you set the value of
    SSEAlgorithm as aws:kms or aws:kms:dsse"."""
    rules = config.get("Rules") or []
    if not rules:
        raise malformed_xml()
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault")
        if default is None:
            continue
        algorithm = default.get("SSEAlgorithm")
        if algorithm not in SSE_ALGORITHMS:
            raise malformed_xml()
        if default.get("KMSMasterKeyID") is not None and algorithm == "AES256":
            raise error(
                "InvalidArgument",
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                ArgumentName="ApplyServerSideEncryptionByDefault",
            )


@SERVICE.operation(
    "PutBucketEncryption",
    action="s3:PutEncryptionConfiguration",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def put_bucket_encryption(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    config = params.get("ServerSideEncryptionConfiguration")
    if config is None:
        raise malformed_xml()
    check_encryption(config)
    return _store(ctx, bucket, encryption=encode_config(config))


def default_encryption(bucket: Bucket) -> dict[str, Any]:
    """The bucket's default encryption: what was put, else SSE-S3."""
    if bucket.encryption_text is None:
        return SSE_S3_DEFAULT
    stored: dict[str, Any] = decode_config(bucket.encryption_text)
    return stored


def object_encryption(bucket: Bucket, params: Params) -> dict[str, Any]:
    """How a new object is encrypted (``API_PutObject``, ``x-amz-server-side-encryption``):
    as the request asks, else by the bucket's default encryption; what S3 answers in
    ``ServerSideEncryption``, ``SSEKMSKeyId`` and ``BucketKeyEnabled``."""
    requested = params.get("ServerSideEncryption")
    if requested:
        out: dict[str, Any] = {"ServerSideEncryption": str(requested)}
        if params.get("SSEKMSKeyId") and str(requested).startswith("aws:kms"):
            out["SSEKMSKeyId"] = str(params["SSEKMSKeyId"])
        if params.get("BucketKeyEnabled") and str(requested).startswith("aws:kms"):
            out["BucketKeyEnabled"] = True
        return out
    rule = (default_encryption(bucket).get("Rules") or [{}])[0]
    by_default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = str(by_default.get("SSEAlgorithm") or "AES256")
    out = {"ServerSideEncryption": algorithm}
    if algorithm.startswith("aws:kms"):
        if by_default.get("KMSMasterKeyID"):
            out["SSEKMSKeyId"] = str(by_default["KMSMasterKeyID"])
        if rule.get("BucketKeyEnabled"):
            out["BucketKeyEnabled"] = True
    return out


@SERVICE.operation(
    "GetBucketEncryption", action="s3:GetEncryptionConfiguration", authorizer=_authorize_bucket, signed=False
)
def get_bucket_encryption(ctx: OperationContext, params: Params) -> Result:
    """Every bucket has a default encryption (SSE-S3 unless configured): AWS no longer answers
    ``ServerSideEncryptionConfigurationNotFoundError`` for general purpose buckets
    (``default-bucket-encryption``)."""
    return {"ServerSideEncryptionConfiguration": default_encryption(get_bucket(ctx, params))}


@SERVICE.operation(
    "DeleteBucketEncryption",
    action="s3:PutEncryptionConfiguration",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def delete_bucket_encryption(ctx: OperationContext, params: Params) -> Result:
    """``API_DeleteBucketEncryption``: "resets the default encryption for the bucket as
    server-side encryption with Amazon S3 managed keys (SSE-S3)"."""
    return _store(ctx, get_bucket(ctx, params), encryption=None)
