"""Service-specific credentials: ``CreateServiceSpecificCredential``,
``ListServiceSpecificCredentials``, ``ResetServiceSpecificCredential``,
``UpdateServiceSpecificCredential``, ``DeleteServiceSpecificCredential`` (IAM API Reference;
IAM User Guide ``id_credentials_ssh-keys`` / ``id_credentials_bedrock``).

CodeCommit's and Amazon Keyspaces' credentials are a user name ``USER-at-ACCOUNT`` and a
generated password; Amazon Bedrock's long-term API keys are an alias and a secret instead, and
may expire after ``CredentialAgeDays``. The password or secret is returned once, on create and
on reset, and kept only as a hash. Ids start with ``ACCA``; a user has at most two credentials
per service (``reference_iam-quotas``: "Cannot exceed quota for
ServiceSpecificCredentialsPerUserPerService: 2"). Other services answer
``NotSupportedService``.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    KEY_ID,
    Rule,
    bool_param,
    limit_exceeded,
    name_rule,
    new_id,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import caller_user_name, get, user_operation
from localiam.services.iam.keys import hash_password
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com")
BEDROCK = "bedrock.amazonaws.com"
QUOTA = 2
ID_RULE = Rule("ServiceSpecificCredentialId", True, KEY_ID, 20, 128)


def _secret(service: str, user: str, account: str) -> str:
    if service == BEDROCK:
        raw = f"BedrockAPIKey-{user}-at-{account}:{secrets.token_urlsafe(32)}"
        return "ABSK" + base64.b64encode(raw.encode()).decode()
    return base64.b64encode(secrets.token_bytes(33)).decode()


def _shape(user: Row, row: Row, secret: str | None = None) -> Result:
    out: Result = {"UserName": user["name"], "Status": row["status"]}
    bedrock = row["service_name"] == BEDROCK
    out["ServiceCredentialAlias" if bedrock else "ServiceUserName"] = row["service_user_name"]
    if secret is not None:
        out["ServiceCredentialSecret" if bedrock else "ServicePassword"] = secret
    out["CreateDate"] = timestamp(row["created_at"])
    if row["expires_at"] is not None:
        out["ExpirationDate"] = timestamp(row["expires_at"])
    out["ServiceSpecificCredentialId"] = row["credential_id"]
    out["ServiceName"] = row["service_name"]
    return out


def _credential(ctx: OperationContext, params: Params) -> tuple[Row, Row]:
    name = caller_user_name(ctx, params)
    user = get(ctx, "user", name or "")
    cred_id = str(params["ServiceSpecificCredentialId"])
    row = iam_store.one(
        ctx.tx, schema.service_credentials, credential_id=cred_id, account_id=ctx.account_id, user_key=user["name_key"]
    )
    if row is None:
        raise no_such_entity(f"No such credential {cred_id} exists")
    return user, row


@user_operation("CreateServiceSpecificCredential", writes=True)
def create_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        name_rule("UserName", 128),
        Rule("ServiceName", True),
        Rule("CredentialAgeDays", min_value=1, max_value=36600),
    )
    user = get(ctx, "user", str(params["UserName"]))
    service = str(params["ServiceName"])
    if service not in SERVICES:
        raise client_error("NotSupportedService", f"The specified service {service} is not supported.", 404)
    where = {"account_id": ctx.account_id, "user_key": user["name_key"], "service_name": service}
    if iam_store.count(ctx.tx, schema.service_credentials, **where) >= QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: {QUOTA}")
    secret = _secret(service, user["name"], ctx.account_id)
    days = params.get("CredentialAgeDays")
    row = {
        "credential_id": new_id("ACCA"),
        "service_user_name": f"{user['name']}-at-{ctx.account_id}",
        "password_hash": hash_password(secret),
        "status": "Active",
        "created_at": ctx.now,
        "expires_at": ctx.now + int(days) * 86400 if days else None,
        **where,
    }
    iam_store.add(ctx.tx, schema.service_credentials, **row)
    ctx.tx.touch(ctx.account_id)
    return {"ServiceSpecificCredential": _shape(user, row, secret)}


@user_operation("ListServiceSpecificCredentials")
def list_service_specific_credentials(ctx: OperationContext, params: Params) -> Result:
    """The user's credentials (the caller's without ``UserName``), or every user's with
    ``AllUsers``; ``ServiceName`` filters."""
    validate(params, name_rule("UserName", 128, required=False))
    where: dict[str, Any] = {"account_id": ctx.account_id}
    if not bool_param(params, "AllUsers"):
        name = caller_user_name(ctx, params)
        if name is None:
            return {"ServiceSpecificCredentials": [], "IsTruncated": False}
        where["user_key"] = get(ctx, "user", name)["name_key"]
    if params.get("ServiceName"):
        where["service_name"] = str(params["ServiceName"])
    rows = iam_store.rows(ctx.tx, schema.service_credentials, order_by=("created_at", "credential_id"), **where)
    users = {
        u["name_key"]: u
        for u in iam_store.rows(
            ctx.tx, schema.users, account_id=ctx.account_id, name_key=tuple({r["user_key"] for r in rows})
        )
    }
    page, more = paginate(rows, params)
    return {"ServiceSpecificCredentials": [_shape(users[r["user_key"]], r) for r in page], **more}


@user_operation("ResetServiceSpecificCredential", writes=True)
def reset_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), ID_RULE)
    user, row = _credential(ctx, params)
    secret = _secret(row["service_name"], user["name"], ctx.account_id)
    row["password_hash"] = hash_password(secret)
    iam_store.change(
        ctx.tx, schema.service_credentials, {"credential_id": row["credential_id"]}, password_hash=row["password_hash"]
    )
    ctx.tx.touch(ctx.account_id)
    return {"ServiceSpecificCredential": _shape(user, row, secret)}


@user_operation("UpdateServiceSpecificCredential", writes=True)
def update_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    validate(
        params, name_rule("UserName", 128, required=False), ID_RULE, Rule("Status", True, enum=("Active", "Inactive"))
    )
    _, row = _credential(ctx, params)
    iam_store.change(
        ctx.tx, schema.service_credentials, {"credential_id": row["credential_id"]}, status=str(params["Status"])
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@user_operation("DeleteServiceSpecificCredential", writes=True)
def delete_service_specific_credential(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), ID_RULE)
    _, row = _credential(ctx, params)
    iam_store.remove(ctx.tx, schema.service_credentials, credential_id=row["credential_id"])
    ctx.tx.touch(ctx.account_id)
    return {}
