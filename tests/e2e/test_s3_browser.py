"""What browsers send to S3, with boto3 and plain HTTP against a real server: CORS preflight
``OPTIONS`` requests answered by the bucket's CORS rules (``cors``, ``RESTOPTIONSobject``), and
browser-based POST uploads whose policy is signed with SigV4 (``sigv4-UsingHTTPPOST``,
``sigv4-HTTPPOSTConstructPolicy``, ``RESTObjectPOST``), made with botocore's
``generate_presigned_post`` and posted as ``multipart/form-data``.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import urllib3
from botocore.config import Config
from e2e_helpers import allow, make_user, policy, root_keys

from localiam.testing import LocaliamServer

BUCKET = "browser-bucket"
ORIGIN = "https://app.example.com"
HTTP = urllib3.PoolManager(retries=False)


@pytest.fixture
def s3(server: LocaliamServer) -> Any:
    client = root_keys(server).client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def _options(server: LocaliamServer, path: str, headers: dict[str, str]) -> Any:
    return HTTP.request("OPTIONS", f"{server.endpoint}/{BUCKET}/{path}", headers=headers)


def _code(response: Any) -> str:
    return str(ET.fromstring(response.data).findtext("Code"))


# ----------------------------------------------------------------------------- CORS preflight


def test_preflight_is_answered_by_the_first_matching_rule(server: LocaliamServer, s3: Any) -> None:
    """``cors`` ("How does Amazon S3 evaluate the CORS configuration on a bucket?"): the first
    rule whose origin, method and requested headers all match answers with
    ``Access-Control-Allow-*``, ``Expose-Headers`` and ``Max-Age``; no match is 403
    ``CORSResponse``; a bucket without CORS refuses every preflight; ``Origin`` is required."""
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    refused = _options(server, "a.txt", preflight)
    assert (refused.status, _code(refused)) == (403, "CORSResponse")
    rules = [
        {
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["PUT", "POST"],
            "AllowedHeaders": ["x-amz-*", "content-type"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        },
        {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
    ]
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules})
    answer = _options(server, "a.txt", {**preflight, "Access-Control-Request-Headers": "Content-Type, X-Amz-Date"})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Access-Control-Allow-Methods"] == "PUT, POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
    assert answer.headers["Access-Control-Max-Age"] == "300"
    anyone = _options(server, "a.txt", {"Origin": "https://other.test", "Access-Control-Request-Method": "GET"})
    assert (anyone.status, anyone.headers["Access-Control-Allow-Origin"]) == (200, "*")
    not_allowed = _options(server, "a.txt", {"Origin": "https://other.test", "Access-Control-Request-Method": "PUT"})
    assert (not_allowed.status, _code(not_allowed)) == (403, "CORSResponse")
    header_refused = _options(server, "a.txt", {**preflight, "Access-Control-Request-Headers": "authorization"})
    assert header_refused.status == 403
    no_origin = _options(server, "a.txt", {"Access-Control-Request-Method": "GET"})
    assert (no_origin.status, _code(no_origin)) == (400, "BadRequest")


def test_actual_requests_carry_the_rules_cors_headers(server: LocaliamServer, s3: Any) -> None:
    """``cors``: the answer to the request itself (here a presigned GET from a page at
    ``ORIGIN``) carries ``Access-Control-Allow-Origin`` when a rule allows the origin and the
    method, so the browser hands it to the page; a request from another origin gets none."""
    s3.put_object(Bucket=BUCKET, Key="a.txt", Body=b"data")
    rules = [{"AllowedOrigins": [ORIGIN], "AllowedMethods": ["GET"], "ExposeHeaders": ["ETag"]}]
    s3.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": rules})
    url = s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "a.txt"})
    answer = HTTP.request("GET", url, headers={"Origin": ORIGIN})
    assert answer.status == 200 and answer.data == b"data"
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert answer.headers["Access-Control-Expose-Headers"] == "ETag"
    other = HTTP.request("GET", url, headers={"Origin": "https://elsewhere.test"})
    assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers


# ----------------------------------------------------------------------------- POST uploads
V4 = Config(signature_version="s3v4", retries={"max_attempts": 1})


def _post(url: str, fields: dict[str, Any], body: bytes = b"hello world", filename: str = "hello.txt") -> Any:
    """The form as a browser posts it: the fields, then the file last."""
    form: dict[str, Any] = dict(fields)
    form["file"] = (filename, body, "text/plain")
    return HTTP.request("POST", url, fields=form)


def _error(response: Any) -> tuple[int, str, str]:
    document = ET.fromstring(response.data)
    return response.status, str(document.findtext("Code")), str(document.findtext("Message"))


def _v4(server: LocaliamServer, keys: Any = None) -> Any:
    keys = keys or root_keys(server)
    return server.client("s3", keys.access_key_id, keys.secret_access_key, keys.session_token, config=V4)


def test_a_sigv4_post_upload_stores_the_object(server: LocaliamServer, s3: Any) -> None:
    """``sigv4-UsingHTTPPOST``: the form's policy is signed with SigV4 (``x-amz-algorithm``,
    ``x-amz-credential``, ``x-amz-date``, ``x-amz-signature``); ``${filename}`` in ``key`` is
    the file's name; the answer is 204 by default, 201 with a ``PostResponse`` document for
    ``success_action_status`` 201, and a 303 to ``success_action_redirect`` with bucket, key
    and ETag in its query (``RESTObjectPOST``)."""
    post = _v4(server).generate_presigned_post(
        BUCKET,
        "uploads/${filename}",
        Fields={"Content-Type": "text/plain", "x-amz-meta-origin": "browser"},
        Conditions=[
            ["content-length-range", 1, 1024],
            {"Content-Type": "text/plain"},
            {"x-amz-meta-origin": "browser"},
        ],
    )
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    answer = _post(post["url"], post["fields"])
    assert answer.status == 204, answer.data
    assert answer.headers["ETag"] == '"5eb63bbbe01eeed093cb22bb8f5acdc3"'
    got = s3.get_object(Bucket=BUCKET, Key="uploads/hello.txt")
    assert (got["Body"].read(), got["ContentType"], got["Metadata"]) == (
        b"hello world",
        "text/plain",
        {"origin": "browser"},
    )
    created = _v4(server).generate_presigned_post(
        BUCKET, "doc.txt", Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}]
    )
    answer = _post(created["url"], created["fields"])
    assert answer.status == 201
    document = ET.fromstring(answer.data)
    assert (document.findtext("Bucket"), document.findtext("Key")) == (BUCKET, "doc.txt")
    back = "https://app.example.com/done"
    redirected = _v4(server).generate_presigned_post(
        BUCKET,
        "r.txt",
        Fields={"success_action_redirect": back},
        Conditions=[{"success_action_redirect": back}],
    )
    answer = _post(redirected["url"], redirected["fields"])
    assert answer.status == 303
    assert answer.headers["Location"].startswith(back + "?bucket=browser-bucket&key=r.txt&etag=")


def test_sigv2_post_forms_work_too(server: LocaliamServer, s3: Any) -> None:
    """``HTTPPOSTForms``: a form signed with ``AWSAccessKeyId`` and ``signature`` (base64
    HMAC-SHA1 of the policy), what botocore's default signer sends to a custom endpoint in
    us-east-1."""
    post = s3.generate_presigned_post(BUCKET, "v2.txt")
    assert "AWSAccessKeyId" in post["fields"]
    assert _post(post["url"], post["fields"]).status == 204
    assert s3.get_object(Bucket=BUCKET, Key="v2.txt")["Body"].read() == b"hello world"


def test_policy_conditions_are_checked(server: LocaliamServer, s3: Any) -> None:
    """``sigv4-HTTPPOSTConstructPolicy``: an expired policy, a condition a field does not meet,
    a field the policy does not name and a file outside ``content-length-range`` are refused;
    so is a form whose fields were changed after signing, or whose signature is wrong."""
    client = _v4(server)
    expired = client.generate_presigned_post(BUCKET, "k.txt", ExpiresIn=-60)
    assert _error(_post(expired["url"], expired["fields"])) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    post = client.generate_presigned_post(BUCKET, "uploads/${filename}", Conditions=[["content-length-range", 1, 5]])
    status, code, message = _error(_post(post["url"], {**post["fields"], "key": "private/x.txt"}, b"abc"))
    assert (status, code) == (403, "AccessDenied")
    assert message == 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]'
    status, code, message = _error(_post(post["url"], {**post["fields"], "x-amz-meta-extra": "1"}, b"abc"))
    assert (status, code, message) == (
        403,
        "AccessDenied",
        "Invalid according to Policy: Extra input fields: x-amz-meta-extra",
    )
    assert _post(post["url"], {**post["fields"], "x-ignore-note": "1"}, b"abc").status == 204
    assert _error(_post(post["url"], post["fields"], b"too large"))[:2] == (400, "EntityTooLarge")
    assert _error(_post(post["url"], post["fields"], b""))[:2] == (400, "EntityTooSmall")
    document = json.loads(base64.b64decode(post["fields"]["policy"]))
    document["conditions"].append(["starts-with", "$x-amz-meta-anything", ""])
    forged = base64.b64encode(json.dumps(document).encode()).decode()
    status, code, _ = _error(_post(post["url"], {**post["fields"], "policy": forged}, b"abc"))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    unsigned_policy = base64.b64encode(
        json.dumps(
            {"expiration": (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "conditions": []}
        ).encode()
    ).decode()
    anonymous = _post(f"{server.endpoint}/{BUCKET}", {"key": "anon.txt", "policy": unsigned_policy})
    assert _error(anonymous)[:2] == (403, "AccessDenied")
    assert _error(_post(f"{server.endpoint}/{BUCKET}", {"key": "anon.txt"}))[:2] == (403, "AccessDenied")


def test_the_upload_is_authorized_as_s3_put_object_for_the_signer(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """The policy says what the form may hold; the signer's permissions say whether the upload
    happens: ``s3:PutObject`` on the object, evaluated for the principal whose key signed the
    policy, with ``s3:authType`` ``POST`` (``list_amazons3``, ``amazon-s3-policy-keys``). A
    session's key works with its token in ``x-amz-security-token`` (web apps with Cognito
    credentials)."""
    objects = f"arn:aws:s3:::{BUCKET}/uploads/*"
    uploader = make_user(
        iam,
        server,
        "uploader",
        inline=policy(allow("s3:PutObject", objects, Condition={"StringEquals": {"s3:authType": "POST"}})),
    )
    client = _v4(server, uploader)
    allowed = client.generate_presigned_post(BUCKET, "uploads/a.txt")
    assert _post(allowed["url"], allowed["fields"]).status == 204
    outside = client.generate_presigned_post(BUCKET, "private/a.txt")
    status, code, message = _error(_post(outside["url"], outside["fields"]))
    assert (status, code) == (403, "AccessDenied") and "s3:PutObject" in message
    err = client.put_object
    with pytest.raises(Exception) as info:
        err(Bucket=BUCKET, Key="uploads/b.txt", Body=b"x")
    assert "AccessDenied" in str(info.value)
    session = server.client("sts", uploader.access_key_id, uploader.secret_access_key).get_session_token()
    creds = session["Credentials"]
    temporary = server.client("s3", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], config=V4)
    post = temporary.generate_presigned_post(BUCKET, "uploads/session.txt")
    assert "x-amz-security-token" in post["fields"]
    assert _post(post["url"], post["fields"]).status == 204
    assert s3.get_object(Bucket=BUCKET, Key="uploads/session.txt")["Body"].read() == b"hello world"


def test_a_tagging_field_tags_the_object(server: LocaliamServer, iam: Any, s3: Any) -> None:
    """``RESTObjectPOST``: a ``tagging`` field (a ``<Tagging>`` document) tags the new object;
    like PutObject with ``x-amz-tagging`` it also needs ``s3:PutObjectTagging``, with the tags
    as ``s3:RequestObjectTag/<key>`` (``tagging-and-policies``)."""
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>"
    fields = {"tagging": tagging}
    post = _v4(server).generate_presigned_post(BUCKET, "tagged.txt", Fields=fields, Conditions=[fields])
    assert _post(post["url"], post["fields"]).status == 204
    assert s3.get_object_tagging(Bucket=BUCKET, Key="tagged.txt")["TagSet"] == [{"Key": "team", "Value": "web"}]
    objects = f"arn:aws:s3:::{BUCKET}/*"
    only_put = make_user(iam, server, "untagged", inline=policy(allow("s3:PutObject", objects)))
    post = _v4(server, only_put).generate_presigned_post(BUCKET, "t2.txt", Fields=fields, Conditions=[fields])
    status, code, message = _error(_post(post["url"], post["fields"]))
    assert (status, code) == (403, "AccessDenied") and "s3:PutObjectTagging" in message
    iam.put_user_policy(
        UserName="untagged",
        PolicyName="tags",
        PolicyDocument=policy(
            allow("s3:PutObject", objects),
            allow("s3:PutObjectTagging", objects, Condition={"StringEquals": {"s3:RequestObjectTag/team": "web"}}),
        ),
    )
    assert _post(post["url"], post["fields"]).status == 204
