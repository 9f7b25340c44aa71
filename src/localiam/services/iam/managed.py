"""Managed policies as the IAM operations see them: customer managed policies from the store
and the bundled AWS managed policies (:mod:`localiam.state.aws_managed`), found by ARN and
shaped as ``API_Policy`` / ``API_PolicyVersion``.

Wording (observed from AWS): ``GetPolicy`` on an unknown ARN answers ``Policy ARN was not
found.``; attaching one, ``Policy ARN does not exist or is not attachable.``; using one as a
permissions boundary, ``Scope ARN: ARN does not exist or is not attachable.``
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from localiam.services.base import OperationContext, Result
from localiam.services.iam.common import encode_document, no_such_entity, timestamp
from localiam.services.iam.entities import tag_list
from localiam.state import iam_store, schema
from localiam.state.aws_managed import AWS_MANAGED, AWS_MANAGED_PREFIX
from localiam.state.iam_store import Row

# AWS managed policies report the date AWS published them; the bundled ones share one.
AWS_MANAGED_CREATED = 1423248000.0  # 2015-02-06T18:40:00Z (rounded)
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def is_aws_managed(arn: str) -> bool:
    return arn.startswith(AWS_MANAGED_PREFIX)


def _aws_row(arn: str) -> Row:
    rest = arn[len(AWS_MANAGED_PREFIX) :]
    path, _, name = rest.rpartition("/")
    digest = hashlib.sha256(arn.encode()).digest()
    return {
        "arn": arn,
        "account_id": "aws",
        "name": name,
        "policy_id": "ANPA" + "".join(_ID_ALPHABET[b % 32] for b in digest[:17]),
        "path": f"/{path}/" if path else "/",
        "description": None,
        "default_version": "v1",
        "next_version": 2,
        "created_at": AWS_MANAGED_CREATED,
        "updated_at": AWS_MANAGED_CREATED,
        "aws_managed": True,
    }


def find_policy(ctx: OperationContext, arn: str) -> Row | None:
    """A customer managed policy of the caller's account, or a bundled AWS managed policy."""
    if arn in AWS_MANAGED:
        return _aws_row(arn)
    row = iam_store.one(ctx.tx, schema.managed_policies, arn=arn, account_id=ctx.account_id)
    if row is not None:
        row["aws_managed"] = False
    return row


def get_policy(ctx: OperationContext, arn: str) -> Row:
    row = find_policy(ctx, arn)
    if row is None:
        raise no_such_entity(f"Policy {arn} was not found.")
    return row


def attachable(ctx: OperationContext, arn: str) -> Row:
    row = find_policy(ctx, arn)
    if row is None:
        raise no_such_entity(f"Policy {arn} does not exist or is not attachable.")
    return row


def boundary_policy(ctx: OperationContext, arn: str) -> Row:
    row = find_policy(ctx, arn)
    if row is None:
        raise no_such_entity(f"Scope ARN: {arn} does not exist or is not attachable.")
    return row


def customer_policy(ctx: OperationContext, arn: str) -> Row:
    """A customer managed policy the request may change (AWS managed ones are read-only)."""
    row = get_policy(ctx, arn)
    if row["aws_managed"]:
        raise no_such_entity(f"Policy {arn} was not found.")
    return row


def versions(ctx: OperationContext, row: Row) -> list[Row]:
    """The policy's versions, newest first (as ``ListPolicyVersions`` lists them)."""
    if row["aws_managed"]:
        document = json.dumps(AWS_MANAGED[row["arn"]], indent=4)
        return [{"policy_arn": row["arn"], "version_id": "v1", "document": document, "created_at": row["created_at"]}]
    found = iam_store.rows(ctx.tx, schema.policy_versions, policy_arn=row["arn"])
    return sorted(found, key=lambda v: _version_number(v["version_id"]), reverse=True)


def _version_number(version_id: str) -> int:
    digits = version_id[1:].split(".", 1)[0]
    return int(digits) if digits.isdigit() else 0


def default_document(ctx: OperationContext, row: Row) -> str:
    for version in versions(ctx, row):
        if version["version_id"] == row["default_version"]:
            return str(version["document"])
    return "{}"


def version_shape(row: Row, version: Row, *, document: bool = True) -> Result:
    out: Result = {}
    if document:
        out["Document"] = encode_document(version["document"])
    out["VersionId"] = version["version_id"]
    out["IsDefaultVersion"] = version["version_id"] == row["default_version"]
    out["CreateDate"] = timestamp(version["created_at"])
    return out


def policy_shape(
    ctx: OperationContext,
    row: Row,
    counts: tuple[dict[str, int], dict[str, int]] | None = None,
    *,
    details: bool = False,
) -> Result:
    """``API_Policy``. ``counts`` are the account's attachment and boundary-usage counts
    (computed once per listing); ``details`` adds Description and Tags as ``GetPolicy`` does."""
    attached, boundaries = counts if counts is not None else usage_counts(ctx)
    out: dict[str, Any] = {
        "PolicyName": row["name"],
        "PolicyId": row["policy_id"],
        "Arn": row["arn"],
        "Path": row["path"],
        "DefaultVersionId": row["default_version"],
        "AttachmentCount": attached.get(row["arn"], 0),
        "PermissionsBoundaryUsageCount": boundaries.get(row["arn"], 0),
        "IsAttachable": True,
    }
    if details and row["description"]:
        out["Description"] = row["description"]
    out["CreateDate"] = timestamp(row["created_at"])
    out["UpdateDate"] = timestamp(row["updated_at"])
    if details and not row["aws_managed"]:
        # GetPolicy answers an empty ``Tags`` list for a customer managed policy without tags
        # (measured against AWS's answers: issue 20), where GetRole and GetUser leave it out.
        out["Tags"] = tag_list(iam_store.tags_of(ctx.tx, ctx.account_id, "policy", row["name"].lower()))
    return out


def usage_counts(ctx: OperationContext) -> tuple[dict[str, int], dict[str, int]]:
    return iam_store.attachment_counts(ctx.tx, ctx.account_id), iam_store.boundary_counts(ctx.tx, ctx.account_id)


def all_policies(ctx: OperationContext) -> list[Row]:
    """Customer managed policies of the account and the bundled AWS managed ones."""
    out = [_aws_row(arn) for arn in AWS_MANAGED]
    for row in iam_store.rows(ctx.tx, schema.managed_policies, account_id=ctx.account_id):
        row["aws_managed"] = False
        out.append(row)
    return out
