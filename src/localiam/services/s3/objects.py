"""Object operations: put (streamed to disk), get, head, delete, copy and multi-object delete
(listing: :mod:`.object_listing`; tagging and ACLs: :mod:`.object_subresources`).

Who owns a new object follows the bucket's Object Ownership (``about-object-ownership``):
``BucketOwnerEnforced`` - the bucket owner, and an ACL other than bucket-owner-full-control is
``AccessControlListNotSupported``; ``BucketOwnerPreferred`` - the bucket owner when the object
is written with ``bucket-owner-full-control``, else the writer; ``ObjectWriter`` - the account
of the principal that wrote it (a role session's account, not its caller's).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

from localiam.errors import AccessDenied, AwsError
from localiam.services.base import Operation, OperationContext, Params, RequestBody, Result
from localiam.services.s3 import access, acl, versions
from localiam.services.s3._service import SERVICE
from localiam.services.s3.bucket_configuration import object_encryption
from localiam.services.s3.buckets import acl_headers, check_public_acl, requested_acl
from localiam.services.s3.common import (
    BUCKET_OWNER_ENFORCED,
    BUCKET_OWNER_PREFERRED,
    Bucket,
    canonical_id,
    dumps,
    error,
    get_bucket,
    loads,
    no_such_key,
    object_arn,
)
from localiam.state import s3_store
from localiam.state.bodies import BodyRef, BodyStore

SMALL_BODY = 1 << 20  # bodies up to this size are answered from memory, larger ones streamed
MAX_TAGS = 10
_STORED_HEADERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "ContentType",
    "Expires",
    "WebsiteRedirectLocation",
)
_CHECKSUM_MEMBERS = {
    "crc32": "ChecksumCRC32",
    "crc32c": "ChecksumCRC32C",
    "sha1": "ChecksumSHA1",
    "sha256": "ChecksumSHA256",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


# ----------------------------------------------------------------------------- bodies
@dataclass
class SpooledBody:
    """A request body committed to the body store, not yet named by any object row."""

    bodies: BodyStore
    ref: BodyRef
    checksums: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        self.bodies.delete(self.ref)


def spool_object(bodies: BodyStore, params: Params, body: RequestBody) -> SpooledBody:
    with bodies.writer() as writer:
        for chunk in body:
            writer.write(chunk)
        ref = writer.commit()
    return SpooledBody(bodies, ref, dict(body.checksums))


def spool_part(bodies: BodyStore, params: Params, body: RequestBody) -> SpooledBody:
    with bodies.part_writer(str(params["UploadId"]), int(params["PartNumber"])) as writer:
        for chunk in body:
            writer.write(chunk)
        ref = writer.commit()
    return SpooledBody(bodies, ref, dict(body.checksums))


def _spooled(params: Params) -> SpooledBody:
    body = params.get("Body")
    assert isinstance(body, SpooledBody), "the pipeline spools streaming bodies"
    return body


# ----------------------------------------------------------------------------- tags
def parse_tagging(text: str | None) -> dict[str, str]:
    """``x-amz-tagging``: URL query parameters (``API_PutObject``); at most 10 tags, keys of
    up to 128 and values of up to 256 characters (``object-tagging``)."""
    if not text:
        return {}
    tags: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in tags:
            raise error(
                "InvalidArgument", "Cannot provide multiple Tags with the same key", ArgumentName="x-amz-tagging"
            )
        tags[key] = value
    check_tags(tags)
    return tags


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise error("BadRequest", "Object tags cannot be greater than 10")
    for key, value in tags.items():
        if not key or len(key) > 128:
            raise error("InvalidTag", "The TagKey you have provided is invalid")
        if len(value) > 256:
            raise error("InvalidTag", "The TagValue you have provided is invalid")


def tag_keys(prefix: str, tags: Mapping[str, str]) -> dict[str, str | list[str]]:
    """``s3:RequestObjectTag/<key>`` and ``s3:RequestObjectTagKeys``, or ``s3:ExistingObjectTag/<key>``."""
    keys: dict[str, str | list[str]] = {f"s3:{prefix}/{k}": v for k, v in tags.items()}
    if prefix == "RequestObjectTag" and tags:
        keys["s3:RequestObjectTagKeys"] = list(tags)
    return keys


# ----------------------------------------------------------------------------- ownership
def writer_account(ctx: OperationContext, bucket: Bucket) -> str:
    """The account a principal's writes belong to (anonymous writes: the bucket owner)."""
    principal = access.principal_of(ctx)
    return principal.account or bucket.owner


def new_object_owner(ctx: OperationContext, bucket: Bucket, params: Params) -> tuple[str, acl.Acl]:
    """The owner and ACL of an object this request writes, per Object Ownership."""
    writer = writer_account(ctx, bucket)
    canned_acl = params.get("ACL")
    if bucket.ownership == BUCKET_OWNER_ENFORCED:
        requested = requested_acl(ctx, params, bucket.owner, bucket_owner=bucket.owner, level="object")
        if requested is not None and not acl.acl_allowed_when_enforced(
            canned_acl, requested, bucket_owner=canonical_id(ctx, bucket.owner)
        ):
            raise acl.acls_not_supported()
        return bucket.owner, acl.owner_full_control(canonical_id(ctx, bucket.owner))
    owner = writer
    if bucket.ownership == BUCKET_OWNER_PREFERRED and canned_acl == "bucket-owner-full-control":
        owner = bucket.owner
    requested = requested_acl(ctx, params, owner, bucket_owner=bucket.owner, level="object")
    return owner, requested or acl.owner_full_control(canonical_id(ctx, owner))


def _write_keys(params: Params) -> dict[str, str | list[str]]:
    keys: dict[str, str | list[str]] = dict(acl.grant_context_keys(acl_headers(params)))
    keys.update(tag_keys("RequestObjectTag", parse_tagging(params.get("Tagging"))))
    for name, key in (
        ("StorageClass", "s3:x-amz-storage-class"),
        ("ServerSideEncryption", "s3:x-amz-server-side-encryption"),
        ("MetadataDirective", "s3:x-amz-metadata-directive"),
        ("CopySource", "s3:x-amz-copy-source"),
    ):
        if params.get(name) is not None:
            keys[key] = str(params[name])
    return keys


def authorize_write(ctx: OperationContext, bucket: Bucket, key: str, params: Params) -> None:
    """``s3:PutObject`` on the object, plus ``s3:PutObjectAcl`` when the request sets an ACL
    and ``s3:PutObjectTagging`` when it sets tags (``API_PutObject``)."""
    arn = object_arn(bucket.name, key)
    keys = _write_keys(params)
    access.check(ctx, "s3:PutObject", arn, bucket, keys=keys)
    if acl_headers(params):
        access.check(ctx, "s3:PutObjectAcl", arn, bucket, keys=keys)
    if params.get("Tagging"):
        access.check(ctx, "s3:PutObjectTagging", arn, bucket, keys=keys)


def _authorize_put(ctx: OperationContext, op: Operation, params: Params) -> None:
    bucket = get_bucket(ctx, params)
    authorize_write(ctx, bucket, str(params["Key"]), params)


# ----------------------------------------------------------------------------- reading an object
def find_object(ctx: OperationContext, bucket: Bucket, key: str) -> dict[str, Any] | None:
    """The object's row: remembered for the transaction, and across requests while nothing
    at all was written since (``Authz.row``)."""
    memo = ("s3-object", bucket.name, key)
    if memo not in ctx.tx.memo:
        ctx.tx.memo[memo] = ctx.authz.row(ctx.tx, memo, lambda: s3_store.obj(ctx.tx, bucket.name, key))
    row: dict[str, Any] | None = ctx.tx.memo[memo]
    return row


# The action a request with a version id is authorized as (Service Authorization Reference,
# ``list_amazons3``: GetObjectVersion, DeleteObjectVersion ... each with ``s3:VersionId``).
_VERSION_ACTIONS = {
    "s3:GetObject": "s3:GetObjectVersion",
    "s3:GetObjectTagging": "s3:GetObjectVersionTagging",
    "s3:PutObjectTagging": "s3:PutObjectVersionTagging",
    "s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
    "s3:GetObjectAcl": "s3:GetObjectVersionAcl",
    "s3:PutObjectAcl": "s3:PutObjectVersionAcl",
    "s3:DeleteObject": "s3:DeleteObjectVersion",
}


def versioned_action(action: str, params: Params) -> str:
    """``action``, or its ``...Version...`` form when the request names a version."""
    return _VERSION_ACTIONS.get(action, action) if params.get("VersionId") is not None else action


def no_such_version(key: str, version_id: str) -> AwsError:
    return error("NoSuchVersion", "The specified version does not exist.", 404, Key=key, VersionId=version_id)


def delete_marker_not_allowed(method: str, marker: Mapping[str, Any]) -> AwsError:
    """``API_GetObject``: "If the specified version in the request is a delete marker, the
    response returns a 405 Method Not Allowed error and the Last-Modified: timestamp response
    header", with ``x-amz-delete-marker: true``."""
    return AwsError(
        "The specified method is not allowed against this resource.",
        code="MethodNotAllowed",
        status=405,
        fields={"Method": method, "ResourceType": "DeleteMarker"},
        headers=_marker_headers(marker),
    )


def _marker_headers(marker: Mapping[str, Any]) -> dict[str, str]:
    return {
        "x-amz-delete-marker": "true",
        "x-amz-version-id": versions.version_of(marker),
        "Last-Modified": format_datetime(http_time(marker["last_modified"]), usegmt=True),
    }


def _no_current_object(ctx: OperationContext, bucket: Bucket, key: str) -> AwsError:
    """``NoSuchKey``; when the key's current version is a delete marker, with
    ``x-amz-delete-marker: true`` and its version id (``API_GetObject``: "If the current
    version of the object is a delete marker, Amazon S3 behaves as if the object was deleted
    and includes x-amz-delete-marker: true in the response")."""
    found = no_such_key(key)
    marker = versions.current_delete_marker(ctx, bucket, key)
    if marker is not None:
        found.headers.update(_marker_headers(marker))
        del found.headers["Last-Modified"]
    return found


def object_version(ctx: OperationContext, bucket: Bucket, key: str, version_id: str | None) -> dict[str, Any] | None:
    """The current object (``version_id`` ``None``) or the named version (a delete marker
    has ``delete_marker`` true)."""
    if version_id is None:
        return find_object(ctx, bucket, key)
    return versions.find_version(ctx, bucket, key, str(version_id))


def check_object(
    ctx: OperationContext,
    action: str,
    bucket: Bucket,
    key: str,
    keys: Mapping[str, str | list[str]] | None = None,
    *,
    version_id: str | None = None,
    method: str = "GET",
) -> dict[str, Any]:
    """Authorize ``action`` on an existing object or version (object context: its owner and
    ACL, its tags as ``s3:ExistingObjectTag``). A missing key is ``NoSuchKey`` (a missing
    version ``NoSuchVersion``) only for a caller who may list the bucket; others get
    ``AccessDenied`` (``API_GetObject``: "If you don't have the s3:ListBucket permission,
    Amazon S3 returns an HTTP status code 403"). A delete marker is 405."""
    arn = object_arn(bucket.name, key)
    if version_id is not None:
        keys = {"s3:VersionId": version_id, **(keys or {})}
    row = object_version(ctx, bucket, key, version_id)
    if row is None or row.get("delete_marker"):
        access.check(ctx, action, arn, bucket, keys=keys)
        if row is not None:
            raise delete_marker_not_allowed(method, row)
        try:
            access.check_bucket(ctx, "s3:ListBucket", bucket)
        except AccessDenied:
            raise AccessDenied("Access Denied") from None
        raise _no_current_object(ctx, bucket, key) if version_id is None else no_such_version(key, version_id)
    tags = loads(row["tags"], {})
    access.check(
        ctx,
        action,
        arn,
        bucket,
        object_owner=row["owner_account"],
        object_acl=acl.Acl.from_json(row["acl"]),
        keys={**tag_keys("ExistingObjectTag", tags), **(keys or {})},
    )
    return row


def authorize_read(ctx: OperationContext, op: Operation, params: Params) -> None:
    """The operation's action on the object, or on the version the request names."""
    assert op.action is not None
    version_id = params.get("VersionId")
    check_object(
        ctx,
        versioned_action(op.action, params),
        get_bucket(ctx, params),
        str(params["Key"]),
        version_id=str(version_id) if version_id is not None else None,
        method="HEAD" if op.name == "HeadObject" else "GET",
    )


def _stored_headers(params: Params) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _STORED_HEADERS:
        value = params.get(name)
        if value is None:
            continue
        if name == "ContentEncoding":
            value = ",".join(p for p in (x.strip() for x in str(value).split(",")) if p and p != "aws-chunked")
            if not value:
                continue
        if name == "Expires" and isinstance(value, datetime):
            value = value.timestamp()
        out[name] = value
    if params.get("Metadata"):
        out["Metadata"] = {str(k).lower(): str(v) for k, v in params["Metadata"].items()}
    if params.get("StorageClass"):
        out["StorageClass"] = params["StorageClass"]
    return out


def _checksums(spooled: SpooledBody) -> dict[str, str]:
    return {_CHECKSUM_MEMBERS[a]: v for a, v in spooled.checksums.items() if a in _CHECKSUM_MEMBERS}


def store_object(
    ctx: OperationContext,
    bucket: Bucket,
    key: str,
    *,
    ref: BodyRef | str,
    size: int,
    etag: str,
    params: Params,
    checksums: Mapping[str, str],
    parts: list[int] | None = None,
    owner: tuple[str, acl.Acl] | None = None,
    headers: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Write the object row and, once committed, remove the body it replaced; in a versioned
    bucket the object it replaces stays as a noncurrent version (:mod:`.versions`). The
    ``VersionId`` to answer with (none for a bucket that was never versioned)."""
    owner_account, object_acl = owner or new_object_owner(ctx, bucket, params)
    check_public_acl(ctx, bucket, object_acl)
    encryption = object_encryption(bucket, params)
    stored = {**(dict(headers) if headers is not None else _stored_headers(params)), "Encryption": encryption}
    version_id = versions.before_write(ctx, bucket, key)
    replaced = s3_store.put_object(
        ctx.tx,
        bucket=bucket.name,
        key=key,
        body_ref=str(ref),
        size=size,
        etag=etag,
        owner_account=owner_account,
        acl=object_acl.to_json(),
        headers=dumps(stored),
        tags=dumps(dict(tags) if tags is not None else parse_tagging(params.get("Tagging"))),
        checksums=dumps(dict(checksums)),
        parts=len(parts) if parts else None,
        part_sizes=dumps(parts) if parts else None,
        last_modified=ctx.now,
        version_id=version_id,
    )
    if replaced is not None and replaced != str(ref) and ctx.bodies is not None:
        bodies = ctx.bodies
        ctx.after_commit.append(lambda: bodies.delete(replaced))
    return {**encryption, **versions.answer(bucket, version_id)}


# ----------------------------------------------------------------------------- put / get / head / delete
def _check_key(key: str) -> None:
    if not key or len(key.encode()) > 1024:
        raise error("KeyTooLongError", "Your key is too long", MaxSizeAllowed="1024", Size=str(len(key.encode())))


@SERVICE.operation(
    "PutObject", action="s3:PutObject", authorizer=_authorize_put, writes=True, signed=False, spool=spool_object
)
def put_object(ctx: OperationContext, params: Params) -> Result:
    spooled = _spooled(params)
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    _check_key(key)
    _conditional_write(ctx, bucket, key, params)
    etag = f'"{spooled.ref.md5}"'
    checksums = _checksums(spooled)
    version = store_object(
        ctx, bucket, key, ref=spooled.ref, size=spooled.ref.size, etag=etag, params=params, checksums=checksums
    )
    return {"ETag": etag, "Size": spooled.ref.size, **checksums, **version}


def _conditional_write(ctx: OperationContext, bucket: Bucket, key: str, params: Params) -> None:
    """``If-None-Match: *`` and ``If-Match`` on writes (``conditional-writes``)."""
    if params.get("IfNoneMatch") is None and params.get("IfMatch") is None:
        return
    row = find_object(ctx, bucket, key)
    if params.get("IfNoneMatch") == "*" and row is not None:
        raise error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            Condition="If-None-Match",
        )
    if params.get("IfMatch") is not None:
        if row is None:
            raise no_such_key(key)
        if _bare(str(params["IfMatch"])) != _bare(row["etag"]):
            raise error(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
                Condition="If-Match",
            )


def _bare(etag: str) -> str:
    return etag.strip().strip('"')


def http_time(epoch: float) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


def _object_headers(row: Mapping[str, Any], params: Params) -> dict[str, Any]:
    stored = loads(row["headers"], {})
    out: dict[str, Any] = {
        "ETag": row["etag"],
        "LastModified": http_time(row["last_modified"]),
        "ContentLength": row["size"],
        "AcceptRanges": "bytes",
        "ContentType": stored.get("ContentType", "binary/octet-stream"),
    }
    for name in _STORED_HEADERS:
        if name in stored and name != "ContentType":
            value = stored[name]
            out[name] = (
                datetime.fromtimestamp(value, UTC) if name == "Expires" and isinstance(value, (int, float)) else value
            )
    if stored.get("Metadata"):
        out["Metadata"] = stored["Metadata"]
    # Every object is encrypted; one stored before localiam kept its encryption was SSE-S3
    # (``default-bucket-encryption``).
    out.update(stored.get("Encryption") or {"ServerSideEncryption": "AES256"})
    if stored.get("StorageClass") and stored["StorageClass"] != "STANDARD":
        out["StorageClass"] = stored["StorageClass"]
    tags = loads(row["tags"], {})
    if tags:
        out["TagCount"] = len(tags)
    if row["parts"] and params.get("PartNumber") is not None:
        # ``API_HeadObject``: "only returned if you specify partNumber in your request and the
        # object was uploaded as a multipart upload".
        out["PartsCount"] = row["parts"]
    return out


def _preconditions(params: Params, row: Mapping[str, Any]) -> None:
    """``RFC 7232`` as S3 applies it (``API_GetObject``): If-Match / If-Unmodified-Since fail
    with 412, If-None-Match / If-Modified-Since with 304."""
    etag = _bare(row["etag"])
    modified = int(row["last_modified"])
    if_match = params.get("IfMatch")
    if if_match is not None and _bare(str(if_match)) not in ("*", etag):
        raise error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            Condition="If-Match",
        )
    since = params.get("IfUnmodifiedSince")
    if if_match is None and isinstance(since, datetime) and modified > since.timestamp():
        raise error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            Condition="If-Unmodified-Since",
        )
    none_match = params.get("IfNoneMatch")
    if none_match is not None and _bare(str(none_match)) in ("*", etag):
        raise AwsError("Not Modified", code="304", status=304)
    since = params.get("IfModifiedSince")
    if none_match is None and isinstance(since, datetime) and modified <= since.timestamp():
        raise AwsError("Not Modified", code="304", status=304)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """``bytes=a-b``, ``bytes=a-``, ``bytes=-n``; an unsatisfiable range is ``InvalidRange``
    (416); a header S3 cannot parse is ignored (whole object)."""
    if not header:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            raise _invalid_range(header, size)
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or (last and int(last) < start):
        raise _invalid_range(header, size)
    return start, end


def _span(params: Params, row: Mapping[str, Any]) -> tuple[int, int] | None:
    """The bytes a GET or HEAD asks for: a ``Range``, or a ``partNumber`` of a multipart
    object (``API_GetObject``: "Part number of the object being read. This is a positive
    integer between 1 and 10,000. Effectively performs a 'ranged' GET request for the part
    specified"); ``None`` for the whole object. Part 1 of an object uploaded in one piece is
    the whole object; any other part number past the last is ``InvalidPartNumber`` (416)."""
    size = int(row["size"])
    number = params.get("PartNumber")
    if number is None:
        return _range(params.get("Range"), size)
    if params.get("Range") is not None:
        raise error("InvalidRequest", "Cannot specify both Range header and partNumber query parameter")
    sizes = loads(row.get("part_sizes"), None)
    count = len(sizes) if sizes else 1
    if not isinstance(number, int) or not 1 <= number <= count:
        raise error(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            416,
            PartNumberRequested=str(number),
            ActualPartCount=str(count),
        )
    if not sizes:
        return None
    start = sum(sizes[: number - 1])
    return start, start + sizes[number - 1] - 1


def _invalid_range(header: str, size: int) -> AwsError:
    return error(
        "InvalidRange", "The requested range is not satisfiable", 416, RangeRequested=header, ActualObjectSize=str(size)
    )


def _response_overrides(params: Params, out: dict[str, Any]) -> None:
    for name in ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType", "Expires"):
        value = params.get(f"Response{name}")
        if value is not None:
            out[name] = value


def _read(ctx: OperationContext, params: Params) -> tuple[dict[str, Any], dict[str, Any], tuple[int, int] | None]:
    """What GetObject and HeadObject share: the object's row, its headers after the
    preconditions, and the bytes asked for (``None``: all of them). The stored checksums are
    the whole object's: a ranged answer carries none (clients that validate them would fail
    on the part)."""
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    row = object_version(ctx, bucket, key, params.get("VersionId"))
    if row is None:
        raise no_such_key(key)
    _preconditions(params, row)
    out = _object_headers(row, params)
    if bucket.versioning is not None:
        out["VersionId"] = versions.version_of(row)
    span = _span(params, row)
    if params.get("ChecksumMode") == "ENABLED" and span is None:
        out.update(loads(row["checksums"], {}))
    if span is not None:
        out["ContentRange"] = f"bytes {span[0]}-{span[1]}/{row['size']}"
        out["ContentLength"] = span[1] - span[0] + 1
    _response_overrides(params, out)
    return row, out, span


@SERVICE.operation("GetObject", action="s3:GetObject", authorizer=authorize_read, signed=False)
def get_object(ctx: OperationContext, params: Params) -> Result:
    row, out, span = _read(ctx, params)
    size = int(row["size"])
    start, end = (0, size - 1) if span is None else span
    length = end - start + 1 if size else 0
    assert ctx.bodies is not None
    if length <= SMALL_BODY:
        out["Body"] = ctx.bodies.read(row["body_ref"], start, end + 1) if length else b""
    else:
        out["Body"] = ctx.bodies.iter(row["body_ref"], start, end + 1)
    return out


@SERVICE.operation("HeadObject", action="s3:GetObject", authorizer=authorize_read, signed=False)
def head_object(ctx: OperationContext, params: Params) -> Result:
    return _read(ctx, params)[1]


def _authorize_delete(ctx: OperationContext, op: Operation, params: Params) -> None:
    """Deleting is a bucket permission (a bucket ACL's WRITE grants it): the bucket owner
    "can delete any objects in the bucket, regardless of who owns them". With a version id
    it is ``s3:DeleteObjectVersion`` with ``s3:VersionId``."""
    bucket = get_bucket(ctx, params)
    _check_delete(ctx, bucket, str(params["Key"]), params.get("VersionId"))


def _check_delete(ctx: OperationContext, bucket: Bucket, key: str, version_id: Any) -> None:
    arn = object_arn(bucket.name, key)
    if version_id is None:
        access.check(ctx, "s3:DeleteObject", arn, bucket)
    else:
        versions.check_version_id(str(version_id))
        access.check(ctx, "s3:DeleteObjectVersion", arn, bucket, keys={"s3:VersionId": str(version_id)})


def delete_key(ctx: OperationContext, bucket: Bucket, key: str, version_id: str | None = None) -> Result:
    """Delete the key (a versioned bucket gets a delete marker) or one version of it; the
    ``DeleteMarker`` and ``VersionId`` to answer with."""
    if version_id is not None:
        return versions.delete_version(ctx, bucket, key, version_id)
    if bucket.versioning is not None:
        return versions.delete_marker(ctx, bucket, key, writer_account(ctx, bucket))
    versions.forget_object(ctx, bucket, key)
    ref = s3_store.delete_object(ctx.tx, bucket.name, key)
    if ref is not None and ctx.bodies is not None:
        bodies = ctx.bodies
        ctx.after_commit.append(lambda: bodies.delete(ref))
    return {}


@SERVICE.operation("DeleteObject", action="s3:DeleteObject", authorizer=_authorize_delete, writes=True, signed=False)
def delete_object(ctx: OperationContext, params: Params) -> Result:
    """Deleting a key that does not exist succeeds (204)."""
    version_id = params.get("VersionId")
    bucket = get_bucket(ctx, params)
    return delete_key(ctx, bucket, str(params["Key"]), str(version_id) if version_id is not None else None)


def _authorize_bucket_exists(ctx: OperationContext, op: Operation, params: Params) -> None:
    get_bucket(ctx, params)


@SERVICE.operation(
    "DeleteObjects", action="s3:DeleteObject", authorizer=_authorize_bucket_exists, writes=True, signed=False
)
def delete_objects(ctx: OperationContext, params: Params) -> Result:
    """Each key is authorized on its own; a key the caller may not delete is an ``Errors``
    entry, the others are deleted (``API_DeleteObjects``). Up to 1,000 keys."""
    bucket = get_bucket(ctx, params)
    request = params.get("Delete") or {}
    items = request.get("Objects") or []
    if not items or len(items) > 1000:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    quiet = bool(request.get("Quiet"))
    deleted, errors = [], []
    for item in items:
        key = str(item.get("Key", ""))
        version_id = item.get("VersionId")
        failed = {"Key": key, **({"VersionId": str(version_id)} if version_id is not None else {})}
        try:
            _check_delete(ctx, bucket, key, version_id)
        except AwsError as exc:
            errors.append({**failed, "Code": exc.code, "Message": exc.message})
            continue
        answer = delete_key(ctx, bucket, key, str(version_id) if version_id is not None else None)
        if not quiet:
            entry: dict[str, Any] = dict(failed)
            if answer.get("DeleteMarker"):
                entry["DeleteMarker"] = True
                entry["DeleteMarkerVersionId"] = answer["VersionId"]
            deleted.append(entry)
    out: dict[str, Any] = {}
    if deleted:
        out["Deleted"] = deleted
    if errors:
        out["Errors"] = errors
    return out


# ----------------------------------------------------------------------------- copy
def copy_source(params: Params) -> tuple[str, str, str | None]:
    """The bucket, key and version id (``None``: the current one) of ``x-amz-copy-source``
    (``API_CopyObject``: ``/bucket/key?versionId=...``, URL-encoded)."""
    raw = str(params.get("CopySource") or "").lstrip("/")
    path, _, query = raw.partition("?")
    version_id = dict(parse_qsl(query)).get("versionId") if query else None
    bucket, _, key = unquote(path).partition("/")
    if not bucket or not key:
        raise error("InvalidArgument", "Invalid copy source object key", ArgumentName="x-amz-copy-source")
    return bucket, key, version_id


def _authorize_copy(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``API_CopyObject``: ``s3:GetObject`` on the source (``s3:GetObjectVersion`` for a
    version) and ``s3:PutObject`` on the target."""
    source_bucket_name, source_key, source_version = copy_source(params)
    source_bucket = get_bucket(
        ctx, {"Bucket": source_bucket_name, "ExpectedBucketOwner": params.get("ExpectedSourceBucketOwner")}
    )
    action = "s3:GetObject" if source_version is None else "s3:GetObjectVersion"
    check_object(ctx, action, source_bucket, source_key, version_id=source_version)
    bucket = get_bucket(ctx, params)
    authorize_write(ctx, bucket, str(params["Key"]), params)


@SERVICE.operation("CopyObject", action="s3:PutObject", authorizer=_authorize_copy, writes=True, signed=False)
def copy_object(ctx: OperationContext, params: Params) -> Result:
    source_bucket_name, source_key, source_version = copy_source(params)
    source_bucket = get_bucket(ctx, {"Bucket": source_bucket_name})
    source = object_version(ctx, source_bucket, source_key, source_version)
    if source is None or source.get("delete_marker"):
        raise no_such_key(source_key) if source_version is None else no_such_version(source_key, source_version)
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    _check_key(key)
    directive = params.get("MetadataDirective") or "COPY"
    same = source_bucket.name == bucket.name and source_key == key and source_version is None
    if same and directive == "COPY" and not acl_headers(params) and params.get("StorageClass") is None:
        raise error(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the "
            "object's metadata, storage class, website redirect location or encryption attributes.",
        )
    assert ctx.bodies is not None
    with ctx.bodies.writer() as writer:
        for chunk in ctx.bodies.iter(source["body_ref"]):
            writer.write(chunk)
        ref = writer.commit()
    ctx.keep_only_if_committed(ref)
    headers = loads(source["headers"], {}) if directive == "COPY" else _stored_headers(params)
    tags = loads(source["tags"], {}) if (params.get("TaggingDirective") or "COPY") == "COPY" else None
    etag = f'"{ref.md5}"'  # a copy is written in one piece (API_CopyObject)
    version = store_object(
        ctx,
        bucket,
        key,
        ref=ref,
        size=ref.size,
        etag=etag,
        params=params,
        checksums=loads(source["checksums"], {}),
        headers=headers,
        tags=tags,
    )
    out: dict[str, Any] = {"CopyObjectResult": {"ETag": etag, "LastModified": http_time(ctx.now)}, **version}
    if source_bucket.versioning is not None:
        out["CopySourceVersionId"] = versions.version_of(source)
    return out


__all__ = ["authorize_read", "check_object", "find_object", "http_time", "spool_object", "spool_part", "store_object"]
