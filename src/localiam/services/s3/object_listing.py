"""Listing a bucket's objects: ListObjects and ListObjectsV2 (``API_ListObjects``,
``API_ListObjectsV2``), authorized as ``s3:ListBucket`` with the ``s3:prefix``,
``s3:delimiter`` and ``s3:max-keys`` keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localiam.services.base import Operation, OperationContext, Params, Result
from localiam.services.s3 import access, listing
from localiam.services.s3._service import SERVICE
from localiam.services.s3.common import Bucket, canonical_id, get_bucket, loads
from localiam.services.s3.objects import http_time
from localiam.state import s3_store


def _authorize_list(ctx: OperationContext, op: Operation, params: Params) -> None:
    """``s3:ListBucket`` with the ``s3:prefix``, ``s3:delimiter`` and ``s3:max-keys`` keys."""
    bucket = get_bucket(ctx, params)
    keys: dict[str, str | list[str]] = {}
    if params.get("Prefix") is not None:
        keys["s3:prefix"] = str(params["Prefix"])
    if params.get("Delimiter") is not None:
        keys["s3:delimiter"] = str(params["Delimiter"])
    if params.get("MaxKeys") is not None:
        keys["s3:max-keys"] = str(params["MaxKeys"])
    access.check_bucket(ctx, "s3:ListBucket", bucket, keys)


def _content(ctx: OperationContext, key: str, row: Mapping[str, Any], encode: bool, owner: bool) -> dict[str, Any]:
    stored = loads(row["headers"], {})
    item: dict[str, Any] = {
        "Key": listing.url_encode_key(key) if encode else key,
        "LastModified": http_time(row["last_modified"]),
        "ETag": row["etag"],
        "Size": row["size"],
        "StorageClass": stored.get("StorageClass", "STANDARD"),
    }
    checksums = loads(row["checksums"], {})
    if checksums:
        item["ChecksumAlgorithm"] = [name.removeprefix("Checksum") for name in checksums]
    if owner:
        item["Owner"] = {"ID": canonical_id(ctx, row["owner_account"])}
    return item


def _listing(
    ctx: OperationContext, params: Params, after: str | None, v2: bool
) -> tuple[Bucket, listing.Page[Any], dict[str, Any]]:
    bucket = get_bucket(ctx, params)
    prefix = str(params.get("Prefix") or "")
    delimiter = params.get("Delimiter") or None
    max_keys = listing.check_max_keys(params.get("MaxKeys"))
    encoding = listing.check_encoding_type(params.get("EncodingType"))
    rows = s3_store.iter_objects(ctx.tx, bucket.name, prefix=prefix, after=after)
    page = listing.list_page(rows, prefix=prefix, delimiter=delimiter, after=after, max_keys=max_keys)
    encode = encoding is not None
    out: dict[str, Any] = {
        "Name": bucket.name,
        "Prefix": listing.url_encode_key(prefix) if encode else prefix,
        "MaxKeys": max_keys,
        "IsTruncated": page.truncated,
    }
    if delimiter is not None:
        out["Delimiter"] = listing.url_encode_key(delimiter) if encode else delimiter
    if encode:
        out["EncodingType"] = encoding
    fetch_owner = not v2 or bool(params.get("FetchOwner"))
    if page.contents:
        out["Contents"] = [_content(ctx, k, row, encode, fetch_owner) for k, row in page.contents]
    if page.common_prefixes:
        out["CommonPrefixes"] = [{"Prefix": listing.url_encode_key(p) if encode else p} for p in page.common_prefixes]
    return bucket, page, out


@SERVICE.operation("ListObjects", action="s3:ListBucket", authorizer=_authorize_list, signed=False)
def list_objects(ctx: OperationContext, params: Params) -> Result:
    marker = params.get("Marker")
    _, page, out = _listing(ctx, params, str(marker) if marker else None, v2=False)
    encode = bool(out.get("EncodingType"))
    # ``API_ListObjects``, ``EncodingType``: Marker is encoded like the keys.
    out["Marker"] = listing.url_encode_key(str(marker)) if marker and encode else marker or ""
    if page.next_marker is not None:
        out["NextMarker"] = listing.url_encode_key(page.next_marker) if encode else page.next_marker
    return out


@SERVICE.operation("ListObjectsV2", action="s3:ListBucket", authorizer=_authorize_list, signed=False)
def list_objects_v2(ctx: OperationContext, params: Params) -> Result:
    token = params.get("ContinuationToken")
    start_after = params.get("StartAfter")
    after = listing.decode_token(str(token)) if token is not None else (str(start_after) if start_after else None)
    _, page, out = _listing(ctx, params, after, v2=True)
    out["KeyCount"] = page.key_count
    if token is not None:
        out["ContinuationToken"] = token
    if start_after:
        # ``API_ListObjectsV2``, ``EncodingType``: StartAfter is encoded like the keys.
        out["StartAfter"] = listing.url_encode_key(str(start_after)) if out.get("EncodingType") else start_after
    if page.truncated and page.last is not None:
        out["NextContinuationToken"] = listing.encode_token(page.last)
    return out
