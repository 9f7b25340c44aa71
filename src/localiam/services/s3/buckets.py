"""Bucket operations: create, delete, head, list, location, bucket policy, ACL, Object
Ownership and Block Public Access (bucket level). Actions are the Service Authorization
Reference's (``list_amazons3``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from localiam.engine.principal import PrincipalKind
from localiam.errors import AccessDenied, AwsError
from localiam.policy.model import PolicyType
from localiam.policy.validate import validate_policy
from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import access, acl, listing
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import (
    BUCKET_OWNER_ENFORCED,
    OWNERSHIPS,
    Bucket,
    canonical_id,
    check_bucket_name,
    effective_block,
    error,
    get_bucket,
    grantee_lookups,
    owner_element,
)
from localiam.services.s3.public import ALL_ON, PublicAccessBlock, policy_is_public
from localiam.state import s3_store

MAX_POLICY_BYTES = 20 * 1024  # "Bucket policies are limited to 20 KB in size" (bucket-policies)
_ACL_PARAMS = {
    "ACL": "x-amz-acl",
    "GrantFullControl": "x-amz-grant-full-control",
    "GrantRead": "x-amz-grant-read",
    "GrantReadACP": "x-amz-grant-read-acp",
    "GrantWrite": "x-amz-grant-write",
    "GrantWriteACP": "x-amz-grant-write-acp",
}


def acl_headers(params: Params) -> dict[str, str]:
    """The request's ACL headers, by their wire names, from the parsed params."""
    return {header: str(params[name]) for name, header in _ACL_PARAMS.items() if params.get(name) is not None}


def requested_acl(
    ctx: OperationContext, params: Params, owner_account: str, *, bucket_owner: str | None, level: str
) -> acl.Acl | None:
    """The ACL a request's canned-ACL or grant headers set, or ``None``."""
    bucket_canonical = canonical_id(ctx, bucket_owner) if bucket_owner is not None else None
    return acl.from_headers(
        acl_headers(params),
        canonical_id(ctx, owner_account),
        bucket_owner=bucket_canonical,
        level=level,
        **grantee_lookups(ctx),
    )


def check_public_acl(ctx: OperationContext, bucket: Bucket, new: acl.Acl | None) -> None:
    """``BlockPublicAcls``: "PUT Bucket acl and PUT Object acl calls fail if the specified
    access control list (ACL) is public", and so do PUT Object calls carrying one."""
    if new is not None and new.is_public() and effective_block(ctx, bucket).block_public_acls:
        raise AccessDenied("Access Denied")


def _authorize_bucket(ctx: OperationContext, op: Operation, params: Params) -> None:
    assert op.action is not None
    access.check_bucket(ctx, op.action, get_bucket(ctx, params))


def _authorize_policy(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``using-iam-policies``: "the root principal of the bucket owner's account can perform
    the GetBucketPolicy, PutBucketPolicy, and DeleteBucketPolicy API actions, even if the
    bucket policy explicitly denies" them."""
    bucket = get_bucket(ctx, params)
    principal = access.principal_of(ctx)
    if principal.kind is PrincipalKind.ROOT and principal.account == bucket.owner:
        return
    assert op.action is not None
    access.check_bucket(ctx, op.action, bucket)


def _authorize_create(ctx: OperationContext, op: Operation, params: Params) -> None:
    name = str(params.get("Bucket") or "")
    check_bucket_name(name)
    if ctx.caller is None:
        raise AccessDenied("Access Denied")
    ctx.authorize("s3:CreateBucket", f"arn:aws:s3:::{name}", context={"s3:ResourceAccount": ctx.account_id})
    if params.get("ObjectOwnership") is not None:
        ctx.authorize("s3:PutBucketOwnershipControls", f"arn:aws:s3:::{name}")
    if acl_headers(params):
        ctx.authorize("s3:PutBucketAcl", f"arn:aws:s3:::{name}")


# ----------------------------------------------------------------------------- lifecycle
@SERVICE.operation("CreateBucket", action="s3:CreateBucket", authorizer=_authorize_create, writes=True, signed=False)
def create_bucket(ctx: OperationContext, params: Params) -> Result:
    """New buckets since April 2023: Object Ownership ``BucketOwnerEnforced`` and all four
    Block Public Access settings on, unless the request says otherwise
    (``create-bucket-overview``)."""
    name = str(params["Bucket"])
    account = ctx.account_id
    config = params.get("CreateBucketConfiguration") or {}
    constraint = config.get("LocationConstraint")
    if constraint == "us-east-1":
        raise error(
            "InvalidLocationConstraint", "The specified location-constraint is not valid", LocationConstraint=constraint
        )
    if constraint is None and ctx.region != "us-east-1":
        raise error(
            "IllegalLocationConstraintException",
            "The unspecified location constraint is incompatible for the region specific endpoint this request "
            "was sent to.",
        )
    if constraint is not None and constraint != ctx.region:
        raise error(
            "IllegalLocationConstraintException",
            f"The {constraint} location constraint is incompatible for the region specific endpoint this request "
            "was sent to.",
        )
    region = constraint or "us-east-1"
    ownership = params.get("ObjectOwnership") or BUCKET_OWNER_ENFORCED
    if ownership not in OWNERSHIPS:
        raise error("InvalidArgument", "Invalid x-amz-object-ownership header", ArgumentName="x-amz-object-ownership")
    existing = s3_store.bucket(ctx.tx, name)
    if existing is not None:
        if existing["account_id"] != account:
            raise error(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of the "
                "system. Please select a different name and try again.",
                409,
                BucketName=name,
            )
        if region != "us-east-1" or existing["region"] != "us-east-1":
            raise error(
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                409,
                BucketName=name,
            )
        # us-east-1 answers 200 and resets the bucket's ACL (API_CreateBucket).
    owner = canonical_id(ctx, account)
    new_acl = requested_acl(ctx, params, account, bucket_owner=None, level="bucket")
    if (
        ownership == BUCKET_OWNER_ENFORCED
        and new_acl is not None
        and not acl.acl_allowed_when_enforced(params.get("ACL"), new_acl, bucket_owner=owner)
    ):
        raise error(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        )
    stored_acl = (new_acl or acl.owner_full_control(owner)).to_json()
    if existing is not None:
        s3_store.update_bucket(ctx.tx, name, acl=stored_acl)
    else:
        try:
            s3_store.create_bucket(
                ctx.tx,
                name=name,
                account_id=account,
                region=region,
                object_ownership=ownership,
                acl=stored_acl,
                policy=None,
                public_access_block=ALL_ON.to_json(),
                created_at=ctx.now,
            )
        except s3_store.AlreadyExists:
            raise error(
                "OperationAborted",
                "A conflicting conditional operation is currently in progress against this resource. Please try again.",
                409,
            ) from None
    location = f"/{name}" if region == "us-east-1" else f"http://{name}.s3.amazonaws.com/"
    return {"Location": location, "BucketArn": f"arn:aws:s3:::{name}"}


@SERVICE.operation("DeleteBucket", action="s3:DeleteBucket", authorizer=_authorize_bucket, writes=True, signed=False)
def delete_bucket(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    if s3_store.has_objects(ctx.tx, bucket.name):
        raise error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, BucketName=bucket.name)
    for upload in s3_store.uploads_of(ctx.tx, bucket.name):
        s3_store.delete_upload(ctx.tx, upload["upload_id"])
    s3_store.delete_bucket(ctx.tx, bucket.name)
    return {}


@SERVICE.operation("HeadBucket", action="s3:ListBucket", authorizer=_authorize_bucket, signed=False)
def head_bucket(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    return {"BucketRegion": bucket.region, "BucketArn": bucket.arn}


def _authorize_list(ctx: OperationContext, op: Operation, params: Params) -> None:
    if ctx.caller is None:
        raise AccessDenied("Access Denied")
    # The resource S3 checks is every bucket: the classic ``"Resource": "arn:aws:s3:::*"``
    # (``example-policies-s3``) allows it, as ``*`` does.
    ctx.authorize("s3:ListAllMyBuckets", "arn:aws:s3:::*")


@SERVICE.operation("ListBuckets", action="s3:ListAllMyBuckets", authorizer=_authorize_list, signed=False)
def list_buckets(ctx: OperationContext, params: Params) -> Result:
    """Only the caller's own account's buckets (``API_ListBuckets``: "Returns a list of all
    buckets owned by the authenticated sender of the request")."""
    account = ctx.account_id
    rows = s3_store.buckets_of(ctx.tx, account)
    prefix = params.get("Prefix")
    region = params.get("BucketRegion")
    rows = [
        r
        for r in rows
        if (prefix is None or r["name"].startswith(prefix)) and (region is None or r["region"] == region)
    ]
    limit = params.get("MaxBuckets")
    token = params.get("ContinuationToken")
    if token is not None:
        after = listing.decode_token(str(token))
        rows = [r for r in rows if r["name"] > after]
    out: dict[str, Any] = {"Owner": owner_element(ctx, account)}
    if limit is not None:
        if not 1 <= int(limit) <= 10000:
            raise error("InvalidArgument", "Invalid max-buckets", ArgumentName="max-buckets", ArgumentValue=str(limit))
        if len(rows) > int(limit):
            rows = rows[: int(limit)]
            out["ContinuationToken"] = listing.encode_token(rows[-1]["name"])
    out["Buckets"] = [
        {
            "Name": r["name"],
            "CreationDate": datetime.fromtimestamp(r["created_at"], UTC),
            "BucketRegion": r["region"],
            "BucketArn": f"arn:aws:s3:::{r['name']}",
        }
        for r in rows
    ]
    if prefix is not None:
        out["Prefix"] = prefix
    return out


@SERVICE.operation("GetBucketLocation", action="s3:GetBucketLocation", authorizer=_authorize_bucket, signed=False)
def get_bucket_location(ctx: OperationContext, params: Params) -> Result:
    """us-east-1 is an empty ``LocationConstraint`` (``API_GetBucketLocation``)."""
    bucket = get_bucket(ctx, params)
    return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}


# ----------------------------------------------------------------------------- bucket policy
def _malformed_policy(message: str) -> AwsError:
    return error("MalformedPolicy", message)


def _parse_bucket_policy(bucket: Bucket, text: str) -> Any:
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise _malformed_policy("Policy exceeds the maximum allowed document size.")
    if not text.lstrip().startswith("{"):
        raise _malformed_policy("Policies must be valid JSON and the first byte must be '{'")
    result = validate_policy(text, PolicyType.RESOURCE, with_lint=False)
    if result.value is None:
        first = result.errors[0]
        raise _malformed_policy(first.message)
    for statement in result.value.statements:
        for resource in statement.resources.patterns if statement.resources is not None else ():
            if not (
                resource == "*"
                or resource == bucket.arn
                or resource.startswith(bucket.arn + "/")
                or resource.startswith(bucket.arn + "*")
            ):
                raise _malformed_policy("Policy has invalid resource")
    return result.value


@SERVICE.operation(
    "PutBucketPolicy", action="s3:PutBucketPolicy", authorizer=_authorize_policy, writes=True, signed=False
)
def put_bucket_policy(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    text = str(params.get("Policy") or "")
    policy = _parse_bucket_policy(bucket, text)
    if effective_block(ctx, bucket).block_public_policy and policy_is_public(policy):
        principal = access.principal_of(ctx)
        raise AccessDenied(
            f"User: {principal.arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
            f'"{bucket.arn}" because public policies are blocked by the BlockPublicPolicy block public access setting.'
        )
    s3_store.update_bucket(ctx.tx, bucket.name, policy=text)
    return {}


@SERVICE.operation("GetBucketPolicy", action="s3:GetBucketPolicy", authorizer=_authorize_policy, signed=False)
def get_bucket_policy(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    if bucket.policy_text is None:
        raise error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, BucketName=bucket.name)
    return {"Policy": bucket.policy_text}


@SERVICE.operation(
    "DeleteBucketPolicy", action="s3:DeleteBucketPolicy", authorizer=_authorize_policy, writes=True, signed=False
)
def delete_bucket_policy(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    s3_store.update_bucket(ctx.tx, bucket.name, policy=None)
    return {}


@SERVICE.operation(
    "GetBucketPolicyStatus", action="s3:GetBucketPolicyStatus", authorizer=_authorize_bucket, signed=False
)
def get_bucket_policy_status(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    compiled = bucket.policy(ctx)
    if compiled is None:
        raise error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, BucketName=bucket.name)
    return {"PolicyStatus": {"IsPublic": policy_is_public(compiled.policy)}}


# ----------------------------------------------------------------------------- ACL
@SERVICE.operation("GetBucketAcl", action="s3:GetBucketAcl", authorizer=_authorize_bucket, signed=False)
def get_bucket_acl(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    return acl.to_access_control_policy(bucket.acl)


@SERVICE.operation("PutBucketAcl", action="s3:PutBucketAcl", authorizer=_authorize_bucket, writes=True, signed=False)
def put_bucket_acl(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    new = new_acl(ctx, params, bucket.owner, bucket_owner=None, level="bucket")
    if not bucket.acls_enabled and not acl.acl_allowed_when_enforced(
        params.get("ACL"), new, bucket_owner=canonical_id(ctx, bucket.owner)
    ):
        raise acl.acls_not_supported()
    check_public_acl(ctx, bucket, new)
    s3_store.update_bucket(ctx.tx, bucket.name, acl=new.to_json())
    return {}


def new_acl(
    ctx: OperationContext, params: Params, owner_account: str, *, bucket_owner: str | None, level: str
) -> acl.Acl:
    """The ACL of a PutBucketAcl/PutObjectAcl request: its headers or its document; neither is
    ``MissingSecurityHeader`` as S3 answers."""
    document = params.get("AccessControlPolicy")
    from_headers = requested_acl(ctx, params, owner_account, bucket_owner=bucket_owner, level=level)
    if document is not None and from_headers is not None:
        raise error("UnexpectedContent", "This request does not support content")
    if from_headers is not None:
        return from_headers
    if document is None:
        raise error(
            "MissingSecurityHeader", "Your request was missing a required header", MissingHeaderName="x-amz-acl"
        )
    return acl.from_access_control_policy(document, canonical_id(ctx, owner_account), **grantee_lookups(ctx))


# ----------------------------------------------------------------------------- Object Ownership
@SERVICE.operation(
    "GetBucketOwnershipControls", action="s3:GetBucketOwnershipControls", authorizer=_authorize_bucket, signed=False
)
def get_ownership(ctx: OperationContext, params: Params) -> Result:
    """``API_GetBucketOwnershipControls``; a bucket whose controls were deleted answers 404
    ``OwnershipControlsNotFoundError`` (``ErrorResponses``)."""
    bucket = get_bucket(ctx, params)
    if not bucket.ownership_controls:
        raise error(
            "OwnershipControlsNotFoundError",
            "The bucket ownership controls were not found",
            404,
            BucketName=bucket.name,
        )
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.ownership}]}}


@SERVICE.operation(
    "PutBucketOwnershipControls",
    action="s3:PutBucketOwnershipControls",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def put_ownership(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    rules = ((params.get("OwnershipControls") or {}).get("Rules")) or []
    if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OWNERSHIPS:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    ownership = rules[0]["ObjectOwnership"]
    if ownership == BUCKET_OWNER_ENFORCED:
        owner = canonical_id(ctx, bucket.owner)
        if any(g.canonical_id != owner or g.permission != "FULL_CONTROL" for g in bucket.acl.grants):
            raise error(
                "InvalidBucketAclWithObjectOwnership",
                "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
            )
    s3_store.update_bucket(ctx.tx, bucket.name, object_ownership=ownership)
    return {}


@SERVICE.operation(
    "DeleteBucketOwnershipControls",
    action="s3:PutBucketOwnershipControls",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def delete_ownership(ctx: OperationContext, params: Params) -> Result:
    """Removes the controls: GetBucketOwnershipControls then answers 404; without them a
    bucket behaves as ``ObjectWriter`` (``about-object-ownership``)."""
    bucket = get_bucket(ctx, params)
    s3_store.update_bucket(ctx.tx, bucket.name, object_ownership=None)
    return {}


# ----------------------------------------------------------------------------- Block Public Access
@SERVICE.operation(
    "GetPublicAccessBlock", action="s3:GetBucketPublicAccessBlock", authorizer=_authorize_bucket, signed=False
)
def get_public_access_block(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    if bucket.block is None:
        raise error(
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
            404,
            BucketName=bucket.name,
        )
    return {"PublicAccessBlockConfiguration": bucket.block.to_params()}


@SERVICE.operation(
    "PutPublicAccessBlock",
    action="s3:PutBucketPublicAccessBlock",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def put_public_access_block(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    config = params.get("PublicAccessBlockConfiguration")
    if config is None:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    block = PublicAccessBlock.from_params(config)
    s3_store.update_bucket(ctx.tx, bucket.name, public_access_block=block.to_json())
    return {}


@SERVICE.operation(
    "DeletePublicAccessBlock",
    action="s3:PutBucketPublicAccessBlock",
    authorizer=_authorize_bucket,
    writes=True,
    signed=False,
)
def delete_public_access_block(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    s3_store.update_bucket(ctx.tx, bucket.name, public_access_block=None)
    return {}


__all__ = ["acl_headers", "check_public_acl", "new_acl", "requested_acl"]
