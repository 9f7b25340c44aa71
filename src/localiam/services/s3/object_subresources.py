"""An object's tags and ACL: Get/Put/DeleteObjectTagging and Get/PutObjectAcl
(``API_PutObjectTagging``, ``API_PutObjectAcl``)."""

from __future__ import annotations

from typing import Any

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import acl, versions
from localiam.services.s3._service import SERVICE
from localiam.services.s3.buckets import check_public_acl, new_acl
from localiam.services.s3.common import dumps, error, get_bucket, loads
from localiam.services.s3.objects import (
    authorize_read,
    check_object,
    check_tags,
    object_version,
    tag_keys,
    versioned_action,
)


def _version_id(params: Params) -> str | None:
    version_id = params.get("VersionId")
    return str(version_id) if version_id is not None else None


def _row(ctx: OperationContext, params: Params) -> dict[str, Any]:
    """The object, or the version the request names (authorized, so it exists)."""
    row = object_version(ctx, get_bucket(ctx, params), str(params["Key"]), _version_id(params))
    assert row is not None
    return row


def _answer(ctx: OperationContext, params: Params, row: dict[str, Any]) -> Result:
    """``VersionId`` in the answer of a request on a versioned bucket's object."""
    return {"VersionId": versions.version_of(row)} if get_bucket(ctx, params).versioning is not None else {}


def _update(ctx: OperationContext, params: Params, **values: Any) -> Result:
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    row = _row(ctx, params)
    versions.update(ctx, bucket, key, versions.version_of(row), **values)
    return _answer(ctx, params, row)


@SERVICE.operation("GetObjectTagging", action="s3:GetObjectTagging", authorizer=authorize_read, signed=False)
def get_object_tagging(ctx: OperationContext, params: Params) -> Result:
    row = _row(ctx, params)
    tag_set = [{"Key": k, "Value": v} for k, v in loads(row["tags"], {}).items()]
    return {"TagSet": tag_set, **_answer(ctx, params, row)}


def _tag_set(params: Params) -> list[tuple[str, str]]:
    tag_set = (params.get("Tagging") or {}).get("TagSet") or []
    return [(str(tag.get("Key", "")), str(tag.get("Value", ""))) for tag in tag_set]


def _authorize_tagging(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``s3:PutObjectTagging`` (``s3:PutObjectVersionTagging`` for a version) with the
    object's tags (``s3:ExistingObjectTag``) and the requested ones (``s3:RequestObjectTag``,
    ``tagging-and-policies``)."""
    bucket = get_bucket(ctx, params)
    keys = tag_keys("RequestObjectTag", dict(_tag_set(params)))
    action = versioned_action("s3:PutObjectTagging", params)
    check_object(ctx, action, bucket, str(params["Key"]), keys=keys, version_id=_version_id(params))


@SERVICE.operation(
    "PutObjectTagging", action="s3:PutObjectTagging", authorizer=_authorize_tagging, writes=True, signed=False
)
def put_object_tagging(ctx: OperationContext, params: Params) -> Result:
    tags: dict[str, str] = {}
    for name, value in _tag_set(params):
        if name in tags:
            raise error("InvalidTag", "Cannot provide multiple Tags with the same key")
        tags[name] = value
    check_tags(tags)
    return _update(ctx, params, tags=dumps(tags))


@SERVICE.operation(
    "DeleteObjectTagging", action="s3:DeleteObjectTagging", authorizer=authorize_read, writes=True, signed=False
)
def delete_object_tagging(ctx: OperationContext, params: Params) -> Result:
    return _update(ctx, params, tags=dumps({}))


# ----------------------------------------------------------------------------- object ACL
@SERVICE.operation("GetObjectAcl", action="s3:GetObjectAcl", authorizer=authorize_read, signed=False)
def get_object_acl(ctx: OperationContext, params: Params) -> Result:
    return acl.to_access_control_policy(acl.Acl.from_json(_row(ctx, params)["acl"]))


@SERVICE.operation("PutObjectAcl", action="s3:PutObjectAcl", authorizer=authorize_read, writes=True, signed=False)
def put_object_acl(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    row = _row(ctx, params)
    if not bucket.acls_enabled:
        raise acl.acls_not_supported()
    new = new_acl(ctx, params, row["owner_account"], bucket_owner=bucket.owner, level="object")
    check_public_acl(ctx, bucket, new)
    return _update(ctx, params, acl=new.to_json())
