"""S3's authorization workflow, on top of the engine.

``access-control-auth-workflow-bucket-operation`` and ``...-object-operation`` (Amazon S3 User
Guide) evaluate three contexts:

- the *user context*: the caller's account must allow the request through its identity-based
  policies (and SCPs, boundaries, session policies) - unless the caller is that account's root;
- the *bucket context*: the bucket owner's bucket policy and bucket ACL, RCPs of the bucket
  owner's account, and Block Public Access;
- the *object context* (object operations): the object owner must grant access. "If the bucket
  owner and object owner are the same, access to the object can be granted in the bucket policy
  [...]. If the owners are different, the object owners must use an object ACL to grant
  permissions." The bucket owner can still deny through its bucket policy.

The engine decides all three at once: the bucket policy is the resource-based policy (it only
denies when another account owns the object), the ACL grants that apply are its ``acl_grants``,
and the same-account rule is measured against the object owner's account. A same-account
request is allowed by either the identity side or the resource side; a request from another
account needs both.

Block Public Access (``access-control-block-public-access``): ``IgnorePublicAcls`` drops grants
to AllUsers and AuthenticatedUsers; ``RestrictPublicBuckets`` with a public bucket policy keeps
that policy's grants from everyone but AWS service principals and the bucket owner's account.
With ACLs disabled (``BucketOwnerEnforced``) ACLs grant nothing: "ACLs no longer affect
permissions".

Denials: S3's enhanced message for requests from the bucket owner's account or organization
(``troubleshoot-403-errors``: ``User: ARN is not authorized to perform: ACTION on resource:
"ARN" because ...``), a plain ``Access Denied`` otherwise, anonymous callers included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from localiam.engine import AclGrant, Decision, Request, ResourceFacts, authorize
from localiam.engine.principal import Principal, PrincipalKind
from localiam.errors import AccessDenied
from localiam.services.base import OperationContext
from localiam.services.s3.acl import Acl
from localiam.services.s3.common import Bucket, effective_block
from localiam.services.s3.public import policy_is_public

ANONYMOUS = Principal(PrincipalKind.ANONYMOUS, "anonymous")

# Actions a bucket ACL's WRITE grants on the bucket's objects (``acl-overview``).
_BUCKET_WRITE_ACTIONS = frozenset({"s3:putobject", "s3:deleteobject", "s3:deleteobjectversion"})


def principal_of(ctx: OperationContext) -> Principal:
    return ctx.caller.principal if ctx.caller is not None else ANONYMOUS


def s3_context(
    ctx: OperationContext, bucket: Bucket, extra: Mapping[str, str | list[str]] | None = None
) -> dict[str, str | list[str]]:
    """The S3 condition keys every request carries (Service Authorization Reference,
    ``list_amazons3``): ``s3:ResourceAccount``, ``s3:authType``, ``s3:signatureversion``,
    ``s3:x-amz-content-sha256``, ``s3:TlsVersion`` (TLS only)."""
    keys: dict[str, str | list[str]] = {"s3:ResourceAccount": bucket.owner}
    if ctx.auth_type is not None:
        keys["s3:authType"] = ctx.auth_type
    if ctx.signature_version is not None:
        keys["s3:signatureversion"] = ctx.signature_version
    if ctx.content_sha256:
        keys["s3:x-amz-content-sha256"] = ctx.content_sha256
    if ctx.secure_transport:
        keys["s3:TlsVersion"] = "1.2"
    if extra:
        keys.update(extra)
    return keys


def check(
    ctx: OperationContext,
    action: str,
    resource: str,
    bucket: Bucket,
    *,
    object_owner: str | None = None,
    object_acl: Acl | None = None,
    keys: Mapping[str, str | list[str]] | None = None,
) -> Decision:
    """Authorize ``action`` on ``resource`` (the bucket's or one object's ARN) as S3 does;
    raise ``AccessDenied`` on a deny. ``object_owner`` and ``object_acl`` describe an existing
    object (object operations); without them the bucket owner owns what the request touches."""
    principal = principal_of(ctx)
    block = effective_block(ctx, bucket)
    policy = bucket.policy(ctx)
    owner = object_owner or bucket.owner
    foreign_object = owner != bucket.owner
    resource_grants = not foreign_object
    if (
        policy is not None
        and block.restrict_public_buckets
        and principal.account != bucket.owner
        and principal.kind is not PrincipalKind.SERVICE
        and policy_is_public(policy.policy)
    ):
        resource_grants = False
    grants: tuple[AclGrant, ...] = ()
    if bucket.acls_enabled:
        # The object's ACL for an existing object; the bucket's otherwise, and always for the
        # writes a bucket's WRITE grant covers.
        acls: list[tuple[Acl, str]] = []
        if object_acl is not None:
            acls.append((object_acl, "object"))
        if object_acl is None or action.lower() in _BUCKET_WRITE_ACTIONS:
            acls.append((bucket.acl, "bucket"))
        for acl, level in acls:
            if block.ignore_public_acls:
                acl = acl.without_public()
            grants += acl.engine_grants(level)
    caller = ctx.caller
    tx = ctx.tx
    org_id, paths = ctx.authz.org_of(tx, bucket.owner)
    base = ctx.authz.inputs(tx, caller, resource_account=bucket.owner, resource_policy=policy, acl_grants=grants)
    inputs = replace(base, resource_grants=resource_grants, owner_account=owner)
    request = Request(
        principal=principal,
        action=action,
        resource=resource,
        resource_facts=ResourceFacts(bucket.owner, org_id, paths, {}),
        context=ctx.request_context(s3_context(ctx, bucket, keys)),
        region=bucket.region,
        secure_transport=ctx.secure_transport,
    )
    decision = authorize(inputs, request)
    ctx.decisions.append(decision)
    if not decision.allowed:
        raise denied(ctx, decision, principal, resource, bucket.owner, org_id)
    return decision


def denied(
    ctx: OperationContext, decision: Decision, principal: Principal, resource: str, owner: str, owner_org: str | None
) -> AccessDenied:
    """S3's AccessDenied: the enhanced message within the bucket owner's account or
    organization, ``Access Denied`` otherwise."""
    same_org = owner_org is not None and principal.organization_id == owner_org
    if (
        principal.kind is PrincipalKind.ANONYMOUS
        or not decision.message
        or not (principal.account == owner or same_org)
    ):
        return AccessDenied("Access Denied")
    plain = f"on resource: {resource} "
    message = decision.message.replace(plain, f'on resource: "{resource}" ', 1)
    return AccessDenied(message)


def check_bucket(
    ctx: OperationContext, action: str, bucket: Bucket, keys: Mapping[str, str | list[str]] | None = None
) -> Decision:
    return check(ctx, action, bucket.arn, bucket, keys=keys)
