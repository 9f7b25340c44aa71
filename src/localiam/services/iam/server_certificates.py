"""Server certificates: ``UploadServerCertificate``, ``GetServerCertificate``,
``ListServerCertificates``, ``UpdateServerCertificate``, ``DeleteServerCertificate`` and their
tags (IAM API Reference; IAM User Guide ``id_credentials_server-certs``).

The certificate must be PEM and its private key must match it (``MalformedCertificate``,
``KeyPairMismatch``); the key is checked and never stored (IAM never returns it). ARNs are
``arn:aws:iam::ACCOUNT:server-certificate/PATH/NAME`` and ids start with ``ASCA``
(``reference_identifiers``); an account holds 20 (``reference_iam-quotas``).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.iam.common import (
    NAME,
    PATH,
    SERVICE,
    Rule,
    already_exists,
    limit_exceeded,
    list_by_path,
    listing_resource,
    name_rule,
    new_id,
    no_such_entity,
    timestamp,
    validate,
)
from localiam.services.iam.entities import (
    add_tags,
    check_tags,
    request_tag_keys,
    tag_list,
)
from localiam.services.iam.tagging import register_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

KIND = "server-certificate"
QUOTA = 20
PATH_RULE = Rule("Path", False, PATH, 1, 512)
PEM_RULE_LIMITS = {"CertificateBody": 16384, "PrivateKey": 16384, "CertificateChain": 2097152}


def _find(ctx: OperationContext, name: str) -> Row | None:
    return iam_store.one(ctx.tx, schema.server_certificates, account_id=ctx.account_id, name_key=name.lower())


def _get(ctx: OperationContext, name: str) -> Row:
    row = _find(ctx, name)
    if row is None:
        raise no_such_entity(f"The Server Certificate with name {name} cannot be found.")
    return row


def _arn(ctx: OperationContext, path: str, name: str) -> str:
    return f"arn:aws:iam::{ctx.account_id}:{KIND}{path}{name}"


def _resource(ctx: OperationContext, params: Params) -> str:
    validate(params, Rule("ServerCertificateName", False, NAME, 1, 128), PATH_RULE)
    name = str(params.get("ServerCertificateName") or "")
    row = _find(ctx, name)
    return _arn(ctx, str(row["path"]) if row else str(params.get("Path") or "/"), name)


def _tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    row = _find(ctx, str(params.get("ServerCertificateName") or ""))
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])) if row else {}
    return ResourcePolicy(None, None, tags=tags)


def _resource_tag_keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    row = _find(ctx, str(params.get("ServerCertificateName") or ""))
    if row is None:
        return {}
    return {f"aws:ResourceTag/{k}": v for k, v in iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])}


def _metadata(ctx: OperationContext, row: Row) -> Result:
    return {
        "Path": row["path"],
        "ServerCertificateName": row["name"],
        "ServerCertificateId": row["certificate_id"],
        "Arn": _arn(ctx, row["path"], row["name"]),
        "UploadDate": timestamp(row["uploaded_at"]),
        "Expiration": timestamp(row["expires_at"]),
    }


def parse_certificate(body: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode())
    except ValueError as exc:
        raise client_error(
            "MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.", 400
        ) from exc


def _check_key(certificate: x509.Certificate, pem: str) -> None:
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise client_error(
            "MalformedCertificate", "Unable to parse private key. Please ensure the key is in PEM format.", 400
        ) from exc
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if key.public_key().public_bytes(der, public) != certificate.public_key().public_bytes(der, public):
        raise client_error("KeyPairMismatch", "The private key did not match the public key in the certificate.", 400)


@SERVICE.operation(
    "UploadServerCertificate",
    action="iam:UploadServerCertificate",
    resource=_resource,
    condition_keys=request_tag_keys,
    writes=True,
)
def upload_server_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(
        params,
        name_rule("ServerCertificateName", 128),
        PATH_RULE,
        *(Rule(p, p != "CertificateChain", None, 1, n) for p, n in PEM_RULE_LIMITS.items()),
    )
    tags = check_tags(params)
    name = str(params["ServerCertificateName"])
    if _find(ctx, name) is not None:
        raise already_exists(f"The Server Certificate with name {name} already exists.")
    if iam_store.count(ctx.tx, schema.server_certificates, account_id=ctx.account_id) >= QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for ServerCertificatesPerAccount: {QUOTA}")
    certificate = parse_certificate(str(params["CertificateBody"]))
    _check_key(certificate, str(params["PrivateKey"]))
    chain = params.get("CertificateChain")
    if chain:
        parse_certificate(str(chain))
    iam_store.add(
        ctx.tx,
        schema.server_certificates,
        account_id=ctx.account_id,
        name_key=name.lower(),
        name=name,
        certificate_id=new_id("ASCA"),
        path=params.get("Path") or "/",
        body=str(params["CertificateBody"]).strip(),
        chain=str(chain).strip() if chain else None,
        expires_at=certificate.not_valid_after_utc.timestamp(),
        uploaded_at=ctx.now,
    )
    if tags:
        add_tags(ctx, KIND, name.lower(), tags)
    ctx.tx.touch(ctx.account_id)
    out: Result = {"ServerCertificateMetadata": _metadata(ctx, _get(ctx, name))}
    if tags:
        out["Tags"] = tag_list(tags)
    return out


@SERVICE.operation(
    "GetServerCertificate",
    action="iam:GetServerCertificate",
    resource=_resource,
    condition_keys=_resource_tag_keys,
    resource_policy=_tags,
)
def get_server_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("ServerCertificateName", 128))
    row = _get(ctx, str(params["ServerCertificateName"]))
    out: Result = {"ServerCertificateMetadata": _metadata(ctx, row), "CertificateBody": row["body"]}
    if row["chain"]:
        out["CertificateChain"] = row["chain"]
    tags = iam_store.tags_of(ctx.tx, ctx.account_id, KIND, row["name_key"])
    if tags:
        out["Tags"] = tag_list(tags)
    return {"ServerCertificate": out}


@SERVICE.operation("ListServerCertificates", action="iam:ListServerCertificates", resource=listing_resource(KIND))
def list_server_certificates(ctx: OperationContext, params: Params) -> Result:
    page, more = list_by_path(ctx, params, schema.server_certificates)
    return {"ServerCertificateMetadataList": [_metadata(ctx, r) for r in page], **more}


@SERVICE.operation(
    "UpdateServerCertificate",
    action="iam:UpdateServerCertificate",
    resource=_resource,
    condition_keys=_resource_tag_keys,
    resource_policy=_tags,
    writes=True,
)
def update_server_certificate(ctx: OperationContext, params: Params) -> Result:
    """A rename or move needs ``iam:UpdateServerCertificate`` on the new ARN too
    (``API_UpdateServerCertificate``: "the person making the request ... must have
    permission on both the source object and the target object")."""
    validate(
        params,
        name_rule("ServerCertificateName", 128),
        name_rule("NewServerCertificateName", 128, required=False),
        Rule("NewPath", False, PATH, 1, 512),
    )
    row = _get(ctx, str(params["ServerCertificateName"]))
    name = str(params.get("NewServerCertificateName") or row["name"])
    path = str(params.get("NewPath") or row["path"])
    if name.lower() != row["name_key"] and _find(ctx, name) is not None:
        raise already_exists(f"The Server Certificate with name {name} already exists.")
    if (name, path) != (row["name"], row["path"]):
        ctx.authorize("iam:UpdateServerCertificate", _arn(ctx, path, name))
    where = {"account_id": ctx.account_id, "name_key": row["name_key"]}
    iam_store.change(ctx.tx, schema.server_certificates, where, name=name, name_key=name.lower(), path=path)
    iam_store.change(
        ctx.tx,
        schema.tags,
        {"account_id": ctx.account_id, "resource_type": KIND, "resource_key": row["name_key"]},
        resource_key=name.lower(),
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteServerCertificate",
    action="iam:DeleteServerCertificate",
    resource=_resource,
    condition_keys=_resource_tag_keys,
    resource_policy=_tags,
    writes=True,
)
def delete_server_certificate(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("ServerCertificateName", 128))
    row = _get(ctx, str(params["ServerCertificateName"]))
    iam_store.drop_tags(ctx.tx, ctx.account_id, KIND, row["name_key"])
    iam_store.remove(ctx.tx, schema.server_certificates, account_id=ctx.account_id, name_key=row["name_key"])
    ctx.tx.touch(ctx.account_id)
    return {}


register_tag_operations(
    "ServerCertificate",
    tagged=KIND,
    param="ServerCertificateName",
    rule=name_rule("ServerCertificateName", 128),
    find_key=lambda ctx, name: str(_get(ctx, name)["name_key"]),
    resource=_resource,
    resource_policy=_tags,
    entity_keys=_resource_tag_keys,
)
