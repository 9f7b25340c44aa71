"""A bucket's versioning state and its versions listing: PutBucketVersioning,
GetBucketVersioning (``API_PutBucketVersioning``, ``API_GetBucketVersioning``) and
ListObjectVersions (``API_ListObjectVersions``), authorized as ``s3:PutBucketVersioning``,
``s3:GetBucketVersioning`` and ``s3:ListBucketVersions`` (Service Authorization Reference,
``list_amazons3``). What a versioned write or delete does is :mod:`.versions`.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from typing import Any

from localiam.errors import Unserved
from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import access, listing, versions
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import Bucket, canonical_id, error, get_bucket, loads
from localiam.services.s3.objects import http_time
from localiam.state import s3_store, s3_versions_store


def _authorize_bucket(ctx: OperationContext, op: Operation, params: Params) -> None:
    assert op.action is not None
    access.check_bucket(ctx, op.action, get_bucket(ctx, params))


@SERVICE.operation(
    "PutBucketVersioning", action="s3:PutBucketVersioning", authorizer=_authorize_bucket, writes=True, signed=False
)
def put_bucket_versioning(ctx: OperationContext, params: Params) -> Result:
    """``Status`` is ``Enabled`` or ``Suspended``: "After you enable a versioning state on a
    bucket, you can never return it to an unversioned state. But you can suspend versioning"
    (``Versioning``). MFA delete needs an MFA device serial and code with the request; it is
    not served here."""
    bucket = get_bucket(ctx, params)
    config = params.get("VersioningConfiguration") or {}
    status = config.get("Status")
    if status not in (versions.ENABLED, versions.SUSPENDED):
        raise error(
            "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"
        )
    if config.get("MFADelete") == "Enabled" or params.get("MFA") is not None:
        raise Unserved("MFA delete is not implemented by localiam.")
    s3_store.update_bucket(ctx.tx, bucket.name, versioning=status)
    return {}


@SERVICE.operation("GetBucketVersioning", action="s3:GetBucketVersioning", authorizer=_authorize_bucket, signed=False)
def get_bucket_versioning(ctx: OperationContext, params: Params) -> Result:
    """A bucket that was never versioned answers an empty ``VersioningConfiguration``."""
    bucket = get_bucket(ctx, params)
    return {"Status": bucket.versioning} if bucket.versioning is not None else {}


# ----------------------------------------------------------------------------- ListObjectVersions
def _authorize_list(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``s3:ListBucketVersions`` with ``s3:prefix``, ``s3:delimiter`` and ``s3:max-keys``."""
    bucket = get_bucket(ctx, params)
    keys: dict[str, str | list[str]] = {}
    for name, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys")):
        if params.get(name) is not None:
            keys[key] = str(params[name])
    access.check_bucket(ctx, "s3:ListBucketVersions", bucket, keys)


def _all_versions(ctx: OperationContext, bucket: Bucket, low: str) -> Iterator[tuple[str, bool, dict[str, Any]]]:
    """``(key, is_latest, row)`` of every version whose key is ``low`` or past it, by key and
    newest first: a key's current object (``s3_objects``) before its other versions."""
    current = ((key, 0, row) for key, row in s3_store.iter_objects(ctx.tx, bucket.name, prefix=low))
    others = ((row["key"], 1, row) for row in s3_versions_store.iter_versions(ctx.tx, bucket.name, prefix=low))
    last_key: str | None = None
    for key, _rank, row in heapq.merge(current, others, key=lambda entry: (entry[0], entry[1])):
        first = key != last_key
        last_key = key
        yield key, first, row


def _entry(ctx: OperationContext, key: str, latest: bool, row: Mapping[str, Any], encode: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Key": listing.url_encode_key(key) if encode else key,
        "VersionId": versions.version_of(row),
        "IsLatest": latest,
        "LastModified": http_time(row["last_modified"]),
        "Owner": {"ID": canonical_id(ctx, row["owner_account"])},
    }
    if row.get("delete_marker"):
        return item
    stored = loads(row["headers"], {})
    item.update(ETag=row["etag"], Size=row["size"], StorageClass=stored.get("StorageClass", "STANDARD"))
    checksums = loads(row["checksums"], {})
    if checksums:
        item["ChecksumAlgorithm"] = [name.removeprefix("Checksum") for name in checksums]
    return item


@SERVICE.operation("ListObjectVersions", action="s3:ListBucketVersions", authorizer=_authorize_list, signed=False)
def list_object_versions(ctx: OperationContext, params: Params) -> Result:
    """Versions and delete markers by key, each key's newest first. ``KeyMarker`` alone
    resumes after that key's versions; with ``VersionIdMarker``, after that version. A
    ``Delimiter`` rolls keys up into ``CommonPrefixes`` as ListObjects does, each counting
    once against ``MaxKeys``."""
    bucket = get_bucket(ctx, params)
    prefix = str(params.get("Prefix") or "")
    delimiter = params.get("Delimiter") or None
    max_keys = listing.check_max_keys(params.get("MaxKeys"))
    encode = listing.check_encoding_type(params.get("EncodingType")) is not None
    key_marker = str(params.get("KeyMarker") or "")
    version_marker = params.get("VersionIdMarker")
    if version_marker is not None and not key_marker:
        raise error(
            "InvalidArgument",
            "A version-id marker cannot be specified without a key marker.",
            ArgumentName="version-id-marker",
            ArgumentValue=str(version_marker),
        )
    out: dict[str, Any] = {"Name": bucket.name, "Prefix": prefix, "MaxKeys": max_keys, "KeyMarker": key_marker}
    if version_marker is not None:
        out["VersionIdMarker"] = version_marker
    if delimiter is not None:
        out["Delimiter"] = delimiter
    if encode:
        out["EncodingType"] = "url"
    found: list[dict[str, Any]] = []
    markers: list[dict[str, Any]] = []
    prefixes: list[str] = []
    count = 0
    truncated = False
    skipping = version_marker is not None
    last: tuple[str, str | None] | None = None
    for key, latest, row in _all_versions(ctx, bucket, max(prefix, key_marker)):
        if not key.startswith(prefix):
            if key > prefix:
                break
            continue
        if key_marker and (key < key_marker or (key == key_marker and version_marker is None)):
            continue
        if skipping:
            if key == key_marker:
                skipping = versions.version_of(row) != version_marker
                continue
            skipping = False
        group = _common_prefix(key, prefix, delimiter)
        if group is not None and (group in prefixes or group <= key_marker):
            continue
        if count == max_keys:
            truncated = True
            break
        count += 1
        if group is not None:
            prefixes.append(group)
            last = (group, None)
            continue
        (markers if row.get("delete_marker") else found).append(_entry(ctx, key, latest, row, encode))
        last = (key, versions.version_of(row))
    out["IsTruncated"] = truncated
    if truncated and last is not None:
        out["NextKeyMarker"] = listing.url_encode_key(last[0]) if encode else last[0]
        if last[1] is not None:
            out["NextVersionIdMarker"] = last[1]
    if found:
        out["Versions"] = found
    if markers:
        out["DeleteMarkers"] = markers
    if prefixes:
        out["CommonPrefixes"] = [{"Prefix": listing.url_encode_key(p) if encode else p} for p in prefixes]
    return out


def _common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    at = key.find(delimiter, len(prefix))
    return key[: at + len(delimiter)] if at >= 0 else None
