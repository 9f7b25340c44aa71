"""A user's X.509 signing certificates: ``UploadSigningCertificate``,
``ListSigningCertificates``, ``UpdateSigningCertificate``, ``DeleteSigningCertificate`` (IAM
API Reference; IAM User Guide ``id_credentials_server-certs``'s sibling page on signing
certificates).

Without ``UserName`` the operation acts on the caller, the root user included
(``API_UploadSigningCertificate``: "If the UserName is not specified, the IAM user name is
determined implicitly based on the Amazon Web Services access key ID used to sign the
request ... this operation works for access keys under the Amazon Web Services account").
A user has at most two certificates (``reference_iam-quotas``); the same certificate twice
answers ``DuplicateCertificate``.
"""

from __future__ import annotations

import secrets
from typing import Any

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    KEY_ID,
    Rule,
    limit_exceeded,
    name_rule,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import caller_user_name, get, user_operation
from localiam.services.iam.server_certificates import parse_certificate
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

QUOTA = 2
STATUS_RULE = Rule("Status", True, enum=("Active", "Inactive", "Expired"))
ID_RULE = Rule("CertificateId", True, KEY_ID, 24, 128)
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def owner(ctx: OperationContext, params: Params) -> tuple[str, str | None]:
    """(user name, user key) of the credential's owner; the account id and ``None`` for the
    root user."""
    name = caller_user_name(ctx, params)
    if name is None:
        return ctx.account_id, None
    row = get(ctx, "user", name)
    return row["name"], row["name_key"]


def _shape(name: str, row: Row) -> Result:
    return {
        "UserName": name,
        "CertificateId": row["certificate_id"],
        "CertificateBody": row["body"],
        "Status": row["status"],
        "UploadDate": timestamp(row["uploaded_at"]),
    }


def _certificate(ctx: OperationContext, params: Params) -> tuple[str, Row]:
    name, key = owner(ctx, params)
    cert_id = str(params["CertificateId"])
    row = iam_store.one(
        ctx.tx, schema.signing_certificates, certificate_id=cert_id, account_id=ctx.account_id, user_key=key
    )
    if row is None:
        raise no_such_entity(f"The Certificate with id {cert_id} cannot be found.")
    return name, row


@user_operation("UploadSigningCertificate", writes=True)
def upload_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), Rule("CertificateBody", True, None, 1, 16384))
    name, key = owner(ctx, params)
    body = str(params["CertificateBody"]).strip()
    parse_certificate(body)
    where: dict[str, Any] = {"account_id": ctx.account_id, "user_key": key}
    if any(r["body"] == body for r in iam_store.rows(ctx.tx, schema.signing_certificates, **where)):
        raise client_error(
            "DuplicateCertificate",
            "The request was rejected because the same certificate is associated with an IAM user in the account.",
            409,
        )
    if iam_store.count(ctx.tx, schema.signing_certificates, **where) >= QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for CertificatesPerUser: {QUOTA}")
    row = {
        "certificate_id": "".join(secrets.choice(_ALPHABET) for _ in range(32)),
        "body": body,
        "status": "Active",
        "uploaded_at": ctx.now,
        **where,
    }
    iam_store.add(ctx.tx, schema.signing_certificates, **row)
    ctx.tx.touch(ctx.account_id)
    return {"Certificate": _shape(name, row)}


@user_operation("ListSigningCertificates")
def list_signing_certificates(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False))
    name, key = owner(ctx, params)
    rows = iam_store.rows(
        ctx.tx, schema.signing_certificates, order_by=("uploaded_at",), account_id=ctx.account_id, user_key=key
    )
    page, more = paginate(rows, params)
    return {"Certificates": [_shape(name, r) for r in page], **more}


@user_operation("UpdateSigningCertificate", writes=True)
def update_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), ID_RULE, STATUS_RULE)
    _, row = _certificate(ctx, params)
    where = {"certificate_id": row["certificate_id"]}
    iam_store.change(ctx.tx, schema.signing_certificates, where, status=str(params["Status"]))
    ctx.tx.touch(ctx.account_id)
    return {}


@user_operation("DeleteSigningCertificate", writes=True)
def delete_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128, required=False), ID_RULE)
    _, row = _certificate(ctx, params)
    iam_store.remove(ctx.tx, schema.signing_certificates, certificate_id=row["certificate_id"])
    ctx.tx.touch(ctx.account_id)
    return {}
