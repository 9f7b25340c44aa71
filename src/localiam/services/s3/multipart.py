"""Multipart uploads (``mpuoverview``): create, upload part (streamed to disk), complete,
abort, list parts, list uploads. Creating, uploading parts and completing are ``s3:PutObject``
(``mpuoverview``, "Multipart upload API and permissions"); the object's owner and ACL are fixed
when the upload is created. Every part but the last must be at least 5 MiB."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from localiam.services.base import Operation, OperationContext, Params, RequestBody, Result
from localiam.services.s3 import access, acl, listing
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import Bucket, canonical_id, dumps, error, get_bucket, loads, object_arn
from localiam.services.s3.objects import (
    _check_key,
    _spooled,
    _stored_headers,
    authorize_write,
    new_object_owner,
    parse_tagging,
    spool_part,
    store_object,
)
from localiam.state import bodies as body_store
from localiam.state import s3_store
from localiam.state.bodies import BodyRef, BodyStore

MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000


def _no_such_upload(upload_id: str) -> Exception:
    return error(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or "
        "completed.",
        404,
        UploadId=upload_id,
    )


def _new_upload_id() -> str:
    """A fresh upload id. ``token_urlsafe`` starts one in 64 with ``-``, which the body store
    refuses as an upload id (its parts would fail with an internal error): draw again."""
    while (upload_id := secrets.token_urlsafe(48)).startswith("-"):
        pass
    return upload_id


def _upload(ctx: OperationContext, bucket: Bucket, params: Params) -> dict[str, Any]:
    upload_id = str(params.get("UploadId") or "")
    row = s3_store.upload(ctx.tx, upload_id)
    if row is None or row["bucket"] != bucket.name or row["key"] != params.get("Key"):
        raise _no_such_upload(upload_id)
    return row


def _authorize_create(ctx: OperationContext, op: Operation, params: Params) -> None:
    bucket = get_bucket(ctx, params)
    authorize_write(ctx, bucket, str(params["Key"]), params)


def _authorize_part(ctx: OperationContext, op: Operation, params: Params) -> None:
    bucket = get_bucket(ctx, params)
    number = params.get("PartNumber")
    if not isinstance(number, int) or not 1 <= number <= MAX_PART_NUMBER:
        raise error(
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(number),
        )
    _upload(ctx, bucket, params)
    access.check(ctx, "s3:PutObject", object_arn(bucket.name, str(params["Key"])), bucket)


def _checked_upload(ctx: OperationContext, op: Operation, params: Params) -> dict[str, Any]:
    """The operation's action authorized on the upload's object; the upload's row."""
    bucket = get_bucket(ctx, params)
    upload = _upload(ctx, bucket, params)
    assert op.action is not None
    access.check(ctx, op.action, object_arn(bucket.name, str(params["Key"])), bucket)
    return upload


def _authorize_upload_action(ctx: OperationContext, op: Operation, params: Params) -> None:
    _checked_upload(ctx, op, params)


@SERVICE.operation(
    "CreateMultipartUpload", action="s3:PutObject", authorizer=_authorize_create, writes=True, signed=False
)
def create_multipart_upload(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    _check_key(key)
    owner, object_acl = new_object_owner(ctx, bucket, params)
    upload_id = _new_upload_id()
    initiator = access.principal_of(ctx).arn
    s3_store.create_upload(
        ctx.tx,
        upload_id=upload_id,
        bucket=bucket.name,
        key=key,
        initiator_arn=initiator,
        owner_account=owner,
        acl=object_acl.to_json(),
        headers=dumps(_stored_headers(params)),
        tags=dumps(parse_tagging(params.get("Tagging"))),
        checksum_algorithm=params.get("ChecksumAlgorithm"),
        created_at=ctx.now,
    )
    out: dict[str, Any] = {"Bucket": bucket.name, "Key": key, "UploadId": upload_id}
    if params.get("ChecksumAlgorithm"):
        out["ChecksumAlgorithm"] = params["ChecksumAlgorithm"]
    return out


@SERVICE.operation(
    "UploadPart", action="s3:PutObject", authorizer=_authorize_part, writes=True, signed=False, spool=spool_part
)
def upload_part(ctx: OperationContext, params: Params) -> Result:
    spooled = _spooled(params)
    bucket = get_bucket(ctx, params)
    _upload(ctx, bucket, params)
    etag = f'"{spooled.ref.md5}"'
    checksums = {f"Checksum{a.upper()}": v for a, v in spooled.checksums.items()}
    replaced = s3_store.put_part(
        ctx.tx,
        upload_id=str(params["UploadId"]),
        part_number=int(params["PartNumber"]),
        body_ref=str(spooled.ref),
        size=spooled.ref.size,
        etag=etag,
        checksums=dumps(checksums),
        last_modified=ctx.now,
    )
    if replaced is not None and replaced != str(spooled.ref) and ctx.bodies is not None:
        bodies = ctx.bodies
        ctx.after_commit.append(lambda: bodies.delete(replaced))
    return {"ETag": etag, **checksums}


def _invalid_part() -> Exception:
    return error(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
    )


Plan = list[tuple[int, str, str, int]]  # (part number, part ref, ETag as listed, size)


def _plan(ctx: OperationContext, upload: dict[str, Any], params: Params) -> Plan:
    """The listed parts, checked against the stored ones (``API_CompleteMultipartUpload``:
    ``InvalidPart``, ``EntityTooSmall``; the order is checked when they are joined)."""
    listed = ((params.get("MultipartUpload") or {}).get("Parts")) or []
    if not listed:
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    stored = {row["part_number"]: row for row in s3_store.parts(ctx.tx, upload["upload_id"])}
    plan: Plan = []
    for i, part in enumerate(listed):
        number, etag = int(part.get("PartNumber", 0)), str(part.get("ETag", ""))
        row = stored.get(number)
        if row is None or row["etag"].strip('"') != etag.strip().strip('"'):
            raise _invalid_part()
        if i < len(listed) - 1 and row["size"] < MIN_PART_SIZE:
            raise error(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                ProposedSize=str(row["size"]),
                MinSizeAllowed=str(MIN_PART_SIZE),
            )
        plan.append((number, str(row["body_ref"]), etag, int(row["size"])))
    return plan


_PLAN = "__localiam_parts__"  # where the authorizer leaves the checked plan for the spool


def _authorize_complete(ctx: OperationContext, op: Operation, params: Params) -> None:
    params[_PLAN] = _plan(ctx, _checked_upload(ctx, op, params), params)


@dataclass
class Joined:
    """The parts joined into one committed body, before the transaction that names it."""

    bodies: BodyStore
    ref: BodyRef
    etag: str
    plan: Plan

    def discard(self) -> None:
        self.bodies.delete(self.ref)


def _join(bodies: BodyStore, upload_id: str, plan: Plan) -> tuple[BodyRef, str]:
    try:
        return bodies.complete(upload_id, [(number, ref, etag) for number, ref, etag, _ in plan])
    except body_store.InvalidPartOrder:
        raise error(
            "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number."
        ) from None
    except body_store.InvalidPart:
        raise _invalid_part() from None


def spool_complete(bodies: BodyStore, params: Params, body: RequestBody) -> Joined:
    """Join the parts (tens of MB, fsynced) before the write transaction opens, so other
    writers never wait for it; the transaction then only checks nothing changed and commits."""
    for _ in body:  # the <CompleteMultipartUpload> document, parsed already; verify and drop
        pass
    plan: Plan = params[_PLAN]
    ref, etag = _join(bodies, str(params["UploadId"]), plan)
    return Joined(bodies, ref, etag, plan)


@SERVICE.operation(
    "CompleteMultipartUpload",
    action="s3:PutObject",
    authorizer=_authorize_complete,
    writes=True,
    signed=False,
    spool=spool_complete,
)
def complete_multipart_upload(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    key = str(params["Key"])
    upload = _upload(ctx, bucket, params)
    joined = params.get("Body")
    assert isinstance(joined, Joined), "the pipeline joins the parts first"
    ref, etag = joined.ref, joined.etag
    if params[_PLAN] != joined.plan:
        # A part was uploaded again while the others were being joined: join what is now listed.
        assert ctx.bodies is not None
        ref, etag = _join(ctx.bodies, upload["upload_id"], params[_PLAN])
        joined.discard()
    bodies = joined.bodies
    ctx.keep_only_if_committed(ref)
    version = store_object(
        ctx,
        bucket,
        key,
        ref=ref,
        size=ref.size,
        etag=f'"{etag}"',
        params=params,
        checksums={},
        parts=[size for _, _, _, size in params[_PLAN]],
        owner=(upload["owner_account"], acl.Acl.from_json(upload["acl"])),
        headers=loads(upload["headers"], {}),
        tags=loads(upload["tags"], {}),
    )
    s3_store.delete_upload(ctx.tx, upload["upload_id"])
    upload_id = upload["upload_id"]
    ctx.after_commit.append(lambda: bodies.abort_upload(upload_id))
    return {
        "Location": f"{ctx.endpoint}/{bucket.name}/{key}",
        "Bucket": bucket.name,
        "Key": key,
        "ETag": f'"{etag}"',
        **version,
    }


@SERVICE.operation(
    "AbortMultipartUpload",
    action="s3:AbortMultipartUpload",
    authorizer=_authorize_upload_action,
    writes=True,
    signed=False,
)
def abort_multipart_upload(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    upload = _upload(ctx, bucket, params)
    s3_store.delete_upload(ctx.tx, upload["upload_id"])
    if ctx.bodies is not None:
        bodies, upload_id = ctx.bodies, upload["upload_id"]
        ctx.after_commit.append(lambda: bodies.abort_upload(upload_id))
    return {}


@SERVICE.operation("ListParts", action="s3:ListMultipartUploadParts", authorizer=_authorize_upload_action, signed=False)
def list_parts(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    upload = _upload(ctx, bucket, params)
    marker = int(params.get("PartNumberMarker") or 0)
    max_parts = min(int(params.get("MaxParts") or 1000), 1000)
    rows = [r for r in s3_store.parts(ctx.tx, upload["upload_id"]) if r["part_number"] > marker]
    truncated = len(rows) > max_parts
    rows = rows[:max_parts]
    owner = {"ID": canonical_id(ctx, upload["owner_account"])}
    out: dict[str, Any] = {
        "Bucket": bucket.name,
        "Key": upload["key"],
        "UploadId": upload["upload_id"],
        "PartNumberMarker": marker,
        "MaxParts": max_parts,
        "IsTruncated": truncated,
        "Initiator": {"ID": upload["initiator_arn"], "DisplayName": upload["initiator_arn"].rsplit("/", 1)[-1]},
        "Owner": owner,
        "StorageClass": "STANDARD",
        "Parts": [
            {
                "PartNumber": r["part_number"],
                "ETag": r["etag"],
                "Size": r["size"],
                "LastModified": _time(r["last_modified"]),
            }
            for r in rows
        ],
    }
    if rows:
        out["NextPartNumberMarker"] = rows[-1]["part_number"]
    return out


def _time(epoch: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(epoch), UTC)


def _authorize_list_uploads(ctx: OperationContext, op: Operation, params: Params) -> None:
    access.check_bucket(ctx, "s3:ListBucketMultipartUploads", get_bucket(ctx, params))


@SERVICE.operation(
    "ListMultipartUploads",
    action="s3:ListBucketMultipartUploads",
    authorizer=_authorize_list_uploads,
    signed=False,
)
def list_multipart_uploads(ctx: OperationContext, params: Params) -> Result:
    bucket = get_bucket(ctx, params)
    prefix = str(params.get("Prefix") or "")
    delimiter = params.get("Delimiter") or None
    key_marker = params.get("KeyMarker") or None
    id_marker = params.get("UploadIdMarker") or None
    max_uploads = listing.check_max_uploads(params.get("MaxUploads"))
    encoding = listing.check_encoding_type(params.get("EncodingType"))

    def shown(text: str) -> str:
        """``EncodingType=url``: keys, prefixes, delimiter and key markers URL-encoded."""
        return listing.url_encode_key(text) if encoding is not None else text

    rows = s3_store.uploads_of(ctx.tx, bucket.name)
    if key_marker is not None and id_marker is not None:
        # The marker key's uploads after the marker id, then the keys after it.
        same = [r for r in rows if r["key"] == key_marker]
        ids = [r["upload_id"] for r in same]
        after_id = same[ids.index(id_marker) + 1 :] if id_marker in ids else []
        items = [(r["key"], r) for r in after_id] + [(r["key"], r) for r in rows if r["key"] > key_marker]
        page = listing.list_page(
            items, prefix=prefix, delimiter=delimiter, after=key_marker, max_keys=max_uploads, include_after=True
        )
    else:
        items = [(r["key"], r) for r in rows]
        page = listing.list_page(items, prefix=prefix, delimiter=delimiter, after=key_marker, max_keys=max_uploads)
    out: dict[str, Any] = {
        "Bucket": bucket.name,
        "KeyMarker": shown(key_marker or ""),
        "UploadIdMarker": id_marker or "",
        "MaxUploads": max_uploads,
        "IsTruncated": page.truncated,
        "Prefix": shown(prefix),
        "Uploads": [
            {
                "Key": shown(key),
                "UploadId": r["upload_id"],
                "Initiator": {"ID": r["initiator_arn"]},
                "Owner": {"ID": canonical_id(ctx, r["owner_account"])},
                "StorageClass": "STANDARD",
                "Initiated": _time(r["created_at"]),
            }
            for key, r in page.contents
        ],
    }
    if encoding is not None:
        out["EncodingType"] = encoding
    if delimiter is not None:
        out["Delimiter"] = shown(delimiter)
    if page.common_prefixes:
        out["CommonPrefixes"] = [{"Prefix": shown(p)} for p in page.common_prefixes]
    if page.truncated and page.contents:
        out["NextKeyMarker"] = shown(page.contents[-1][0])
        out["NextUploadIdMarker"] = page.contents[-1][1]["upload_id"]
    return out
