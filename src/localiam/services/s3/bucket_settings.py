"""The other bucket settings infrastructure code reads back after it creates a bucket (what
Terraform's ``aws_s3_bucket`` refreshes): website, logging, request payment, Transfer
Acceleration, replication, event notifications and Object Lock. Each is stored and returned as
the S3 API Reference shows, with S3's answer for a setting that is not there; none of them
acts (no website endpoint, no log delivery, no replication, no notifications are sent, no
retention is enforced). Actions are the Service Authorization Reference's (``list_amazons3``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localiam.services.base import Handler, Operation, OperationContext, Params, Result
from localiam.services.s3 import access, versions
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import Bucket, decode_config, encode_config, error, find_bucket, get_bucket
from localiam.state import s3_store


def _authorize_bucket(ctx: OperationContext, op: Operation, params: Params) -> None:
    assert op.action is not None
    access.check_bucket(ctx, op.action, get_bucket(ctx, params))


def _settings(bucket: Bucket) -> dict[str, Any]:
    found: dict[str, Any] = decode_config(bucket.settings_text) if bucket.settings_text else {}
    return found


def _setting(bucket: Bucket, name: str) -> Any:
    return _settings(bucket).get(name)


def _set(ctx: OperationContext, bucket: Bucket, name: str, value: Any) -> Result:
    settings = _settings(bucket)
    if value is None:
        settings.pop(name, None)
    else:
        settings[name] = value
    s3_store.update_bucket(ctx.tx, bucket.name, settings=encode_config(settings) if settings else None)
    return {}


def _required(params: Params, member: str) -> Any:
    value = params.get(member)
    if value is None:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    return value


def _op(name: str, action: str, *, writes: bool = False) -> Callable[[Handler], Handler]:
    return SERVICE.operation(name, action=action, authorizer=_authorize_bucket, writes=writes, signed=False)


# ----------------------------------------------------------------------------- website
@_op("PutBucketWebsite", "s3:PutBucketWebsite", writes=True)
def put_bucket_website(ctx: OperationContext, params: Params) -> Result:
    """``API_PutBucketWebsite``: an ``IndexDocument`` or a ``RedirectAllRequestsTo``."""
    config = dict(_required(params, "WebsiteConfiguration"))
    if not config.get("IndexDocument") and not config.get("RedirectAllRequestsTo"):
        raise error(
            "InvalidArgument",
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            ArgumentName="IndexDocument",
        )
    return _set(ctx, get_bucket(ctx, params), "Website", config)


@_op("GetBucketWebsite", "s3:GetBucketWebsite")
def get_bucket_website(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    config = _setting(bucket, "Website")
    if config is None:
        raise error(
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
            404,
            BucketName=bucket.name,
        )
    return dict(config)


@_op("DeleteBucketWebsite", "s3:DeleteBucketWebsite", writes=True)
def delete_bucket_website(ctx: OperationContext, params: Params) -> Result:
    return _set(ctx, get_bucket(ctx, params), "Website", None)


# ----------------------------------------------------------------------------- logging
@_op("PutBucketLogging", "s3:PutBucketLogging", writes=True)
def put_bucket_logging(ctx: OperationContext, params: Params) -> Result:
    """``API_PutBucketLogging``: an empty ``BucketLoggingStatus`` turns logging off; the
    target bucket must exist (``InvalidTargetBucketForLogging``)."""
    bucket = get_bucket(ctx, params)
    enabled = (_required(params, "BucketLoggingStatus") or {}).get("LoggingEnabled")
    if enabled is not None and find_bucket(ctx, str(enabled.get("TargetBucket") or "")) is None:
        raise error(
            "InvalidTargetBucketForLogging",
            "The target bucket for logging does not exist",
            TargetBucket=str(enabled.get("TargetBucket") or ""),
        )
    return _set(ctx, bucket, "Logging", enabled)


@_op("GetBucketLogging", "s3:GetBucketLogging")
def get_bucket_logging(ctx: OperationContext, params: Params) -> Result:
    """Logging off is an empty ``BucketLoggingStatus``."""
    enabled = _setting(get_bucket(ctx, params), "Logging")
    return {"LoggingEnabled": enabled} if enabled is not None else {}


# ----------------------------------------------------------------------------- request payment
@_op("PutBucketRequestPayment", "s3:PutBucketRequestPayment", writes=True)
def put_bucket_request_payment(ctx: OperationContext, params: Params) -> Result:
    payer = (_required(params, "RequestPaymentConfiguration") or {}).get("Payer")
    if payer not in ("Requester", "BucketOwner"):
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    return _set(ctx, get_bucket(ctx, params), "Payer", None if payer == "BucketOwner" else payer)


@_op("GetBucketRequestPayment", "s3:GetBucketRequestPayment")
def get_bucket_request_payment(ctx: OperationContext, params: Params) -> Result:
    """``API_GetBucketRequestPayment``: the bucket owner pays unless set otherwise."""
    return {"Payer": _setting(get_bucket(ctx, params), "Payer") or "BucketOwner"}


# ----------------------------------------------------------------------------- Transfer Acceleration
@_op("PutBucketAccelerateConfiguration", "s3:PutAccelerateConfiguration", writes=True)
def put_bucket_accelerate(ctx: OperationContext, params: Params) -> Result:
    """``API_PutBucketAccelerateConfiguration``: ``Enabled`` or ``Suspended``; "The name of
    the bucket used for Transfer Acceleration must be DNS-compliant and must not contain
    periods (".")."""
    bucket = get_bucket(ctx, params)
    status = (_required(params, "AccelerateConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    if "." in bucket.name:
        raise error(
            "InvalidRequest", "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
        )
    return _set(ctx, bucket, "Accelerate", status)


@_op("GetBucketAccelerateConfiguration", "s3:GetAccelerateConfiguration")
def get_bucket_accelerate(ctx: OperationContext, params: Params) -> Result:
    """A bucket that never had Transfer Acceleration answers no ``Status``."""
    status = _setting(get_bucket(ctx, params), "Accelerate")
    return {"Status": status} if status is not None else {}


# ----------------------------------------------------------------------------- replication
@_op("PutBucketReplication", "s3:PutReplicationConfiguration", writes=True)
def put_bucket_replication(ctx: OperationContext, params: Params) -> Result:
    """``API_PutBucketReplication``: the source bucket must have versioning enabled; S3 also
    checks that the caller may pass the replication role (``iam:PassRole``,
    ``setting-repl-config-perm-overview``)."""
    bucket = get_bucket(ctx, params)
    config = dict(_required(params, "ReplicationConfiguration"))
    if bucket.versioning != versions.ENABLED:
        raise error("InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")
    if not config.get("Rules"):
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    role = str(config.get("Role") or "")
    if role:
        ctx.authorize("iam:PassRole", role, context={"iam:PassedToService": "s3.amazonaws.com"})
    return _set(ctx, bucket, "Replication", config)


@_op("GetBucketReplication", "s3:GetReplicationConfiguration")
def get_bucket_replication(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    config = _setting(bucket, "Replication")
    if config is None:
        raise error(
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
            404,
            BucketName=bucket.name,
        )
    return {"ReplicationConfiguration": config}


@_op("DeleteBucketReplication", "s3:PutReplicationConfiguration", writes=True)
def delete_bucket_replication(ctx: OperationContext, params: Params) -> Result:
    return _set(ctx, get_bucket(ctx, params), "Replication", None)


# ----------------------------------------------------------------------------- notifications
@_op("PutBucketNotificationConfiguration", "s3:PutBucketNotification", writes=True)
def put_bucket_notification(ctx: OperationContext, params: Params) -> Result:
    """Replaces the configuration; an empty one turns notifications off. Stored only: no
    event is delivered."""
    config = {k: v for k, v in dict(_required(params, "NotificationConfiguration")).items() if v}
    return _set(ctx, get_bucket(ctx, params), "Notification", config or None)


@_op("GetBucketNotificationConfiguration", "s3:GetBucketNotification")
def get_bucket_notification(ctx: OperationContext, params: Params) -> Result:
    return dict(_setting(get_bucket(ctx, params), "Notification") or {})


# ----------------------------------------------------------------------------- Object Lock
@_op("GetObjectLockConfiguration", "s3:GetBucketObjectLockConfiguration")
def get_object_lock_configuration(ctx: OperationContext, params: Params) -> Result:
    """Object Lock is not served: no bucket has it (``API_GetObjectLockConfiguration``)."""
    bucket = get_bucket(ctx, params)
    raise error(
        "ObjectLockConfigurationNotFoundError",
        "Object Lock configuration does not exist for this bucket",
        404,
        BucketName=bucket.name,
    )
