"""S3 operations as the Amazon S3 API Reference and User Guide document them, with boto3
against a real server: multipart uploads, listings, multi-object delete, copies, tagging and
tag conditions, prefix-scoped listing, ranged and conditional reads, integrity checks and the
bucket lifecycle. Each test's docstring names the page it follows.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
import zlib
from typing import Any

import pytest
from e2e_helpers import Keys, allow, deny, error_of, make_user, policy, root_keys

from localiam.testing import LocaliamServer

BUCKET = "ops-bucket"
MIB = 1024 * 1024


@pytest.fixture
def s3(server: LocaliamServer) -> Any:
    """The management account's root user over S3, with ``BUCKET`` created."""
    client = root_keys(server).client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _canonical(client: Any) -> str:
    return str(client.list_buckets()["Owner"]["ID"])


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _keys(client: Any, **kwargs: Any) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET, **kwargs).get("Contents", [])]


def _multipart(client: Any, key: str, *parts: bytes) -> str:
    """Upload ``parts`` as parts 1..n of one multipart upload of ``key`` and complete it."""
    upload_id = client.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    listed = [
        {
            "PartNumber": n,
            "ETag": client.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=n, Body=p)["ETag"],
        }
        for n, p in enumerate(parts, 1)
    ]
    answer = client.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    return str(answer["ETag"])


# ----------------------------------------------------------------------------- multipart


def test_multipart_upload_complete_and_its_errors(s3: Any) -> None:
    """``mpuoverview`` / ``API_CompleteMultipartUpload``: parts need not be consecutive; every
    part but the last must be at least 5 MiB (``EntityTooSmall``); a part that was not uploaded
    or whose ETag does not match is ``InvalidPart``; parts must be listed in ascending order
    (``InvalidPartOrder``). A failed completion leaves the upload usable. The object's ETag is
    the MD5 of the concatenated binary part MD5s, then ``-N`` (``checking-object-integrity``,
    "Using part-level checksums for multipart uploads"); ``API_ListParts`` lists the parts and
    ``API_ListMultipartUploads`` the upload until it is completed, after which it is gone
    (``NoSuchUpload``)."""
    key = "big/object.bin"
    small1, big, small3 = b"a" * 100, b"b" * (5 * MIB), b"c" * 1000
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key, ContentType="application/x-test")["UploadId"]
    etags = {}
    for number, data in ((1, small1), (2, big), (3, small3)):
        answer = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        etags[number] = answer["ETag"]
        assert answer["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'

    parts = s3.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts["Parts"]] == [
        (1, etags[1], 100),
        (2, etags[2], 5 * MIB),
        (3, etags[3], 1000),
    ]
    assert parts["IsTruncated"] is False
    uploads = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, upload_id)]

    def complete(*numbers: int, etag: dict[int, str] | None = None) -> Any:
        chosen = {**etags, **(etag or {})}
        return s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": chosen[n]} for n in numbers]},
        )

    err = error_of(complete, 2, 3, etag={3: '"' + "0" * 32 + '"'})
    assert (err["Code"], err["status"]) == ("InvalidPart", 400)
    err = error_of(complete, 2, 4, etag={4: etags[3]})
    assert (err["Code"], err["status"]) == ("InvalidPart", 400)
    err = error_of(complete, 1, 3)
    assert (err["Code"], err["status"]) == ("EntityTooSmall", 400)
    err = error_of(complete, 2, 1)
    assert (err["Code"], err["status"]) == ("InvalidPartOrder", 400)

    done = complete(2, 3)
    expected = hashlib.md5(hashlib.md5(big).digest() + hashlib.md5(small3).digest()).hexdigest() + "-2"
    assert done["ETag"] == f'"{expected}"'
    assert (done["Bucket"], done["Key"]) == (BUCKET, key)
    got = s3.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].read() == big + small3
    assert (got["ETag"], got["ContentType"], got["ContentLength"]) == (
        f'"{expected}"',
        "application/x-test",
        len(big) + 1000,
    )
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    err = error_of(s3.list_parts, Bucket=BUCKET, Key=key, UploadId=upload_id)
    assert (err["Code"], err["status"]) == ("NoSuchUpload", 404)


def test_parts_count_only_when_a_part_number_is_asked(s3: Any) -> None:
    """``API_HeadObject``, ``PartsCount``: "This value is only returned if you specify
    partNumber in your request and the object was uploaded as a multipart upload"."""
    key = "two-parts"
    _multipart(s3, key, b"x" * (5 * MIB), b"tail")
    assert "PartsCount" not in s3.head_object(Bucket=BUCKET, Key=key)
    assert s3.head_object(Bucket=BUCKET, Key=key, PartNumber=1)["PartsCount"] == 2


def test_get_object_part_number_reads_that_part(s3: Any) -> None:
    """``API_GetObject``, ``partNumber``: "Effectively performs a 'ranged' GET request for the
    part specified" - part 1's bytes, with ``PartsCount``."""
    key = "parts"
    _multipart(s3, key, b"1" * (5 * MIB), b"2222")
    got = s3.get_object(Bucket=BUCKET, Key=key, PartNumber=2)
    body = got["Body"].read()  # read it all: an unread streamed answer holds the server's shutdown
    assert (len(body), got.get("PartsCount")) == (4, 2)
    assert body == b"2222"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["ContentRange"] == f"bytes {5 * MIB}-{5 * MIB + 3}/{5 * MIB + 4}"
    err = error_of(s3.get_object, Bucket=BUCKET, Key=key, PartNumber=3)
    assert (err["Code"], err["status"]) == ("InvalidPartNumber", 416)


def test_abort_multipart_upload(s3: Any) -> None:
    """``API_AbortMultipartUpload``: the upload and its parts are gone; later calls naming it
    are ``NoSuchUpload`` (404) and ``ListMultipartUploads`` no longer lists it."""
    key = "aborted"
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1, Body=b"part")
    s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
    for call, kwargs in (
        (s3.list_parts, {}),
        (s3.upload_part, {"PartNumber": 2, "Body": b"more"}),
        (
            s3.complete_multipart_upload,
            {"MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}},
        ),
        (s3.abort_multipart_upload, {}),
    ):
        err = error_of(call, Bucket=BUCKET, Key=key, UploadId=upload_id, **kwargs)
        assert (err["Code"], err["status"]) == ("NoSuchUpload", 404)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=BUCKET)
    assert error_of(s3.head_object, Bucket=BUCKET, Key=key)["status"] == 404


def test_list_multipart_uploads_prefix_and_delimiter(s3: Any) -> None:
    """``API_ListMultipartUploads``: uploads in ascending key order, ``Prefix`` and
    ``Delimiter`` roll keys up into ``CommonPrefixes`` as object listings do; several uploads of
    one key are listed each."""
    ids = {}
    for key in ("logs/b", "logs/a", "logs/a", "data/x", "top"):
        ids.setdefault(key, []).append(s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"])
    every = s3.list_multipart_uploads(Bucket=BUCKET)["Uploads"]
    assert [u["Key"] for u in every] == ["data/x", "logs/a", "logs/a", "logs/b", "top"]
    assert sorted(u["UploadId"] for u in every if u["Key"] == "logs/a") == sorted(ids["logs/a"])
    rolled = s3.list_multipart_uploads(Bucket=BUCKET, Delimiter="/")
    assert [u["Key"] for u in rolled["Uploads"]] == ["top"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["data/", "logs/"]
    logs = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="logs/")
    assert [u["Key"] for u in logs["Uploads"]] == ["logs/a", "logs/a", "logs/b"]


# ----------------------------------------------------------------------------- listing


PHOTOS = [
    "photos/2006/January/sample.jpg",
    "photos/2006/February/sample2.jpg",
    "photos/2006/February/sample3.jpg",
    "photos/2006/February/sample4.jpg",
    "sample.jpg",
]


def test_list_objects_v2_prefix_delimiter_common_prefixes(s3: Any) -> None:
    """``using-prefixes`` (the ``photos/2006/`` example) and ``API_ListObjectsV2``: a delimiter
    rolls keys up into ``CommonPrefixes``; ``KeyCount`` counts keys and common prefixes."""
    for key in PHOTOS:
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"")
    top = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
    assert [o["Key"] for o in top["Contents"]] == ["sample.jpg"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/"]
    assert (top["KeyCount"], top["Delimiter"], top["IsTruncated"]) == (2, "/", False)
    year = s3.list_objects_v2(Bucket=BUCKET, Prefix="photos/2006/", Delimiter="/")
    assert "Contents" not in year
    assert [p["Prefix"] for p in year["CommonPrefixes"]] == ["photos/2006/February/", "photos/2006/January/"]
    assert (year["Prefix"], year["KeyCount"]) == ("photos/2006/", 2)
    feb = s3.list_objects_v2(Bucket=BUCKET, Prefix="photos/2006/February/")
    assert [o["Key"] for o in feb["Contents"]] == PHOTOS[1:4]
    assert _keys(s3, Prefix="nothing/") == []


def test_list_objects_v2_pagination_start_after_and_paginator(s3: Any) -> None:
    """``API_ListObjectsV2``: ``MaxKeys`` pages with ``IsTruncated`` and
    ``NextContinuationToken``; ``StartAfter`` starts after a key; boto3's paginator visits every
    key exactly once."""
    keys = [f"k{i:03d}" for i in range(27)]
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    first = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=10)
    assert [o["Key"] for o in first["Contents"]] == keys[:10]
    assert (first["IsTruncated"], first["KeyCount"], first["MaxKeys"]) == (True, 10, 10)
    second = s3.list_objects_v2(Bucket=BUCKET, MaxKeys=10, ContinuationToken=first["NextContinuationToken"])
    assert [o["Key"] for o in second["Contents"]] == keys[10:20]
    assert second["ContinuationToken"] == first["NextContinuationToken"]
    after = s3.list_objects_v2(Bucket=BUCKET, StartAfter="k020")
    assert [o["Key"] for o in after["Contents"]] == keys[21:]
    assert (after["StartAfter"], after["IsTruncated"]) == ("k020", False)
    assert "NextContinuationToken" not in after

    seen: list[str] = []
    pages = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, PaginationConfig={"PageSize": 7}):
        pages += 1
        seen.extend(o["Key"] for o in page.get("Contents", []))
    assert seen == keys and pages == 4
    err = error_of(s3.list_objects_v2, Bucket=BUCKET, ContinuationToken="not-a-token")
    assert (err["Code"], err["status"]) == ("InvalidArgument", 400)


def test_list_objects_v2_owner_only_with_fetch_owner(s3: Any) -> None:
    """``API_ListObjectsV2``, ``FetchOwner``: "The owner field is not present in ListObjectsV2
    by default. If you want to return the owner field with each key in the result, then set the
    FetchOwner field to true." ListObjects (V1) always returns it."""
    s3.put_object(Bucket=BUCKET, Key="owned", Body=b"x")
    plain = s3.list_objects_v2(Bucket=BUCKET)["Contents"][0]
    assert "Owner" not in plain
    assert (plain["Size"], plain["StorageClass"]) == (1, "STANDARD")
    owned = s3.list_objects_v2(Bucket=BUCKET, FetchOwner=True)["Contents"][0]
    assert owned["Owner"]["ID"] == _canonical(s3)
    assert s3.list_objects(Bucket=BUCKET)["Contents"][0]["Owner"]["ID"] == _canonical(s3)


def test_list_objects_v1_marker_and_next_marker(s3: Any) -> None:
    """``API_ListObjects``: ``Marker`` starts after a key; ``NextMarker`` "is returned only if
    you have the delimiter request parameter specified. If the response does not include the
    NextMarker element and it is truncated, you can use the value of the last Key element in
    the response as the marker parameter"."""
    for key in ("a/1", "a/2", "b", "c/1", "d", "e"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"")
    plain = s3.list_objects(Bucket=BUCKET, MaxKeys=2)
    assert [o["Key"] for o in plain["Contents"]] == ["a/1", "a/2"]
    assert plain["IsTruncated"] is True and "NextMarker" not in plain
    rest = s3.list_objects(Bucket=BUCKET, Marker=plain["Contents"][-1]["Key"])
    assert [o["Key"] for o in rest["Contents"]] == ["b", "c/1", "d", "e"]
    assert (rest["Marker"], rest["IsTruncated"]) == ("a/2", False)

    rolled = s3.list_objects(Bucket=BUCKET, Delimiter="/", MaxKeys=2)
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["a/"]
    assert [o["Key"] for o in rolled["Contents"]] == ["b"]
    assert (rolled["IsTruncated"], rolled["NextMarker"]) == (True, "b")
    following = s3.list_objects(Bucket=BUCKET, Delimiter="/", MaxKeys=2, Marker=rolled["NextMarker"])
    assert [p["Prefix"] for p in following["CommonPrefixes"]] == ["c/"]
    assert [o["Key"] for o in following["Contents"]] == ["d"]
    assert following["NextMarker"] == "d"
    last = s3.list_objects(Bucket=BUCKET, Delimiter="/", MaxKeys=2, Marker="d")
    assert [o["Key"] for o in last["Contents"]] == ["e"]
    assert last["IsTruncated"] is False and "NextMarker" not in last


def test_encoding_type_url(s3: Any) -> None:
    """``API_ListObjectsV2`` / ``API_ListObjects``, ``EncodingType``: with ``url`` S3
    URL-encodes ``Key``, ``Prefix``, ``Delimiter`` and ``StartAfter`` (V1: ``Marker`` and
    ``NextMarker``) in the response (object key names may contain characters XML 1.0 cannot
    carry). boto3 asks for it by itself and decodes the answer when the caller did not set it,
    so what it echoes must be encoded too; asked for explicitly, the caller gets the encoded
    keys."""
    key = "dir with space/café ☕.txt"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"coffee")
    s3.put_object(Bucket=BUCKET, Key="z+1%", Body=b"")
    assert _keys(s3) == [key, "z+1%"]  # boto3 encodes and decodes for the caller
    after = s3.list_objects_v2(Bucket=BUCKET, StartAfter="a+b%c")
    assert after["StartAfter"] == "a+b%c"
    assert [o["Key"] for o in after["Contents"]] == [key, "z+1%"]
    marked = s3.list_objects(Bucket=BUCKET, Marker="z+")
    assert (marked["Marker"], [o["Key"] for o in marked["Contents"]]) == ("z+", ["z+1%"])
    raw = s3.list_objects_v2(Bucket=BUCKET, EncodingType="url", Prefix="dir with space/")
    encoded = raw["Contents"][0]["Key"]
    assert raw["EncodingType"] == "url"
    assert " " not in encoded and encoded.isascii()
    assert urllib.parse.unquote_plus(encoded) == key
    assert urllib.parse.unquote_plus(raw["Prefix"]) == "dir with space/"
    v1 = s3.list_objects(Bucket=BUCKET, EncodingType="url", Delimiter=" ")
    assert [urllib.parse.unquote_plus(p["Prefix"]) for p in v1["CommonPrefixes"]] == ["dir "]
    err = error_of(s3.list_objects_v2, Bucket=BUCKET, EncodingType="base64")
    assert (err["Code"], err["status"]) == ("InvalidArgument", 400)


# ----------------------------------------------------------------------------- DeleteObjects


def test_delete_objects_reports_denied_keys_and_deletes_the_rest(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``API_DeleteObjects``: each key is authorized on its own (``s3:DeleteObject``); a key the
    caller may not delete comes back under ``Errors`` with ``AccessDenied`` while the others are
    deleted. In quiet mode "the response includes only keys where the delete action
    encountered an error"."""
    for key in ("a", "b", "protected/c", "q1", "q2", "protected/q3"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    user = make_user(
        iam,
        server,
        "deleter",
        inline=policy(
            allow("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/*"),
            deny("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/protected/*"),
        ),
    )
    client = user.client("s3")
    answer = client.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "a"}, {"Key": "protected/c"}, {"Key": "b"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["a", "b", "missing"]
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("protected/c", "AccessDenied")]
    assert _keys(s3) == ["protected/c", "protected/q3", "q1", "q2"]

    quiet = client.delete_objects(
        Bucket=BUCKET, Delete={"Objects": [{"Key": "q1"}, {"Key": "protected/q3"}, {"Key": "q2"}], "Quiet": True}
    )
    assert "Deleted" not in quiet
    assert [(e["Key"], e["Code"]) for e in quiet["Errors"]] == [("protected/q3", "AccessDenied")]
    assert _keys(s3) == ["protected/c", "protected/q3"]


# ----------------------------------------------------------------------------- CopyObject


def test_copy_object_needs_get_on_source_and_put_on_target(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``API_CopyObject``, Permissions: "You must have read access to the source object and
    write access to the destination bucket" - ``s3:GetObject`` on the source and
    ``s3:PutObject`` on the target."""
    s3.put_object(Bucket=BUCKET, Key="src/file", Body=b"payload")
    target = f"arn:aws:s3:::{BUCKET}/dst/*"
    user = make_user(iam, server, "copier", inline=policy(allow("s3:PutObject", target)))
    client = user.client("s3")
    source = {"Bucket": BUCKET, "Key": "src/file"}
    err = error_of(client.copy_object, Bucket=BUCKET, Key="dst/file", CopySource=source)
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    iam.put_user_policy(
        UserName="copier",
        PolicyName="read",
        PolicyDocument=policy(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/src/*")),
    )
    err = error_of(client.copy_object, Bucket=BUCKET, Key="elsewhere", CopySource=source)
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    result = client.copy_object(Bucket=BUCKET, Key="dst/file", CopySource=source)
    assert result["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    assert s3.get_object(Bucket=BUCKET, Key="dst/file")["Body"].read() == b"payload"


def test_copy_object_metadata_directive(s3: Any) -> None:
    """``API_CopyObject``, ``x-amz-metadata-directive``: ``COPY`` (the default) keeps the
    source's metadata and Content-Type, ``REPLACE`` takes what the request gives. Copying an
    object onto itself without changing anything is ``InvalidRequest``; with ``REPLACE`` it is
    how metadata is changed in place."""
    s3.put_object(Bucket=BUCKET, Key="orig", Body=b"data", ContentType="text/plain", Metadata={"color": "red"})
    source = {"Bucket": BUCKET, "Key": "orig"}
    s3.copy_object(Bucket=BUCKET, Key="kept", CopySource=source, Metadata={"ignored": "yes"})
    kept = s3.head_object(Bucket=BUCKET, Key="kept")
    assert (kept["Metadata"], kept["ContentType"]) == ({"color": "red"}, "text/plain")
    s3.copy_object(
        Bucket=BUCKET,
        Key="replaced",
        CopySource=source,
        MetadataDirective="REPLACE",
        Metadata={"shape": "round"},
        ContentType="application/json",
    )
    replaced = s3.head_object(Bucket=BUCKET, Key="replaced")
    assert (replaced["Metadata"], replaced["ContentType"]) == ({"shape": "round"}, "application/json")
    assert s3.get_object(Bucket=BUCKET, Key="replaced")["Body"].read() == b"data"

    err = error_of(s3.copy_object, Bucket=BUCKET, Key="orig", CopySource=source)
    assert (err["Code"], err["status"]) == ("InvalidRequest", 400)
    s3.copy_object(Bucket=BUCKET, Key="orig", CopySource=source, MetadataDirective="REPLACE", Metadata={"v": "2"})
    assert s3.head_object(Bucket=BUCKET, Key="orig")["Metadata"] == {"v": "2"}
    err = error_of(s3.copy_object, Bucket=BUCKET, Key="x", CopySource={"Bucket": BUCKET, "Key": "absent"})
    assert (err["Code"], err["status"]) == ("NoSuchKey", 404)


# ----------------------------------------------------------------------------- tagging


def test_object_tagging_round_trip(s3: Any) -> None:
    """``object-tagging``, ``API_GetObjectTagging``, ``API_PutObjectTagging``: tags set with
    ``x-amz-tagging`` on PutObject are read back, PutObjectTagging replaces the whole set,
    HeadObject reports ``x-amz-tagging-count``; more than 10 tags is refused."""
    s3.put_object(Bucket=BUCKET, Key="tagged", Body=b"x", Tagging="classification=public&team=a%20b")
    tags = s3.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"classification": "public", "team": "a b"}
    assert s3.get_object(Bucket=BUCKET, Key="tagged")["TagCount"] == 2
    s3.put_object_tagging(Bucket=BUCKET, Key="tagged", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"] == [{"Key": "only", "Value": "one"}]
    eleven = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    err = error_of(s3.put_object_tagging, Bucket=BUCKET, Key="tagged", Tagging={"TagSet": eleven})
    assert err["status"] == 400
    s3.delete_object_tagging(Bucket=BUCKET, Key="tagged")
    assert s3.get_object_tagging(Bucket=BUCKET, Key="tagged")["TagSet"] == []


def test_existing_object_tag_condition_on_get_object(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``tagging-and-policies``: ``s3:ExistingObjectTag/<key>`` - a user may read only objects
    tagged ``classification=public``; retagging an object changes what the user may read."""
    s3.put_object(Bucket=BUCKET, Key="open", Body=b"open", Tagging="classification=public")
    s3.put_object(Bucket=BUCKET, Key="closed", Body=b"closed", Tagging="classification=secret")
    s3.put_object(Bucket=BUCKET, Key="untagged", Body=b"none")
    reader = make_user(
        iam,
        server,
        "tag-reader",
        inline=policy(
            allow(
                "s3:GetObject",
                f"arn:aws:s3:::{BUCKET}/*",
                Condition={"StringEquals": {"s3:ExistingObjectTag/classification": "public"}},
            )
        ),
    ).client("s3")
    assert reader.get_object(Bucket=BUCKET, Key="open")["Body"].read() == b"open"
    for key in ("closed", "untagged"):
        err = error_of(reader.get_object, Bucket=BUCKET, Key=key)
        assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    s3.put_object_tagging(
        Bucket=BUCKET, Key="closed", Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]}
    )
    assert reader.get_object(Bucket=BUCKET, Key="closed")["Body"].read() == b"closed"


def test_request_object_tag_condition_on_put(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``tagging-and-policies``: ``s3:RequestObjectTag/<key>`` - a user may write objects (and
    set tags) only with ``team=blue``; PutObject with tags also needs ``s3:PutObjectTagging``
    (``API_PutObject``). Untagged or otherwise tagged writes are denied."""
    condition = {"StringEquals": {"s3:RequestObjectTag/team": "blue"}}
    writer = make_user(
        iam,
        server,
        "tag-writer",
        inline=policy(
            allow(["s3:PutObject", "s3:PutObjectTagging"], f"arn:aws:s3:::{BUCKET}/*", Condition=condition),
        ),
    ).client("s3")
    writer.put_object(Bucket=BUCKET, Key="blue", Body=b"b", Tagging="team=blue")
    for tagging in ("team=red", None):
        kwargs = {"Tagging": tagging} if tagging else {}
        err = error_of(writer.put_object, Bucket=BUCKET, Key="other", Body=b"o", **kwargs)
        assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    writer.put_object_tagging(Bucket=BUCKET, Key="blue", Tagging={"TagSet": [{"Key": "team", "Value": "blue"}]})
    err = error_of(
        writer.put_object_tagging, Bucket=BUCKET, Key="blue", Tagging={"TagSet": [{"Key": "team", "Value": "red"}]}
    )
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    assert s3.get_object_tagging(Bucket=BUCKET, Key="blue")["TagSet"] == [{"Key": "team", "Value": "blue"}]


# ----------------------------------------------------------------------------- s3:prefix


def test_list_bucket_with_s3_prefix_condition(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``amazon-s3-policy-keys`` (``s3:prefix``, "Allow listing only the objects under a
    folder"): a user allowed ``s3:ListBucket`` only with ``s3:prefix`` ``home/alice/*`` lists
    with that prefix and is denied without it or with another."""
    for key in ("home/alice/notes.txt", "home/bob/notes.txt"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"n")
    alice = make_user(
        iam,
        server,
        "alice",
        inline=policy(
            allow(
                "s3:ListBucket",
                f"arn:aws:s3:::{BUCKET}",
                Condition={"StringLike": {"s3:prefix": "home/alice/*"}},
            )
        ),
    ).client("s3")
    assert _keys(alice, Prefix="home/alice/") == ["home/alice/notes.txt"]
    for kwargs in ({}, {"Prefix": "home/bob/"}, {"Prefix": "home/"}):
        err = error_of(alice.list_objects_v2, Bucket=BUCKET, **kwargs)
        assert (err["Code"], err["status"]) == ("AccessDenied", 403)


# ----------------------------------------------------------------------------- reads


def test_get_object_range(s3: Any) -> None:
    """``API_GetObject``, ``Range`` (RFC 9110 byte ranges, one range per request): the bytes
    asked for with ``Content-Range``; ``bytes=-n`` is the last n bytes; a range starting past
    the end is ``InvalidRange`` (416)."""
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=2-5")
    assert part["Body"].read() == b"2345"
    assert (part["ContentRange"], part["ContentLength"]) == ("bytes 2-5/10", 4)
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=8-100")["ContentRange"] == "bytes 8-9/10"
    err = error_of(s3.get_object, Bucket=BUCKET, Key="digits", Range="bytes=20-30")
    assert (err["Code"], err["status"]) == ("InvalidRange", 416)


def test_get_object_range_is_206_partial_content(s3: Any) -> None:
    """``API_GetObject``: a ranged GET is answered ``206 Partial Content``."""
    s3.put_object(Bucket=BUCKET, Key="digits", Body=b"0123456789")
    part = s3.get_object(Bucket=BUCKET, Key="digits", Range="bytes=2-5")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206


def test_conditional_reads(s3: Any) -> None:
    """``API_GetObject`` / ``conditional-requests``: ``If-None-Match`` with the current ETag is
    ``304 Not Modified``; ``If-Match`` with another ETag is ``412 PreconditionFailed``; matching
    conditions return the object."""
    etag = s3.put_object(Bucket=BUCKET, Key="cond", Body=b"v1")["ETag"]
    err = error_of(s3.get_object, Bucket=BUCKET, Key="cond", IfNoneMatch=etag)
    assert (err["Code"], err["status"]) == ("304", 304)
    err = error_of(s3.head_object, Bucket=BUCKET, Key="cond", IfNoneMatch=etag)
    assert err["status"] == 304
    err = error_of(s3.get_object, Bucket=BUCKET, Key="cond", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert (err["Code"], err["status"]) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=BUCKET, Key="cond", IfMatch=etag)["Body"].read() == b"v1"
    assert s3.get_object(Bucket=BUCKET, Key="cond", IfNoneMatch='"other"')["Body"].read() == b"v1"


def test_not_modified_carries_no_error_document(s3: Any) -> None:
    """``API_GetObject``: If-None-Match with the current ETag is ``304 Not Modified``; RFC 9110
    (15.4.5, 8.6): a 304 has no content, and a Content-Length it carries must be that of the 200
    answer (here 2 bytes), not of an error document."""
    etag = s3.put_object(Bucket=BUCKET, Key="cond", Body=b"v1")["ETag"]
    seen: list[dict[str, str]] = []
    s3.meta.events.register(
        "after-call.s3.GetObject", lambda http_response, **_: seen.append(dict(http_response.headers))
    )
    assert error_of(s3.get_object, Bucket=BUCKET, Key="cond", IfNoneMatch=etag)["status"] == 304
    assert seen[0].get("content-length", "2") in ("0", "2")
    assert "xml" not in seen[0].get("content-type", "")


def test_head_object_of_a_missing_key_is_404_without_a_body(s3: Any) -> None:
    """``API_HeadObject``: "A HEAD request has the same options as a GET operation on an object.
    The response is identical to the GET response except that there is no response body" - a
    missing key is a bare 404 (boto3 reports the code ``404``); GetObject says ``NoSuchKey``."""
    bodies: list[bytes] = []
    s3.meta.events.register("after-call.s3.HeadObject", lambda http_response, **_: bodies.append(http_response.content))
    err = error_of(s3.head_object, Bucket=BUCKET, Key="nowhere")
    assert (err["Code"], err["status"]) == ("404", 404)
    assert bodies == [b""]
    err = error_of(s3.get_object, Bucket=BUCKET, Key="nowhere")
    assert (err["Code"], err["status"], err["Key"]) == ("NoSuchKey", 404, "nowhere")


# ----------------------------------------------------------------------------- integrity


def test_wrong_content_md5_is_bad_digest_and_leaves_nothing(server: LocaliamServer, s3: Any) -> None:
    """``API_PutObject``, ``Content-MD5`` / ``checking-object-integrity``: a body that does not
    match its Content-MD5 is ``BadDigest`` (400) and no object is stored (nor its body kept);
    an earlier object under the key stays as it was."""
    bodies = server.pipeline.bodies
    wrong = _b64(hashlib.md5(b"something else").digest())
    err = error_of(s3.put_object, Bucket=BUCKET, Key="md5", Body=b"payload", ContentMD5=wrong)
    assert (err["Code"], err["status"]) == ("BadDigest", 400)
    assert error_of(s3.head_object, Bucket=BUCKET, Key="md5")["status"] == 404
    assert _keys(s3) == [] and list(bodies.refs()) == []
    s3.put_object(Bucket=BUCKET, Key="md5", Body=b"first", ContentMD5=_b64(hashlib.md5(b"first").digest()))
    stored = list(bodies.refs())
    assert error_of(s3.put_object, Bucket=BUCKET, Key="md5", Body=b"second", ContentMD5=wrong)["Code"] == "BadDigest"
    assert s3.get_object(Bucket=BUCKET, Key="md5")["Body"].read() == b"first"
    assert list(bodies.refs()) == stored and len(stored) == 1


@pytest.mark.parametrize(
    ("algorithm", "member", "digest"),
    [
        ("SHA256", "ChecksumSHA256", lambda data: hashlib.sha256(data).digest()),
        ("CRC32", "ChecksumCRC32", lambda data: zlib.crc32(data).to_bytes(4, "big")),
    ],
)
def test_put_object_with_a_checksum_algorithm(s3: Any, algorithm: str, member: str, digest: Any) -> None:
    """``checking-object-integrity``: with ``x-amz-sdk-checksum-algorithm`` the SDK sends the
    checksum, S3 verifies and stores it, returns it on PutObject and, with
    ``x-amz-checksum-mode: ENABLED``, on GetObject and HeadObject."""
    data = b"checksummed body " * 100
    expected = _b64(digest(data))
    put = s3.put_object(Bucket=BUCKET, Key=algorithm, Body=data, ChecksumAlgorithm=algorithm)
    assert put[member] == expected
    got = s3.get_object(Bucket=BUCKET, Key=algorithm, ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got[member] == expected
    assert s3.head_object(Bucket=BUCKET, Key=algorithm, ChecksumMode="ENABLED")[member] == expected
    assert member not in s3.head_object(Bucket=BUCKET, Key=algorithm)


# ----------------------------------------------------------------------------- buckets


def test_bucket_names_are_global(server: LocaliamServer, s3: Any) -> None:
    """``API_CreateBucket`` / ``bucketnamingrules``: a name another account owns is
    ``BucketAlreadyExists`` (409); in us-east-1 re-creating one's own bucket succeeds; once the
    bucket is deleted the name is free for anyone."""
    other = server.create_account(name="other")
    theirs = Keys(server, other.access_key_id, other.secret_access_key).client("s3")
    err = error_of(theirs.create_bucket, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("BucketAlreadyExists", 409)
    s3.create_bucket(Bucket=BUCKET)
    s3.delete_bucket(Bucket=BUCKET)
    theirs.create_bucket(Bucket=BUCKET)
    assert [b["Name"] for b in theirs.list_buckets()["Buckets"]] == [BUCKET]
    assert s3.list_buckets()["Buckets"] == []


def test_bucket_in_another_region(server: LocaliamServer) -> None:
    """``API_CreateBucket``: outside us-east-1 the request names its region in
    ``LocationConstraint``; creating it again is ``BucketAlreadyOwnedByYou`` (409);
    ``API_GetBucketLocation`` returns the region."""
    keys = root_keys(server)
    eu = server.client("s3", keys.access_key_id, keys.secret_access_key, region_name="eu-west-1")
    config = {"LocationConstraint": "eu-west-1"}
    eu.create_bucket(Bucket="eu-bucket", CreateBucketConfiguration=config)
    err = error_of(eu.create_bucket, Bucket="eu-bucket", CreateBucketConfiguration=config)
    assert (err["Code"], err["status"]) == ("BucketAlreadyOwnedByYou", 409)
    assert eu.get_bucket_location(Bucket="eu-bucket")["LocationConstraint"] == "eu-west-1"
    assert eu.head_bucket(Bucket="eu-bucket")["BucketRegion"] == "eu-west-1"


def test_bucket_errors(s3: Any) -> None:
    """``ErrorResponses``: ``BucketNotEmpty`` (409) deleting a bucket with objects,
    ``NoSuchBucket`` (404) for a bucket that does not exist, ``InvalidBucketName`` (400) for a
    name against ``bucketnamingrules``."""
    s3.put_object(Bucket=BUCKET, Key="keep", Body=b"x")
    err = error_of(s3.delete_bucket, Bucket=BUCKET)
    assert (err["Code"], err["status"]) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=BUCKET, Key="keep")
    s3.delete_bucket(Bucket=BUCKET)
    for call, kwargs in (
        (s3.list_objects_v2, {}),
        (s3.put_object, {"Key": "k", "Body": b"x"}),
        (s3.get_object, {"Key": "k"}),
        (s3.delete_bucket, {}),
    ):
        err = error_of(call, Bucket=BUCKET, **kwargs)
        assert (err["Code"], err["status"]) == ("NoSuchBucket", 404)
    for name in ("ab", "Upper_Case", "ends-with-dash-", "192.168.5.4", "double..dot"):
        err = error_of(s3.create_bucket, Bucket=name)
        assert (err["Code"], err["status"]) == ("InvalidBucketName", 400), name


def test_metadata_and_content_type_round_trip(s3: Any) -> None:
    """``UsingMetadata``: user-defined metadata (``x-amz-meta-*``, stored in lower case) and
    system metadata such as Content-Type come back on GetObject and HeadObject; without a
    Content-Type S3 answers ``binary/octet-stream``."""
    s3.put_object(
        Bucket=BUCKET,
        Key="meta",
        Body=b"{}",
        Metadata={"a": "b", "Mixed-Case": "Value"},
        ContentType="application/json",
    )
    head = s3.head_object(Bucket=BUCKET, Key="meta")
    assert head["Metadata"] == {"a": "b", "mixed-case": "Value"}
    assert head["ContentType"] == "application/json"
    got = s3.get_object(Bucket=BUCKET, Key="meta")
    assert (got["Metadata"], got["ContentType"], got["ContentLength"]) == (head["Metadata"], "application/json", 2)
    s3.put_object(Bucket=BUCKET, Key="plain", Body=b"x")
    assert s3.head_object(Bucket=BUCKET, Key="plain")["ContentType"] == "binary/octet-stream"


def test_list_multipart_uploads_url_encoding(s3: Any) -> None:
    """``API_ListMultipartUploads``, ``EncodingType``: "Amazon S3 encodes the object keys in
    the response"; the caller who asks for it decodes them (botocore decodes only the listings
    for which it added the parameter itself)."""
    from urllib.parse import unquote_plus

    key = "dir/with space+plus/é.bin"
    upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    listed = s3.list_multipart_uploads(Bucket=BUCKET, EncodingType="url", Prefix="dir/")
    assert listed["EncodingType"] == "url"
    assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == [("dir/with+space%2Bplus/%C3%A9.bin", upload_id)]
    assert unquote_plus(listed["Uploads"][0]["Key"]) == key
    grouped = s3.list_multipart_uploads(Bucket=BUCKET, EncodingType="url", Delimiter="/", Prefix="dir/")
    assert [unquote_plus(p["Prefix"]) for p in grouped["CommonPrefixes"]] == ["dir/with space+plus/"]
    plain = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="dir/")
    assert [u["Key"] for u in plain["Uploads"]] == [key]
    s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
