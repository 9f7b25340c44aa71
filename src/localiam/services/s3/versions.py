"""Object versions in a bucket whose versioning was ever enabled (``Versioning``, Amazon S3
User Guide; ``API_PutObject``, ``API_DeleteObject``, ``DeletingObjectVersions``).

- *Enabled*: every write makes a new version with a fresh version id; the object it replaces
  stays as a noncurrent version. A delete without a version id inserts a *delete marker* as
  the current version (``DeleteMarker``: "A delete marker [...] is a placeholder (marker) for a
  versioned object [...] Amazon S3 behaves as if the object is deleted").
- *Suspended* (``VersionSuspendedBehavior``): writes and deletes make the ``null`` version,
  replacing any earlier ``null`` version (an object or a delete marker); versions with ids stay.
- A delete *with* a version id removes that version for good; when it was the current one,
  the newest remaining version becomes current ("If you delete the current version [...] the
  previous version becomes the current version"; removing a current delete marker restores
  the object).

Rows: the current object in ``s3_objects`` (:mod:`localiam.state.s3_store`), the others in
:mod:`localiam.state.s3_versions_store`. Bodies of removed versions go once committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from localiam.services.base import OperationContext, Result
from localiam.services.s3.acl import owner_full_control
from localiam.services.s3.common import Bucket, canonical_id, dumps, error
from localiam.state import s3_store, s3_versions_store

ENABLED = "Enabled"
SUSPENDED = "Suspended"
NULL = "null"
_OBJECT_COLUMNS = (
    "body_ref",
    "size",
    "etag",
    "owner_account",
    "acl",
    "headers",
    "tags",
    "checksums",
    "parts",
    "part_sizes",
    "last_modified",
)


def new_version_id() -> str:
    """An opaque version id: 32 URL-safe characters, like S3's."""
    return secrets.token_urlsafe(24)


def version_of(row: Mapping[str, Any]) -> str:
    """A row's version id as the API names it (``null`` for the null version)."""
    return str(row.get("version_id") or NULL)


def forget_object(ctx: OperationContext, bucket: Bucket, key: str) -> None:
    """Drop what this transaction remembers of the key's current row (it changed)."""
    ctx.tx.memo.pop(("s3-object", bucket.name, key), None)


def _drop_body_after_commit(ctx: OperationContext, ref: str) -> None:
    if ref and ctx.bodies is not None:
        bodies = ctx.bodies
        ctx.after_commit.append(lambda: bodies.delete(ref))


def _archive(ctx: OperationContext, row: Mapping[str, Any]) -> None:
    """Move the current object ``row`` among the key's noncurrent versions."""
    values = {name: row[name] for name in _OBJECT_COLUMNS}
    s3_versions_store.add(
        ctx.tx, bucket=row["bucket"], key=row["key"], version_id=version_of(row), delete_marker=False, **values
    )
    s3_store.delete_object(ctx.tx, row["bucket"], row["key"])


def _drop_null_version(ctx: OperationContext, bucket: Bucket, key: str) -> None:
    """Suspended versioning replaces the key's noncurrent ``null`` version, if any."""
    old = s3_versions_store.version(ctx.tx, bucket.name, key, NULL)
    if old is not None:
        s3_versions_store.remove(ctx.tx, bucket.name, key, NULL)
        _drop_body_after_commit(ctx, old["body_ref"])


def before_write(ctx: OperationContext, bucket: Bucket, key: str) -> str | None:
    """Make room for a new current object of ``key``; the version id it gets (``None``: the
    null version, which replaces a current null object in place)."""
    forget_object(ctx, bucket, key)
    if bucket.versioning is None:
        return None
    current = s3_store.obj(ctx.tx, bucket.name, key)
    if bucket.versioning == ENABLED:
        if current is not None:
            _archive(ctx, current)
        return new_version_id()
    if current is not None and current["version_id"] is not None:
        _archive(ctx, current)
    _drop_null_version(ctx, bucket, key)
    return None


def delete_marker(ctx: OperationContext, bucket: Bucket, key: str, owner_account: str) -> Result:
    """``DeleteObject`` without a version id on a versioned bucket: a delete marker becomes the
    current version (the null one when versioning is suspended)."""
    forget_object(ctx, bucket, key)
    current = s3_store.obj(ctx.tx, bucket.name, key)
    if bucket.versioning == ENABLED:
        version_id = new_version_id()
        if current is not None:
            _archive(ctx, current)
    else:
        version_id = NULL
        if current is not None and current["version_id"] is None:
            s3_store.delete_object(ctx.tx, bucket.name, key)
            _drop_body_after_commit(ctx, current["body_ref"])
        elif current is not None:
            _archive(ctx, current)
        _drop_null_version(ctx, bucket, key)
    s3_versions_store.add(
        ctx.tx,
        bucket=bucket.name,
        key=key,
        version_id=version_id,
        delete_marker=True,
        body_ref="",
        size=0,
        etag="",
        owner_account=owner_account,
        acl=owner_full_control(canonical_id(ctx, owner_account)).to_json(),
        headers="{}",
        tags=dumps({}),
        checksums="{}",
        parts=None,
        part_sizes=None,
        last_modified=ctx.now,
    )
    return {"DeleteMarker": True, "VersionId": version_id}


def find_version(ctx: OperationContext, bucket: Bucket, key: str, version_id: str) -> dict[str, Any] | None:
    """The version ``version_id`` of ``key`` (current or not), with ``delete_marker`` and
    ``is_latest`` set; ``None`` when there is none."""
    check_version_id(version_id)
    current = s3_store.obj(ctx.tx, bucket.name, key)
    if current is not None and version_of(current) == version_id:
        return {**current, "delete_marker": False, "is_latest": True}
    found = s3_versions_store.version(ctx.tx, bucket.name, key, version_id)
    if found is None:
        return None
    newest = s3_versions_store.newest(ctx.tx, bucket.name, key) if current is None else None
    return {**found, "is_latest": newest is not None and newest["version_id"] == version_id}


def current_delete_marker(ctx: OperationContext, bucket: Bucket, key: str) -> dict[str, Any] | None:
    """The delete marker that is ``key``'s current version, if it has one."""
    if bucket.versioning is None or s3_store.obj(ctx.tx, bucket.name, key) is not None:
        return None
    newest = s3_versions_store.newest(ctx.tx, bucket.name, key)
    return newest if newest is not None and newest["delete_marker"] else None


def delete_version(ctx: OperationContext, bucket: Bucket, key: str, version_id: str) -> Result:
    """``DeleteObject`` with a version id: that version is removed for good; the newest of
    the rest becomes current. A version that does not exist is no error (204)."""
    forget_object(ctx, bucket, key)
    found = find_version(ctx, bucket, key, version_id)
    out: dict[str, Any] = {"VersionId": version_id}
    if found is None:
        return out
    if found["delete_marker"]:
        out["DeleteMarker"] = True
    current = s3_store.obj(ctx.tx, bucket.name, key)
    if current is not None and version_of(current) == version_id:
        s3_store.delete_object(ctx.tx, bucket.name, key)
    else:
        s3_versions_store.remove(ctx.tx, bucket.name, key, version_id)
    _drop_body_after_commit(ctx, found["body_ref"])
    _promote(ctx, bucket, key)
    return out


def _promote(ctx: OperationContext, bucket: Bucket, key: str) -> None:
    """Keep the invariant: when the key has no current object and its newest version is an
    object, that version becomes the current object."""
    if s3_store.obj(ctx.tx, bucket.name, key) is not None:
        return
    newest = s3_versions_store.newest(ctx.tx, bucket.name, key)
    if newest is None or newest["delete_marker"]:
        return
    s3_versions_store.remove(ctx.tx, bucket.name, key, newest["version_id"])
    values = {name: newest[name] for name in _OBJECT_COLUMNS}
    version_id = None if newest["version_id"] == NULL else newest["version_id"]
    s3_store.put_object(ctx.tx, bucket=bucket.name, key=key, version_id=version_id, **values)


def update(ctx: OperationContext, bucket: Bucket, key: str, version_id: str, **values: Any) -> None:
    """Change a version's tags or ACL, current or not."""
    forget_object(ctx, bucket, key)
    current = s3_store.obj(ctx.tx, bucket.name, key)
    if current is not None and version_of(current) == version_id:
        s3_store.update_object(ctx.tx, bucket.name, key, **values)
    else:
        s3_versions_store.update(ctx.tx, bucket.name, key, version_id, **values)


def answer(bucket: Bucket, version_id: str | None) -> dict[str, str]:
    """The ``VersionId`` a write answers with: in a bucket that was ever versioned, the new
    version's (``null`` while suspended); none otherwise."""
    return {"VersionId": version_id or NULL} if bucket.versioning is not None else {}


def check_version_id(version_id: str) -> None:
    """``null`` or an id of S3's alphabet; anything else is ``InvalidArgument``."""
    if version_id == NULL:
        return
    if not version_id or len(version_id) > 1024 or not all(c.isalnum() or c in "-_.+/=" for c in version_id):
        raise error(
            "InvalidArgument", "Invalid version id specified", ArgumentName="versionId", ArgumentValue=version_id
        )
