"""An object's tags and ACL: Get/Put/DeleteObjectTagging and Get/PutObjectAcl
(``API_PutObjectTagging``, ``API_PutObjectAcl``)."""

from __future__ import annotations

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import acl
from localiam.services.s3._service import SERVICE
from localiam.services.s3.buckets import check_public_acl, new_acl
from localiam.services.s3.common import dumps, error, get_bucket, loads
from localiam.services.s3.objects import authorize_read, check_object, check_tags, find_object, tag_keys
from localiam.state import s3_store


@SERVICE.operation("GetObjectTagging", action="s3:GetObjectTagging", authorizer=authorize_read, signed=False)
def get_object_tagging(ctx: OperationContext, params: Params) -> Result:
    row = find_object(ctx, get_bucket(ctx, params), str(params["Key"]))
    assert row is not None
    return {"TagSet": [{"Key": k, "Value": v} for k, v in loads(row["tags"], {}).items()]}


def _tag_set(params: Params) -> list[tuple[str, str]]:
    tag_set = (params.get("Tagging") or {}).get("TagSet") or []
    return [(str(tag.get("Key", "")), str(tag.get("Value", ""))) for tag in tag_set]


def _authorize_tagging(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``s3:PutObjectTagging`` with the object's tags (``s3:ExistingObjectTag``) and the
    requested ones (``s3:RequestObjectTag``, ``tagging-and-policies``)."""
    bucket = get_bucket(ctx, params)
    keys = tag_keys("RequestObjectTag", dict(_tag_set(params)))
    check_object(ctx, "s3:PutObjectTagging", bucket, str(params["Key"]), keys=keys)


@SERVICE.operation(
    "PutObjectTagging", action="s3:PutObjectTagging", authorizer=_authorize_tagging, writes=True, signed=False
)
def put_object_tagging(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    tags: dict[str, str] = {}
    for name, value in _tag_set(params):
        if name in tags:
            raise error("InvalidTag", "Cannot provide multiple Tags with the same key")
        tags[name] = value
    check_tags(tags)
    s3_store.update_object(ctx.tx, bucket.name, key, tags=dumps(tags))
    return {}


@SERVICE.operation(
    "DeleteObjectTagging", action="s3:DeleteObjectTagging", authorizer=authorize_read, writes=True, signed=False
)
def delete_object_tagging(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    s3_store.update_object(ctx.tx, bucket.name, str(params["Key"]), tags=dumps({}))
    return {}


# ----------------------------------------------------------------------------- object ACL
@SERVICE.operation("GetObjectAcl", action="s3:GetObjectAcl", authorizer=authorize_read, signed=False)
def get_object_acl(ctx: OperationContext, params: Params) -> Result:
    row = find_object(ctx, get_bucket(ctx, params), str(params["Key"]))
    assert row is not None
    return acl.to_access_control_policy(acl.Acl.from_json(row["acl"]))


@SERVICE.operation("PutObjectAcl", action="s3:PutObjectAcl", authorizer=authorize_read, writes=True, signed=False)
def put_object_acl(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    row = find_object(ctx, bucket, key)
    assert row is not None
    if not bucket.acls_enabled:
        raise acl.acls_not_supported()
    new = new_acl(ctx, params, row["owner_account"], bucket_owner=bucket.owner, level="object")
    check_public_acl(ctx, bucket, new)
    s3_store.update_object(ctx.tx, bucket.name, key, acl=new.to_json())
    return {}
