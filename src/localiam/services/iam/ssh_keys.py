"""A user's SSH public keys (for CodeCommit): ``UploadSSHPublicKey``, ``GetSSHPublicKey``,
``ListSSHPublicKeys``, ``UpdateSSHPublicKey``, ``DeleteSSHPublicKey`` (IAM API Reference).

The body is an OpenSSH (``ssh-rsa AAAA...``) or PEM public key; IAM accepts RSA keys of at
least 2048 bits (``API_UploadSSHPublicKey``: "The minimum bit-length of the public key is
2048 bits"). The fingerprint is the MD5 of the key's wire form in colon-separated hex, as
``ssh-keygen -E md5 -l`` prints it. Ids start with ``APKA``; a user has at most five keys
(``reference_iam-quotas``). ``GetSSHPublicKey`` answers in the ``Encoding`` asked for
(``SSH`` or ``PEM``).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.common import (
    KEY_ID,
    Rule,
    limit_exceeded,
    name_rule,
    new_id,
    no_such_entity,
    paginate,
    timestamp,
    validate,
)
from localiam.services.iam.entities import caller_user_name, get, user_operation
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

QUOTA = 5
ID_RULE = Rule("SSHPublicKeyId", True, KEY_ID, 20, 128)


def _load(body: str) -> rsa.RSAPublicKey:
    text = body.strip().encode()
    try:
        key = (
            serialization.load_pem_public_key(text)
            if text.startswith(b"-----")
            else serialization.load_ssh_public_key(text)
        )
    except (ValueError, TypeError, IndexError) as exc:
        raise client_error(
            "InvalidPublicKey",
            "The request was rejected because the public key is malformed or otherwise invalid.",
            400,
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise client_error(
            "InvalidPublicKey",
            "The request was rejected because the public key is malformed or otherwise invalid.",
            400,
        )
    return key


def _ssh(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    digest = hashlib.md5(base64.b64decode(blob), usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _key(ctx: OperationContext, params: Params) -> tuple[Row, Row]:
    user = get(ctx, "user", str(params["UserName"]))
    key_id = str(params["SSHPublicKeyId"])
    row = iam_store.one(
        ctx.tx, schema.ssh_public_keys, key_id=key_id, account_id=ctx.account_id, user_key=user["name_key"]
    )
    if row is None:
        raise no_such_entity(f"The Public Key with id {key_id} cannot be found.")
    return user, row


def _shape(user: Row, row: Row, *, body: str | None = None) -> Result:
    out: Result = {"UserName": user["name"], "SSHPublicKeyId": row["key_id"]}
    if body is not None:
        out["Fingerprint"] = row["fingerprint"]
        out["SSHPublicKeyBody"] = body
    out["Status"] = row["status"]
    out["UploadDate"] = timestamp(row["uploaded_at"])
    return out


@user_operation("UploadSSHPublicKey", writes=True)
def upload_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), Rule("SSHPublicKeyBody", True, None, 1, 16384))
    user = get(ctx, "user", str(params["UserName"]))
    key = _load(str(params["SSHPublicKeyBody"]))
    body = _ssh(key)
    where = {"account_id": ctx.account_id, "user_key": user["name_key"]}
    existing = iam_store.rows(ctx.tx, schema.ssh_public_keys, **where)
    if any(r["body"] == body for r in existing):
        raise client_error(
            "DuplicateSSHPublicKey",
            "The request was rejected because the SSH public key is already associated with the specified IAM user.",
            400,
        )
    if len(existing) >= QUOTA:
        raise limit_exceeded(f"Cannot exceed quota for SSHPublicKeysPerUser: {QUOTA}")
    row = {
        "key_id": new_id("APKA"),
        "body": body,
        "fingerprint": fingerprint(key),
        "status": "Active",
        "uploaded_at": ctx.now,
        **where,
    }
    iam_store.add(ctx.tx, schema.ssh_public_keys, **row)
    ctx.tx.touch(ctx.account_id)
    return {"SSHPublicKey": _shape(user, row, body=body)}


@user_operation("GetSSHPublicKey")
def get_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), ID_RULE, Rule("Encoding", True, enum=("SSH", "PEM")))
    user, row = _key(ctx, params)
    body = row["body"]
    if params["Encoding"] == "PEM":
        key = serialization.load_ssh_public_key(body.encode())
        body = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    return {"SSHPublicKey": _shape(user, row, body=body)}


@user_operation("ListSSHPublicKeys")
def list_ssh_public_keys(ctx: OperationContext, params: Params) -> Result:
    """Without ``UserName``, the calling user's keys (``API_ListSSHPublicKeys``)."""
    validate(params, name_rule("UserName", 128, required=False))
    name = caller_user_name(ctx, params)
    if name is None:
        return {"SSHPublicKeys": [], "IsTruncated": False}
    user = get(ctx, "user", name)
    rows = iam_store.rows(
        ctx.tx, schema.ssh_public_keys, order_by=("uploaded_at",), account_id=ctx.account_id, user_key=user["name_key"]
    )
    page, more = paginate(rows, params)
    return {"SSHPublicKeys": [_shape(user, r) for r in page], **more}


@user_operation("UpdateSSHPublicKey", writes=True)
def update_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), ID_RULE, Rule("Status", True, enum=("Active", "Inactive", "Expired")))
    _, row = _key(ctx, params)
    iam_store.change(ctx.tx, schema.ssh_public_keys, {"key_id": row["key_id"]}, status=str(params["Status"]))
    ctx.tx.touch(ctx.account_id)
    return {}


@user_operation("DeleteSSHPublicKey", writes=True)
def delete_ssh_public_key(ctx: OperationContext, params: Params) -> Result:
    validate(params, name_rule("UserName", 128), ID_RULE)
    _, row = _key(ctx, params)
    iam_store.remove(ctx.tx, schema.ssh_public_keys, key_id=row["key_id"])
    ctx.tx.touch(ctx.account_id)
    return {}
