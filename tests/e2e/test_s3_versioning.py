"""Bucket versioning with boto3 against a real server, as the Amazon S3 User Guide
(``Versioning``, ``AddingObjectstoVersioningEnabledBuckets``, ``DeletingObjectVersions``,
``VersionSuspendedBehavior``) and API Reference (``API_PutBucketVersioning``,
``API_ListObjectVersions``, ``API_GetObject``, ``API_DeleteObject``) describe it; and how
requests that name a version are authorized (Service Authorization Reference,
``list_amazons3``: ``s3:GetObjectVersion``, ``s3:DeleteObjectVersion`` ... with the
``s3:VersionId`` condition key).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from e2e_helpers import allow, deny, error_of, make_user, policy, root_keys

from localiam.testing import LocaliamServer

BUCKET = "versioned-bucket"


@pytest.fixture
def s3(server: LocaliamServer) -> Any:
    client = root_keys(server).client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _enable(s3: Any, status: str = "Enabled") -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": status})


def _versions(s3: Any, **kwargs: Any) -> list[tuple[str, str, bool, bool]]:
    """``(key, version id, is latest, is delete marker)``, in the listing's order per kind."""
    answer = s3.list_object_versions(Bucket=BUCKET, **kwargs)
    rows = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in answer.get("Versions", [])]
    rows += [(m["Key"], m["VersionId"], m["IsLatest"], True) for m in answer.get("DeleteMarkers", [])]
    return rows


def _headers_of(call: Any, **kwargs: Any) -> dict[str, str]:
    """The response headers of a call that fails."""
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return dict(info.value.response["ResponseMetadata"]["HTTPHeaders"])


def test_versioning_state_is_stored_and_never_returns_to_unversioned(s3: Any) -> None:
    """``API_GetBucketVersioning``: a bucket that was never versioned has no ``Status``;
    ``Enabled`` and ``Suspended`` are stored; anything else is ``MalformedXML``."""
    assert "Status" not in s3.get_bucket_versioning(Bucket=BUCKET)
    _enable(s3)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    _enable(s3, "Suspended")
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Suspended"
    err = error_of(s3.put_bucket_versioning, Bucket=BUCKET, VersioningConfiguration={"Status": "Off"})
    assert (err["Code"], err["status"]) == ("MalformedXML", 400)


def test_each_put_makes_a_version_and_old_versions_stay_readable(s3: Any) -> None:
    """``AddingObjectstoVersioningEnabledBuckets``: every PUT gets a new version id; the
    earlier versions stay and ``GetObject`` with ``VersionId`` reads them; the object put
    before versioning was enabled is the ``null`` version."""
    s3.put_object(Bucket=BUCKET, Key="doc", Body=b"v0")
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="doc", Body=b"v1")["VersionId"]
    v2 = s3.put_object(Bucket=BUCKET, Key="doc", Body=b"v2")["VersionId"]
    assert v1 != v2 and "null" not in (v1, v2)
    got = s3.get_object(Bucket=BUCKET, Key="doc")
    assert (got["Body"].read(), got["VersionId"]) == (b"v2", v2)
    assert s3.get_object(Bucket=BUCKET, Key="doc", VersionId=v1)["Body"].read() == b"v1"
    assert s3.get_object(Bucket=BUCKET, Key="doc", VersionId="null")["Body"].read() == b"v0"
    assert s3.head_object(Bucket=BUCKET, Key="doc", VersionId=v1)["VersionId"] == v1
    assert _versions(s3) == [("doc", v2, True, False), ("doc", v1, False, False), ("doc", "null", False, False)]
    err = error_of(s3.get_object, Bucket=BUCKET, Key="doc", VersionId="no-such-version")
    assert (err["Code"], err["status"]) == ("NoSuchVersion", 404)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["doc"]


def test_delete_markers_and_deleting_versions(s3: Any) -> None:
    """``DeletingObjectVersions``: a simple DELETE inserts a delete marker (``GetObject`` then
    404 ``NoSuchKey``; the key leaves ListObjects; GET of the marker's version is 405); a
    DELETE with a version id removes that version for good, and removing the current delete
    marker brings the previous version back."""
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="k", Body=b"one")["VersionId"]
    deleted = s3.delete_object(Bucket=BUCKET, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert error_of(s3.get_object, Bucket=BUCKET, Key="k")["Code"] == "NoSuchKey"
    assert _headers_of(s3.head_object, Bucket=BUCKET, Key="k")["x-amz-delete-marker"] == "true"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)
    err = error_of(s3.get_object, Bucket=BUCKET, Key="k", VersionId=marker)
    assert (err["Code"], err["status"]) == ("MethodNotAllowed", 405)
    headers = _headers_of(s3.head_object, Bucket=BUCKET, Key="k", VersionId=marker)
    assert (headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("true", marker)
    assert "last-modified" in headers
    assert _versions(s3) == [("k", v1, False, False), ("k", marker, True, True)]
    removed = s3.delete_object(Bucket=BUCKET, Key="k", VersionId=marker)
    assert (removed["DeleteMarker"], removed["VersionId"]) == (True, marker)
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"one"
    v2 = s3.put_object(Bucket=BUCKET, Key="k", Body=b"two")["VersionId"]
    s3.delete_object(Bucket=BUCKET, Key="k", VersionId=v2)
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"one"
    s3.delete_object(Bucket=BUCKET, Key="k", VersionId=v1)
    assert _versions(s3) == []
    s3.delete_bucket(Bucket=BUCKET)


def test_a_bucket_with_versions_left_is_not_empty(s3: Any) -> None:
    """``API_DeleteBucket``: "All objects (including all object versions and delete markers)
    in the bucket must be deleted before the bucket itself can be deleted."""
    _enable(s3)
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"x")
    s3.delete_object(Bucket=BUCKET, Key="k")
    err = error_of(s3.delete_bucket, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("BucketNotEmpty", 409)


def test_suspended_versioning_writes_the_null_version(s3: Any) -> None:
    """``VersionSuspendedBehavior``: with versioning suspended a PUT stores the ``null``
    version, replacing the previous ``null`` version; versions with ids stay; a DELETE makes
    a delete marker whose version id is ``null``."""
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="k", Body=b"one")["VersionId"]
    _enable(s3, "Suspended")
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"two")
    s3.put_object(Bucket=BUCKET, Key="k", Body=b"three")
    assert _versions(s3) == [("k", "null", True, False), ("k", v1, False, False)]
    assert s3.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"three"
    deleted = s3.delete_object(Bucket=BUCKET, Key="k")
    assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    assert _versions(s3) == [("k", v1, False, False), ("k", "null", True, True)]


def test_list_object_versions_pages_with_markers_and_delimiter(s3: Any) -> None:
    """``API_ListObjectVersions``: ``KeyMarker``/``VersionIdMarker`` resume where
    ``NextKeyMarker``/``NextVersionIdMarker`` left off; a ``Delimiter`` rolls keys up into
    ``CommonPrefixes``."""
    _enable(s3)
    made = []
    for key in ("a", "a", "b", "dir/x", "dir/y", "c"):
        made.append((key, s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")["VersionId"]))
    seen: list[tuple[str, str]] = []
    kwargs: dict[str, Any] = {"MaxKeys": 2}
    while True:
        page = s3.list_object_versions(Bucket=BUCKET, **kwargs)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {"MaxKeys": 2, "KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    expected = sorted(made, key=lambda kv: (kv[0], -made.index(kv)))
    assert seen == expected
    rolled = s3.list_object_versions(Bucket=BUCKET, Delimiter="/")
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["dir/"]
    assert {v["Key"] for v in rolled["Versions"]} == {"a", "b", "c"}


def test_copy_and_tag_a_version(s3: Any) -> None:
    """``API_CopyObject``: ``CopySource`` may name a version (``CopySourceVersionId`` in the
    answer); ``API_PutObjectTagging`` / ``API_GetObjectTagging`` with ``VersionId`` act on
    that version only."""
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="src", Body=b"first")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="src", Body=b"second")
    copied = s3.copy_object(Bucket=BUCKET, Key="dst", CopySource={"Bucket": BUCKET, "Key": "src", "VersionId": v1})
    assert copied["CopySourceVersionId"] == v1
    assert s3.get_object(Bucket=BUCKET, Key="dst")["Body"].read() == b"first"
    s3.put_object_tagging(Bucket=BUCKET, Key="src", VersionId=v1, Tagging={"TagSet": [{"Key": "old", "Value": "1"}]})
    assert s3.get_object_tagging(Bucket=BUCKET, Key="src", VersionId=v1)["TagSet"] == [{"Key": "old", "Value": "1"}]
    assert s3.get_object_tagging(Bucket=BUCKET, Key="src")["TagSet"] == []


def test_version_requests_are_authorized_as_version_actions(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``list_amazons3``: GetObject with a version id is ``s3:GetObjectVersion`` and DeleteObject
    with one is ``s3:DeleteObjectVersion``, each with ``s3:VersionId`` in the request context;
    ``s3:GetObject`` alone does not read old versions."""
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=BUCKET, Key="k", Body=b"two")["VersionId"]
    objects = f"arn:aws:s3:::{BUCKET}/*"
    reader = make_user(
        iam,
        server,
        "version-reader",
        inline=policy(
            allow(["s3:GetObject", "s3:DeleteObject", "s3:ListBucketVersions"], [objects, f"arn:aws:s3:::{BUCKET}"]),
            allow("s3:GetObjectVersion", objects, Condition={"StringEquals": {"s3:VersionId": v1}}),
            deny("s3:DeleteObjectVersion", objects, Condition={"StringEquals": {"s3:VersionId": v1}}),
            allow("s3:DeleteObjectVersion", objects),
        ),
    ).client("s3")
    assert reader.get_object(Bucket=BUCKET, Key="k")["Body"].read() == b"two"
    assert reader.get_object(Bucket=BUCKET, Key="k", VersionId=v1)["Body"].read() == b"one"
    err = error_of(reader.get_object, Bucket=BUCKET, Key="k", VersionId=v2)
    assert err["Code"] == "AccessDenied" and "s3:GetObjectVersion" in err["Message"]
    err = error_of(reader.delete_object, Bucket=BUCKET, Key="k", VersionId=v1)
    assert err["Code"] == "AccessDenied" and "s3:DeleteObjectVersion" in err["Message"]
    reader.delete_object(Bucket=BUCKET, Key="k", VersionId=v2)
    assert [v[1] for v in _versions(reader)] == [v1]


def test_multi_object_delete_and_multipart_uploads_in_a_versioned_bucket(s3: Any) -> None:
    """``API_DeleteObjects``: an entry without a version id answers ``DeleteMarker`` and
    ``DeleteMarkerVersionId``; one with a version id removes that version.
    ``API_CompleteMultipartUpload``: a completed upload is a new version (``VersionId``)."""
    _enable(s3)
    v1 = s3.put_object(Bucket=BUCKET, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=BUCKET, Key="b", Body=b"2")
    answer = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "a", "VersionId": v1}, {"Key": "b"}]})
    deleted = {d["Key"]: d for d in answer["Deleted"]}
    assert deleted["a"]["VersionId"] == v1 and "DeleteMarker" not in deleted["a"]
    assert deleted["b"]["DeleteMarker"] is True and deleted["b"]["DeleteMarkerVersionId"]
    assert [(k, m) for k, _, _, m in _versions(s3)] == [("b", False), ("b", True)]
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="b")["UploadId"]
    etag = s3.upload_part(Bucket=BUCKET, Key="b", UploadId=upload, PartNumber=1, Body=b"big")["ETag"]
    done = s3.complete_multipart_upload(
        Bucket=BUCKET, Key="b", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    assert done["VersionId"]
    assert s3.get_object(Bucket=BUCKET, Key="b")["Body"].read() == b"big"
    assert len(_versions(s3)) == 3
