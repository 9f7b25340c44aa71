"""Browser-based uploads: ``POST /bucket`` with an HTML form (``RESTObjectPOST``,
``UsingHTTPPOST``), how web apps upload with credentials they got from Cognito.

The form names the object (``key``, where ``${filename}`` stands for the uploaded file's name),
its ACL, content headers and ``x-amz-meta-*`` metadata, and carries a policy signed by a
principal's key (:mod:`localiam.wire.s3_browser` checks the signature). The upload is then
"authorized as s3:PutObject for the signer": the policy's conditions must hold
(:mod:`.post_policy`) and the signer must be allowed ``s3:PutObject`` on the object (and
``s3:PutObjectAcl`` for an ``acl`` field), with ``s3:authType`` ``POST``. A form with no
signature is anonymous and needs a bucket that lets anyone write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import error, get_bucket
from localiam.services.s3.objects import authorize_write, store_object
from localiam.services.s3.post_policy import check_policy

# Form fields that become the object's stored headers, by PutObject's member names.
_HEADER_FIELDS = {
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "content-type": "ContentType",
    "x-amz-storage-class": "StorageClass",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-website-redirect-location": "WebsiteRedirectLocation",
    "acl": "ACL",
}


def _form(params: Params) -> Any:
    form = params.get("Form")
    assert form is not None, "the wire parses the form"
    return form


def object_key(form: Any) -> str:
    """The ``key`` field with ``${filename}`` replaced by the file's name."""
    key = form.get("key")
    if key is None:
        raise error(
            "InvalidArgument",
            "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
            ArgumentName="key",
            ArgumentValue="",
        )
    return str(key).replace("${filename}", form.filename or "")


def _fields(form: Any, key: str) -> dict[str, str]:
    return {**form.fields, "key": key}


def put_params(form: Any, bucket: str, key: str) -> Params:
    """The form as PutObject's params (what the authorization and the stored object read)."""
    params: Params = {"Bucket": bucket, "Key": key}
    for name, member in _HEADER_FIELDS.items():
        if form.get(name) is not None:
            params[member] = form.get(name)
    if "ContentType" not in params and form.content_type:
        params["ContentType"] = form.content_type
    metadata = {n.removeprefix("x-amz-meta-"): v for n, v in form.fields.items() if n.startswith("x-amz-meta-")}
    if metadata:
        params["Metadata"] = metadata
    if form.tagging is not None:
        params["Tagging"] = form.tagging
    return params


def _authorize_post(ctx: OperationContext, op: Operation, params: Params) -> None:
    bucket = get_bucket(ctx, params)
    form = _form(params)
    key = object_key(form)
    policy = form.get("policy")
    if ctx.caller is not None or policy is not None:
        if policy is None:
            raise error("InvalidArgument", "Bucket POST must contain a field named 'policy'.", ArgumentName="policy")
        now = dt.datetime.fromtimestamp(ctx.clock(), dt.UTC)
        check_policy(str(policy), _fields(form, key), bucket=bucket.name, file_size=len(form.file), now=now)
    authorize_write(ctx, bucket, key, put_params(form, bucket.name, key))


@SERVICE.operation("PostObject", action="s3:PutObject", authorizer=_authorize_post, writes=True, signed=False)
def post_object(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    form = _form(params)
    key = object_key(form)
    if not key or len(key.encode()) > 1024:
        raise error("KeyTooLongError", "Your key is too long", MaxSizeAllowed="1024", Size=str(len(key.encode())))
    assert ctx.bodies is not None
    with ctx.bodies.writer() as writer:
        writer.write(form.file)
        ref = writer.commit()
    ctx.keep_only_if_committed(ref)
    etag = f'"{ref.md5}"'
    upload = put_params(form, bucket.name, key)
    version = store_object(ctx, bucket, key, ref=ref, size=ref.size, etag=etag, params=upload, checksums={})
    return {
        "Bucket": bucket.name,
        "Key": key,
        "ETag": etag,
        "Location": f"{ctx.endpoint}/{bucket.name}/{quote(key)}",
        "VersionId": version.get("VersionId"),
        "Redirect": form.get("success_action_redirect") or form.get("redirect"),
        "SuccessActionStatus": form.get("success_action_status"),
    }
