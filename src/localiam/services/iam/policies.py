"""Customer managed policies and their versions: ``CreatePolicy``, ``GetPolicy``,
``ListPolicies``, ``DeletePolicy``, ``CreatePolicyVersion``, ``SetDefaultPolicyVersion``,
``GetPolicyVersion``, ``ListPolicyVersions``, ``DeletePolicyVersion`` and the policy tags
(IAM API Reference; ``access_policies_managed-versioning``).

AWS's wording, as observed: "A policy called NAME already exists. Duplicate names are not
allowed."; "A managed policy can have up to 5 versions. Before you create a new version, you
must delete an existing version."; "Cannot delete the default version of a policy.";
"Cannot delete a policy attached to entities." (attachments and permissions-boundary use);
"This policy has more than one version. Before you delete a policy, you must delete the
policy's versions. The default version is deleted with the policy."
"""

from __future__ import annotations

from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.iam.common import (
    ARN_RULE,
    POLICY_PATH,
    SERVICE,
    VERSION_ID,
    Rule,
    already_exists,
    bool_param,
    checked_document,
    delete_conflict,
    document_rule,
    iam_arn,
    limit_exceeded,
    name_rule,
    new_id,
    no_such_entity,
    paginate,
    policy_listing_resource,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    check_tags,
    request_tag_keys,
    tag_list,
)
from localiam.services.iam.managed import (
    all_policies,
    customer_policy,
    get_policy,
    policy_shape,
    usage_counts,
    version_shape,
    versions,
)
from localiam.services.iam.tagging import register_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

MAX_VERSIONS = 5
VERSION_RULE = Rule("VersionId", True, VERSION_ID)


def policy_arn_param(_ctx: OperationContext, params: Params) -> str:
    validate(params, ARN_RULE)
    return str(params.get("PolicyArn") or "")


def policy_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    """``aws:ResourceTag/${TagKey}`` of a customer managed policy."""
    row = iam_store.one(
        ctx.tx, schema.managed_policies, arn=str(params.get("PolicyArn") or ""), account_id=ctx.account_id
    )
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, "policy", row["name"].lower())) if row else {}
    return ResourcePolicy(None, None, tags=tags)


def _new_policy_arn(ctx: OperationContext, params: Params) -> str:
    validate(params, name_rule("PolicyName", 128), Rule("Path", False, POLICY_PATH, 1, 512))
    return iam_arn(ctx.account_id, "policy", str(params.get("Path") or "/"), str(params.get("PolicyName") or ""))


@SERVICE.operation(
    "CreatePolicy", action="iam:CreatePolicy", resource=_new_policy_arn, condition_keys=request_tag_keys, writes=True
)
def create_policy(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        name_rule("PolicyName", 128),
        Rule("Path", False, POLICY_PATH, 1, 512),
        document_rule("PolicyDocument"),
        Rule("Description", max_len=1000),
    )
    tags = check_tags(params)
    name = str(params["PolicyName"])
    taken = {r["name"].lower() for r in iam_store.rows(ctx.tx, schema.managed_policies, account_id=ctx.account_id)}
    if name.lower() in taken:
        raise already_exists(f"A policy called {name} already exists. Duplicate names are not allowed.")
    document = checked_document(params, "PolicyDocument", PolicyType.IDENTITY)
    arn = _new_policy_arn(ctx, params)
    iam_store.add(
        ctx.tx,
        schema.managed_policies,
        arn=arn,
        account_id=ctx.account_id,
        name=name,
        policy_id=new_id("ANPA"),
        path=params.get("Path") or "/",
        description=params.get("Description"),
        default_version="v1",
        next_version=2,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    iam_store.add(
        ctx.tx, schema.policy_versions, policy_arn=arn, version_id="v1", document=document, created_at=ctx.now
    )
    if tags:
        add_tags(ctx, "policy", name.lower(), tags)
    ctx.tx.touch(ctx.account_id)
    shape = policy_shape(ctx, get_policy(ctx, arn))
    if tags:
        shape["Tags"] = tag_list(tags)
    return {"Policy": shape}


@SERVICE.operation("GetPolicy", action="iam:GetPolicy", resource=policy_arn_param, resource_policy=policy_tags)
def get_policy_op(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE)
    return {"Policy": policy_shape(ctx, get_policy(ctx, str(params["PolicyArn"])), details=True)}


@SERVICE.operation("ListPolicies", action="iam:ListPolicies", resource=policy_listing_resource)
def list_policies(ctx: OperationContext, params: Params) -> Result:
    """``Scope`` (All, AWS, Local), ``OnlyAttached``, ``PathPrefix`` and
    ``PolicyUsageFilter`` (``API_ListPolicies``)."""
    validate(
        params,
        Rule("Scope", enum=("All", "AWS", "Local")),
        Rule("PathPrefix", False, POLICY_PATH, 1, 512),
        Rule("PolicyUsageFilter", enum=("PermissionsPolicy", "PermissionsBoundary")),
    )
    scope = params.get("Scope") or "All"
    only_attached = bool_param(params, "OnlyAttached")
    usage = params.get("PolicyUsageFilter")
    prefix = params.get("PathPrefix") or "/"
    attached, boundaries = counts = usage_counts(ctx)

    def keep(row: Row) -> bool:
        if (scope == "AWS" and not row["aws_managed"]) or (scope == "Local" and row["aws_managed"]):
            return False
        if not str(row["path"]).startswith(prefix):
            return False
        used_as_policy, used_as_boundary = attached.get(row["arn"], 0) > 0, boundaries.get(row["arn"], 0) > 0
        if (usage == "PermissionsPolicy" and not used_as_policy) or (
            usage == "PermissionsBoundary" and not used_as_boundary
        ):
            return False
        return not only_attached or used_as_policy or used_as_boundary

    rows = sorted((r for r in all_policies(ctx) if keep(r)), key=lambda r: (r["name"].lower(), r["arn"]))
    page, more = paginate(rows, params, key=lambda r: f"{r['name'].lower()} {r['arn']}")
    return {"Policies": [policy_shape(ctx, r, counts) for r in page], **more}


@SERVICE.operation(
    "DeletePolicy", action="iam:DeletePolicy", resource=policy_arn_param, resource_policy=policy_tags, writes=True
)
def delete_policy(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE)
    row = customer_policy(ctx, str(params["PolicyArn"]))
    attached, boundaries = usage_counts(ctx)
    if attached.get(row["arn"]) or boundaries.get(row["arn"]):
        raise delete_conflict("Cannot delete a policy attached to entities.")
    if len(versions(ctx, row)) > 1:
        raise delete_conflict(
            "This policy has more than one version. Before you delete a policy, you must delete the policy's "
            "versions. The default version is deleted with the policy."
        )
    iam_store.remove(ctx.tx, schema.policy_versions, policy_arn=row["arn"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, "policy", row["name"].lower())
    iam_store.remove(ctx.tx, schema.managed_policies, arn=row["arn"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "CreatePolicyVersion",
    action="iam:CreatePolicyVersion",
    resource=policy_arn_param,
    resource_policy=policy_tags,
    writes=True,
)
def create_policy_version(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, document_rule("PolicyDocument"))
    row = customer_policy(ctx, str(params["PolicyArn"]))
    if len(versions(ctx, row)) >= MAX_VERSIONS:
        raise limit_exceeded(
            "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
            "existing version."
        )
    document = checked_document(params, "PolicyDocument", PolicyType.IDENTITY)
    version_id = f"v{row['next_version']}"
    iam_store.add(
        ctx.tx,
        schema.policy_versions,
        policy_arn=row["arn"],
        version_id=version_id,
        document=document,
        created_at=ctx.now,
    )
    changes: dict[str, object] = {"next_version": row["next_version"] + 1}
    if bool_param(params, "SetAsDefault"):
        changes.update(default_version=version_id, updated_at=ctx.now)
        row["default_version"] = version_id
    iam_store.change(ctx.tx, schema.managed_policies, {"arn": row["arn"]}, **changes)
    ctx.tx.touch(ctx.account_id)
    version = {"version_id": version_id, "document": document, "created_at": ctx.now}
    return {"PolicyVersion": version_shape(row, version, document=False)}


def _version(ctx: OperationContext, row: Row, version_id: str) -> Row:
    for version in versions(ctx, row):
        if version["version_id"] == version_id:
            return version
    raise no_such_entity(f"Policy {row['arn']} version {version_id} does not exist or is not attachable.")


@SERVICE.operation(
    "SetDefaultPolicyVersion",
    action="iam:SetDefaultPolicyVersion",
    resource=policy_arn_param,
    resource_policy=policy_tags,
    writes=True,
)
def set_default_policy_version(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, VERSION_RULE)
    row = customer_policy(ctx, str(params["PolicyArn"]))
    version = _version(ctx, row, str(params["VersionId"]))
    iam_store.change(
        ctx.tx, schema.managed_policies, {"arn": row["arn"]}, default_version=version["version_id"], updated_at=ctx.now
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "GetPolicyVersion", action="iam:GetPolicyVersion", resource=policy_arn_param, resource_policy=policy_tags
)
def get_policy_version(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, VERSION_RULE)
    row = get_policy(ctx, str(params["PolicyArn"]))
    return {"PolicyVersion": version_shape(row, _version(ctx, row, str(params["VersionId"])))}


@SERVICE.operation(
    "ListPolicyVersions", action="iam:ListPolicyVersions", resource=policy_arn_param, resource_policy=policy_tags
)
def list_policy_versions(ctx: OperationContext, params: Params) -> Result:
    """Newest first; documents are not included (``API_ListPolicyVersions``)."""
    validate(params, ARN_RULE)
    row = get_policy(ctx, str(params["PolicyArn"]))
    page, more = paginate(versions(ctx, row), params)
    return {"Versions": [version_shape(row, v, document=False) for v in page], **more}


@SERVICE.operation(
    "DeletePolicyVersion",
    action="iam:DeletePolicyVersion",
    resource=policy_arn_param,
    resource_policy=policy_tags,
    writes=True,
)
def delete_policy_version(ctx: OperationContext, params: Params) -> Result:
    validate(params, ARN_RULE, VERSION_RULE)
    row = customer_policy(ctx, str(params["PolicyArn"]))
    version = _version(ctx, row, str(params["VersionId"]))
    if version["version_id"] == row["default_version"]:
        raise delete_conflict("Cannot delete the default version of a policy.")
    iam_store.remove(ctx.tx, schema.policy_versions, policy_arn=row["arn"], version_id=version["version_id"])
    ctx.tx.touch(ctx.account_id)
    return {}


register_tag_operations(
    "Policy",
    tagged="policy",
    param="PolicyArn",
    rule=ARN_RULE,
    find_key=lambda ctx, arn: str(customer_policy(ctx, arn)["name"]).lower(),
    resource=policy_arn_param,
    resource_policy=policy_tags,
)
