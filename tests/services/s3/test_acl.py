"""S3 access control lists (:mod:`localiam.services.s3.acl`).

Pages: Amazon S3 User Guide ``acl-overview`` ("Canned ACL", "Who is a grantee?", "Default
ACL"), ``access-control-block-public-access`` ("The meaning of public"),
``object-ownership-error-responses``, ``example-bucket-policies-condition-keys``; API Reference
``API_PutBucketAcl``, ``API_PutObjectAcl``, ``API_GetBucketAcl``, ``API_OwnershipControlsRule``,
``ErrorResponses``; Service Authorization Reference ``list_amazons3``. Where a page is silent,
the comment names S3's observed answer.
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from localiam.engine.compiled import ALL_USERS as ENGINE_ALL_USERS
from localiam.engine.compiled import AUTHENTICATED_USERS as ENGINE_AUTHENTICATED_USERS
from localiam.engine.compiled import AclGrant
from localiam.errors import AwsError
from localiam.services.s3.acl import (
    ALL_USERS,
    AUTHENTICATED_USERS,
    CANNED_ACLS,
    EC2_CANONICAL_ID,
    LOG_DELIVERY,
    PERMISSIONS,
    Acl,
    Grant,
    acl_allowed_when_enforced,
    acls_not_supported,
    canned,
    from_access_control_policy,
    from_grant_headers,
    from_headers,
    grant_context_keys,
    owner_full_control,
    to_access_control_policy,
)

OWNER = "a" * 64
BUCKET_OWNER = "b" * 64
OTHER = "c" * 64
EMAILS = {"alice@example.com": OTHER}


def resolve(email: str) -> str | None:
    return EMAILS.get(email)


def known(canonical_id: str) -> bool:
    return canonical_id in {OWNER, BUCKET_OWNER, OTHER}


def full(canonical_id: str) -> Grant:
    return Grant("FULL_CONTROL", canonical_id=canonical_id)


def error_of(excinfo: pytest.ExceptionInfo[AwsError]) -> tuple[str, int, str, dict[str, str]]:
    e = excinfo.value
    return e.code, e.status, e.message, e.fields


# --------------------------------------------------------------------------- constants
def test_groups_and_permissions_are_awss() -> None:
    # acl-overview, "Who is a grantee?": the three predefined groups' URIs; "What permissions
    # can I grant?": the five permissions (botocore's Permission enum lists the same).
    assert ALL_USERS == "http://acs.amazonaws.com/groups/global/AllUsers"
    assert AUTHENTICATED_USERS == "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
    assert LOG_DELIVERY == "http://acs.amazonaws.com/groups/s3/LogDelivery"
    model = botocore.session.get_session().get_service_model("s3")
    assert set(PERMISSIONS) == set(model.shape_for("Permission").enum)
    # The engine evaluates the same group URIs.
    assert (ALL_USERS, AUTHENTICATED_USERS) == (ENGINE_ALL_USERS, ENGINE_AUTHENTICATED_USERS)


def test_canned_acl_names_cover_the_object_canned_acls_and_log_delivery_write() -> None:
    # acl-overview, "Canned ACL": the eight names; botocore's ObjectCannedACL has all but
    # log-delivery-write, which the table lists for buckets.
    model = botocore.session.get_session().get_service_model("s3")
    assert set(CANNED_ACLS) == set(model.shape_for("ObjectCannedACL").enum) | {"log-delivery-write"}


# --------------------------------------------------------------------------- canned ACLs
@pytest.mark.parametrize(
    ("name", "extra"),
    [
        # acl-overview, "Canned ACL": "Owner gets FULL_CONTROL. No one else has access rights".
        ("private", ()),
        # "The AllUsers group gets READ access."
        ("public-read", (Grant("READ", uri=ALL_USERS),)),
        # "The AllUsers group gets READ and WRITE access."
        ("public-read-write", (Grant("READ", uri=ALL_USERS), Grant("WRITE", uri=ALL_USERS))),
        # "The AuthenticatedUsers group gets READ access."
        ("authenticated-read", (Grant("READ", uri=AUTHENTICATED_USERS),)),
        # "Amazon EC2 gets READ access to GET an AMI bundle" (the id is S3's observed one).
        ("aws-exec-read", (Grant("READ", canonical_id=EC2_CANONICAL_ID),)),
        # "Object owner gets FULL_CONTROL. Bucket owner gets READ access."
        ("bucket-owner-read", (Grant("READ", canonical_id=BUCKET_OWNER),)),
        # "Both the object owner and the bucket owner get FULL_CONTROL over the object."
        ("bucket-owner-full-control", (full(BUCKET_OWNER),)),
        # "The LogDelivery group gets WRITE and READ_ACP permissions on the bucket."
        ("log-delivery-write", (Grant("WRITE", uri=LOG_DELIVERY), Grant("READ_ACP", uri=LOG_DELIVERY))),
    ],
)
def test_each_canned_acl_on_an_object_in_another_accounts_bucket(name: str, extra: tuple[Grant, ...]) -> None:
    assert canned(name, OWNER, bucket_owner=BUCKET_OWNER) == Acl(OWNER, (full(OWNER), *extra))


@pytest.mark.parametrize("name", ["bucket-owner-read", "bucket-owner-full-control"])
def test_bucket_owner_canned_acls_add_nothing_for_the_bucket_owners_own_object(name: str) -> None:
    # acl-overview, "Canned ACL": the bucket owner's grant is the object owner's already.
    assert canned(name, OWNER, bucket_owner=OWNER) == owner_full_control(OWNER)
    assert canned(name, OWNER) == owner_full_control(OWNER)


@pytest.mark.parametrize("name", ["bucket-owner-read", "bucket-owner-full-control"])
def test_bucket_owner_canned_acls_are_ignored_on_a_bucket(name: str) -> None:
    # acl-overview, "Canned ACL": "If you specify this canned ACL when creating a bucket,
    # Amazon S3 ignores it."
    assert canned(name, OWNER, bucket_owner=BUCKET_OWNER, level="bucket") == owner_full_control(OWNER)


def test_log_delivery_write_on_a_bucket() -> None:
    # acl-overview, "Canned ACL": log-delivery-write applies to buckets.
    acl = canned("log-delivery-write", OWNER, level="bucket")
    assert acl.grants == (full(OWNER), Grant("WRITE", uri=LOG_DELIVERY), Grant("READ_ACP", uri=LOG_DELIVERY))


@pytest.mark.parametrize("name", ["privat", "Private", "public_read", ""])
def test_unknown_canned_acl_is_invalid_argument(name: str) -> None:
    # S3's observed answer to a bad x-amz-acl: InvalidArgument, an empty Message,
    # ArgumentName x-amz-acl and ArgumentValue the value.
    with pytest.raises(AwsError) as excinfo:
        canned(name, OWNER)
    assert error_of(excinfo) == ("InvalidArgument", 400, "", {"ArgumentName": "x-amz-acl", "ArgumentValue": name})


def test_default_acl_is_owner_full_control() -> None:
    # acl-overview, "Default ACL": "grants the resource owner full control over the resource".
    assert owner_full_control(OWNER) == Acl(OWNER, (full(OWNER),))
    assert owner_full_control(OWNER) == canned("private", OWNER)


# --------------------------------------------------------------------------- grant headers
def test_grant_header_example_from_put_bucket_acl() -> None:
    # API_PutBucketAcl: x-amz-grant-write: uri="http://acs.amazonaws.com/groups/s3/LogDelivery",
    # id="111122223333", id="555566667777"
    headers = {"x-amz-grant-write": f'uri="{LOG_DELIVERY}", id="111122223333", id="555566667777"'}
    acl = from_grant_headers(headers, OWNER, resolve)
    assert acl == Acl(
        OWNER,
        (
            Grant("WRITE", uri=LOG_DELIVERY),
            Grant("WRITE", canonical_id="111122223333"),
            Grant("WRITE", canonical_id="555566667777"),
        ),
    )


def test_each_grant_header_grants_its_permission_and_nothing_to_the_owner() -> None:
    # API_PutObjectAcl: the grant headers "map to the set of permissions that Amazon S3
    # supports in an ACL"; the ACL is replaced, so the owner gets no implicit grant.
    headers = {
        "x-amz-grant-full-control": f"id={OTHER}",
        "x-amz-grant-read": f'uri="{ALL_USERS}"',
        "x-amz-grant-read-acp": f"id={BUCKET_OWNER}",
        "x-amz-grant-write": f'uri="{LOG_DELIVERY}"',
        "x-amz-grant-write-acp": f"id={OTHER}",
    }
    acl = from_grant_headers(headers, OWNER, resolve)
    assert acl is not None
    assert [(g.permission, g.grantee) for g in acl.grants] == [
        ("FULL_CONTROL", OTHER),
        ("READ", ALL_USERS),
        ("READ_ACP", BUCKET_OWNER),
        ("WRITE", LOG_DELIVERY),
        ("WRITE_ACP", OTHER),
    ]
    assert full(OWNER) not in acl.grants


@pytest.mark.parametrize(
    "value",
    [
        f'id="{OTHER}"',
        f"id={OTHER}",
        f'  id = "{OTHER}"  ',
        f"ID={OTHER}",
        f'Id="{OTHER}"',
        'emailAddress="alice@example.com"',
        "emailaddress=alice@example.com",
        "EMAILADDRESS = alice@example.com",
    ],
)
def test_grantee_syntax_quoted_or_bare_any_case(value: str) -> None:
    # API_PutObjectAcl: "You specify each grantee as a type=value pair"; S3 accepts the value
    # with or without quotes (aws-sdk-java#1346) and the type in any case
    # ("emailaddress=..." in aws-cli#1061).
    acl = from_grant_headers({"x-amz-grant-read": value}, OWNER, resolve)
    assert acl == Acl(OWNER, (Grant("READ", canonical_id=OTHER),))


def test_email_grantee_is_resolved_to_the_canonical_user() -> None:
    # API_PutBucketAcl, "Grantee Values": "The grantee is resolved to the CanonicalUser".
    acl = from_grant_headers({"x-amz-grant-full-control": 'emailAddress="alice@example.com"'}, OWNER, resolve)
    assert acl == Acl(OWNER, (full(OTHER),))


def test_unresolvable_email_address() -> None:
    # ErrorResponses: UnresolvableGrantByEmailAddress, 400.
    with pytest.raises(AwsError) as excinfo:
        from_grant_headers({"x-amz-grant-read": 'emailAddress="nobody@example.com"'}, OWNER, resolve)
    assert error_of(excinfo) == (
        "UnresolvableGrantByEmailAddress",
        400,
        "The e-mail address you provided does not match any account on record.",
        {},
    )


def test_resolve_email_may_refuse_with_its_own_error() -> None:
    # API_PutObjectAcl: since October 2025, "the request will receive an HTTP 405" for an email
    # grantee; the resolver is where a Region's answer is decided.
    def refuse(email: str) -> str | None:
        raise AwsError("not allowed", code="MethodNotAllowed", status=405)

    with pytest.raises(AwsError) as excinfo:
        from_grant_headers({"x-amz-grant-read": "emailAddress=alice@example.com"}, OWNER, refuse)
    assert excinfo.value.status == 405


@pytest.mark.parametrize(
    "value",
    ["fdjklasaj", "id", "id=", 'id=""', "id=a,", ",id=a", 'id="a" id="b"', "foo=bar", "id=a b", "", "   "],
)
def test_grant_header_format_not_recognized(value: str) -> None:
    # S3's observed answer (a CreateBucket with x-amz-grant-full-control: fdjklasaj):
    # InvalidArgument "Argument format not recognized", ArgumentName the header.
    with pytest.raises(AwsError) as excinfo:
        from_grant_headers({"x-amz-grant-full-control": value}, OWNER, resolve)
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        "Argument format not recognized",
        {"ArgumentName": "x-amz-grant-full-control", "ArgumentValue": value},
    )


def test_unknown_group_uri_is_invalid() -> None:
    # acl-overview, "Amazon S3 predefined groups": only the three URIs name groups; S3 answers
    # others with InvalidArgument "Invalid group uri".
    uri = "http://acs.amazonaws.com/groups/global/NOTAVALIDGROUP"
    with pytest.raises(AwsError) as excinfo:
        from_grant_headers({"x-amz-grant-read": f'uri="{uri}"'}, OWNER, resolve)
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        "Invalid group uri",
        {"ArgumentName": "uri", "ArgumentValue": uri},
    )


def test_unknown_canonical_id_is_invalid_when_checked() -> None:
    # S3's observed answer to a well-formed id that names no account: InvalidArgument
    # "Invalid id", ArgumentName id.
    with pytest.raises(AwsError) as excinfo:
        from_grant_headers({"x-amz-grant-read": "id=0123"}, OWNER, resolve, known_canonical=known)
    assert error_of(excinfo) == ("InvalidArgument", 400, "Invalid id", {"ArgumentName": "id", "ArgumentValue": "0123"})
    # Without the check any id is taken as given.
    assert from_grant_headers({"x-amz-grant-read": "id=0123"}, OWNER, resolve) is not None


def test_no_grant_header_is_none() -> None:
    assert from_grant_headers({"x-amz-acl": "private", "content-type": "text/plain"}, OWNER, resolve) is None


def test_header_names_are_case_insensitive() -> None:
    # HTTP header names are case-insensitive.
    acl = from_grant_headers({"X-Amz-Grant-Read": f"id={OTHER}"}, OWNER, resolve)
    assert acl == Acl(OWNER, (Grant("READ", canonical_id=OTHER),))


def test_up_to_100_grants() -> None:
    # acl-overview: "An ACL can have up to 100 grants."
    ok = {"x-amz-grant-read": ", ".join(f"id={i}" for i in range(100))}
    acl = from_grant_headers(ok, OWNER, resolve)
    assert acl is not None and len(acl.grants) == 100
    too_many = {"x-amz-grant-read": ", ".join(f"id={i}" for i in range(101))}
    with pytest.raises(AwsError) as excinfo:
        from_grant_headers(too_many, OWNER, resolve)
    assert excinfo.value.code == "MalformedACLError"


def test_headers_canned_or_grants() -> None:
    # API_PutBucketAcl: "You can use either a canned ACL or specify access permissions
    # explicitly. You cannot do both." S3 answers InvalidRequest "Specifying both Canned ACLs
    # and Header Grants is not allowed".
    assert from_headers({"x-amz-acl": "public-read"}, OWNER, resolve) == canned("public-read", OWNER)
    assert from_headers({"x-amz-grant-read": f"id={OTHER}"}, OWNER, resolve) == Acl(
        OWNER, (Grant("READ", canonical_id=OTHER),)
    )
    assert from_headers({}, OWNER, resolve) is None
    assert from_headers({"x-amz-acl": "bucket-owner-full-control"}, OWNER, resolve, bucket_owner=BUCKET_OWNER) == Acl(
        OWNER, (full(OWNER), full(BUCKET_OWNER))
    )
    with pytest.raises(AwsError) as excinfo:
        from_headers({"x-amz-acl": "private", "x-amz-grant-read": f"id={OTHER}"}, OWNER, resolve)
    assert error_of(excinfo) == (
        "InvalidRequest",
        400,
        "Specifying both Canned ACLs and Header Grants is not allowed",
        {},
    )


# --------------------------------------------------------------------------- context keys
def test_grant_context_keys_carry_the_raw_header_values() -> None:
    # Service Authorization Reference, list_amazons3: s3:x-amz-acl and s3:x-amz-grant-*;
    # example-bucket-policies-condition-keys compares "s3:x-amz-grant-full-control" with
    # "id=AccountA-CanonicalUserID" by StringEquals, so the value is the header's own text.
    headers = {
        "x-amz-grant-full-control": "id=AccountA-CanonicalUserID",
        "x-amz-grant-read": f'uri="{ALL_USERS}", id="{OTHER}"',
        "x-amz-grant-read-acp": f"id={OTHER}",
        "x-amz-grant-write": f"id={OTHER}",
        "x-amz-grant-write-acp": f"id={OTHER}",
        "content-type": "text/plain",
    }
    assert grant_context_keys(headers) == {
        "s3:x-amz-grant-full-control": ["id=AccountA-CanonicalUserID"],
        "s3:x-amz-grant-read": [f'uri="{ALL_USERS}", id="{OTHER}"'],
        "s3:x-amz-grant-read-acp": [f"id={OTHER}"],
        "s3:x-amz-grant-write": [f"id={OTHER}"],
        "s3:x-amz-grant-write-acp": [f"id={OTHER}"],
    }
    # example-bucket-policies-condition-keys: "s3:x-amz-acl": "public-read".
    assert grant_context_keys({"X-Amz-Acl": "public-read"}) == {"s3:x-amz-acl": ["public-read"]}
    assert grant_context_keys({}) == {}


# --------------------------------------------------------------------------- AccessControlPolicy
def policy(*grants: dict[str, Any], owner: str = OWNER) -> dict[str, Any]:
    return {"Owner": {"ID": owner, "DisplayName": "ignored"}, "Grants": list(grants)}


def grant(grantee: dict[str, Any], permission: str = "READ") -> dict[str, Any]:
    return {"Grantee": grantee, "Permission": permission}


def test_access_control_policy_with_every_grantee_type() -> None:
    # API_PutBucketAcl, "Grantee Values": by ID (DisplayName "optional and ignored in the
    # request"), by URI, by e-mail address ("resolved to the CanonicalUser").
    document = policy(
        grant({"Type": "CanonicalUser", "ID": OWNER, "DisplayName": "me"}, "FULL_CONTROL"),
        grant({"Type": "Group", "URI": ALL_USERS}),
        grant({"Type": "AmazonCustomerByEmail", "EmailAddress": "alice@example.com"}, "WRITE_ACP"),
    )
    acl = from_access_control_policy(document, OWNER, resolve, known_canonical=known)
    assert acl == Acl(OWNER, (full(OWNER), Grant("READ", uri=ALL_USERS), Grant("WRITE_ACP", canonical_id=OTHER)))


def test_access_control_policy_without_grants_is_an_empty_acl() -> None:
    assert from_access_control_policy({"Owner": {"ID": OWNER}}, OWNER, resolve) == Acl(OWNER, ())
    assert from_access_control_policy(policy(), OWNER, resolve) == Acl(OWNER, ())


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"Grants": []},
        {"Owner": {}, "Grants": []},
        {"Owner": {"DisplayName": "x"}, "Grants": []},
        policy({"Permission": "READ"}),
        policy(grant({"ID": OTHER})),
        policy(grant({"Type": "Nobody", "ID": OTHER})),
        policy(grant({"Type": "canonicaluser", "ID": OTHER})),
        policy(grant({"Type": "CanonicalUser", "ID": OTHER}, "READ_WRITE")),
        policy({"Grantee": {"Type": "CanonicalUser", "ID": OTHER}}),
        policy(grant({"Type": "CanonicalUser"})),
        policy(grant({"Type": "CanonicalUser", "URI": ALL_USERS})),
        policy(grant({"Type": "Group", "ID": OTHER})),
        policy(grant({"Type": "AmazonCustomerByEmail", "ID": OTHER})),
        policy("not a grant"),  # type: ignore[arg-type]
        {"Owner": {"ID": OWNER}, "Grants": "READ"},
    ],
)
def test_access_control_policy_that_does_not_validate_is_malformed(document: dict[str, Any]) -> None:
    # ErrorResponses: MalformedACLError, "The XML you provided was not well-formed or did not
    # validate against our published schema" (Grantee's xsi:type is one of CanonicalUser,
    # AmazonCustomerByEmail, Group; Permission one of the five).
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(document, OWNER, resolve)
    assert error_of(excinfo) == (
        "MalformedACLError",
        400,
        "The XML you provided was not well-formed or did not validate against our published schema",
        {},
    )


def test_access_control_policy_with_more_than_100_grants_is_malformed() -> None:
    # acl-overview: "An ACL can have up to 100 grants"; S3 answers 101 with MalformedACLError.
    hundred = [grant({"Type": "CanonicalUser", "ID": OTHER})] * 100
    assert len(from_access_control_policy(policy(*hundred), OWNER, resolve).grants) == 100
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(policy(*hundred, grant({"Type": "Group", "URI": ALL_USERS})), OWNER, resolve)
    assert excinfo.value.code == "MalformedACLError"


def test_access_control_policy_for_another_owner_is_access_denied() -> None:
    # S3 answers an Owner ID other than the resource owner's with 403 AccessDenied.
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(policy(owner=OTHER), OWNER, resolve)
    assert error_of(excinfo) == ("AccessDenied", 403, "Access Denied", {})


def test_access_control_policy_unknown_canonical_user() -> None:
    # S3 answers a CanonicalUser ID that names no account with InvalidArgument "Invalid id".
    document = policy(grant({"Type": "CanonicalUser", "ID": "0123"}))
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(document, OWNER, resolve, known_canonical=known)
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        "Invalid id",
        {"ArgumentName": "CanonicalUser/ID", "ArgumentValue": "0123"},
    )


def test_access_control_policy_unknown_group() -> None:
    uri = "http://acs.amazonaws.com/groups/s3/FakeGroup"
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(policy(grant({"Type": "Group", "URI": uri})), OWNER, resolve)
    assert error_of(excinfo) == (
        "InvalidArgument",
        400,
        "Invalid group uri",
        {"ArgumentName": "Group/URI", "ArgumentValue": uri},
    )


def test_access_control_policy_unresolvable_email() -> None:
    document = policy(grant({"Type": "AmazonCustomerByEmail", "EmailAddress": "nobody@example.com"}))
    with pytest.raises(AwsError) as excinfo:
        from_access_control_policy(document, OWNER, resolve)
    assert excinfo.value.code == "UnresolvableGrantByEmailAddress"


def test_get_acl_output() -> None:
    # API_GetBucketAcl: Owner and Grants; a grantee is a CanonicalUser (ID, DisplayName) or a
    # Group (URI); e-mail grantees appear as the CanonicalUser.
    acl = canned("public-read", OWNER)
    names = {OWNER: "owner-name"}
    assert to_access_control_policy(acl, names.get) == {
        "Owner": {"ID": OWNER, "DisplayName": "owner-name"},
        "Grants": [
            {
                "Grantee": {"Type": "CanonicalUser", "ID": OWNER, "DisplayName": "owner-name"},
                "Permission": "FULL_CONTROL",
            },
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        ],
    }
    assert to_access_control_policy(acl)["Owner"] == {"ID": OWNER}


def test_get_acl_output_fits_botocores_shape_and_reads_back() -> None:
    # API_GetBucketAcl's output members are the ones PutBucketAcl's AccessControlPolicy takes.
    model = botocore.session.get_session().get_service_model("s3")
    output = model.operation_model("GetBucketAcl").output_shape
    grantee_members = set(model.shape_for("Grantee").members)
    acl = Acl(OWNER, (full(OWNER), Grant("READ", uri=AUTHENTICATED_USERS), Grant("WRITE", canonical_id=OTHER)))
    document = to_access_control_policy(acl)
    assert set(document) <= set(output.members)
    assert all(set(g["Grantee"]) <= grantee_members for g in document["Grants"])
    assert from_access_control_policy(document, OWNER, resolve) == acl


# --------------------------------------------------------------------------- storage
def test_json_round_trip_is_compact() -> None:
    acl = Acl(
        OWNER,
        (full(OWNER), Grant("READ", uri=ALL_USERS), Grant("READ_ACP", canonical_id=EC2_CANONICAL_ID)),
    )
    text = acl.to_json()
    assert " " not in text
    assert json.loads(text) == {
        "owner": OWNER,
        "grants": [
            {"permission": "FULL_CONTROL", "id": OWNER},
            {"permission": "READ", "uri": ALL_USERS},
            {"permission": "READ_ACP", "id": EC2_CANONICAL_ID},
        ],
    }
    assert Acl.from_json(text) == acl
    for name in CANNED_ACLS:
        acl = canned(name, OWNER, bucket_owner=BUCKET_OWNER)
        assert Acl.from_json(acl.to_json()) == acl


def test_grant_to_and_from_json() -> None:
    assert Grant("READ", uri=ALL_USERS).to_json() == {"permission": "READ", "uri": ALL_USERS}
    assert Grant.from_json({"permission": "WRITE", "id": OTHER}) == Grant("WRITE", canonical_id=OTHER)
    assert Grant("READ", uri=ALL_USERS).group and not Grant("READ", canonical_id=OTHER).group


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"grants": []}',
        '{"owner": "x", "grants": {}}',
        '{"owner": "x", "grants": [{"permission": "READ"}]}',
        '{"owner": "x", "grants": [{"permission": "READ", "id": "a", "uri": "b"}]}',
        '{"owner": "x", "grants": [{"permission": "LIST", "id": "a"}]}',
        '{"owner": "x", "grants": [{"permission": "READ", "id": 1}]}',
        '{"owner": "x", "grants": ["READ"]}',
    ],
)
def test_corrupt_stored_acl_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Acl.from_json(text)


def test_grant_names_one_grantee_and_a_permission() -> None:
    with pytest.raises(ValueError):
        Grant("READ")
    with pytest.raises(ValueError):
        Grant("READ", canonical_id=OTHER, uri=ALL_USERS)
    with pytest.raises(ValueError):
        Grant("read", canonical_id=OTHER)


# --------------------------------------------------------------------------- public ACLs
@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("private", False),
        ("public-read", True),
        ("public-read-write", True),
        ("authenticated-read", True),
        ("aws-exec-read", False),
        ("bucket-owner-read", False),
        ("bucket-owner-full-control", False),
        ("log-delivery-write", False),
    ],
)
def test_is_public(name: str, public: bool) -> None:
    # access-control-block-public-access, "The meaning of public": "Amazon S3 considers a
    # bucket or object ACL public if it grants any permissions to members of the predefined
    # AllUsers or AuthenticatedUsers groups."
    assert canned(name, OWNER, bucket_owner=BUCKET_OWNER).is_public() is public


def test_without_public_drops_only_the_public_grants() -> None:
    # PublicAccessBlockConfiguration, IgnorePublicAcls: "causes Amazon S3 to ignore all public
    # ACLs on this bucket and objects in this bucket".
    acl = Acl(
        OWNER,
        (
            full(OWNER),
            Grant("READ", uri=ALL_USERS),
            Grant("WRITE", uri=ALL_USERS),
            Grant("READ", uri=AUTHENTICATED_USERS),
            Grant("WRITE", uri=LOG_DELIVERY),
            Grant("READ", canonical_id=OTHER),
        ),
    )
    stripped = acl.without_public()
    assert not stripped.is_public()
    assert stripped == Acl(OWNER, (full(OWNER), Grant("WRITE", uri=LOG_DELIVERY), Grant("READ", canonical_id=OTHER)))
    assert canned("public-read-write", OWNER).without_public() == owner_full_control(OWNER)


# --------------------------------------------------------------------------- engine
def test_engine_grants() -> None:
    acl = canned("public-read", OWNER)
    assert acl.engine_grants("object") == (
        AclGrant(OWNER, "FULL_CONTROL", "object", False),
        AclGrant(ALL_USERS, "READ", "object", True),
    )
    assert acl.engine_grants("bucket")[1].grants("s3:ListBucket")
    with pytest.raises(ValueError):
        acl.engine_grants("account")


# --------------------------------------------------------------------------- ACLs disabled
@pytest.mark.parametrize(
    ("canned_acl", "grants", "allowed"),
    [
        # API_OwnershipControlsRule, BucketOwnerEnforced: "The bucket only accepts PUT requests
        # that don't specify an ACL or specify bucket owner full control ACLs (such as the
        # predefined bucket-owner-full-control canned ACL or a custom ACL in XML format that
        # grants the same permissions)".
        (None, None, True),
        ("bucket-owner-full-control", None, True),
        (None, Acl(OWNER, (full(BUCKET_OWNER),)), True),
        (None, Acl(OWNER, (full(BUCKET_OWNER), full(BUCKET_OWNER))), True),
        # object-ownership-error-responses: a PUT with --acl public-read fails.
        ("public-read", None, False),
        # S3 refuses x-amz-acl: private on such a bucket (AccessControlListNotSupported).
        ("private", None, False),
        ("bucket-owner-read", None, False),
        (None, Acl(OWNER, (full(OWNER),)), False),
        (None, Acl(OWNER, (full(BUCKET_OWNER), Grant("READ", uri=ALL_USERS))), False),
        (None, Acl(OWNER, (Grant("READ", canonical_id=BUCKET_OWNER),)), False),
        (None, Acl(OWNER, ()), False),
    ],
)
def test_acl_allowed_when_enforced(canned_acl: str | None, grants: Acl | None, allowed: bool) -> None:
    assert acl_allowed_when_enforced(canned_acl, grants, bucket_owner=BUCKET_OWNER) is allowed


def test_acl_allowed_when_enforced_defaults_to_the_acls_owner() -> None:
    # An ACL whose owner is the bucket owner (BucketOwnerEnforced makes the bucket owner own
    # every object) that grants only its owner FULL_CONTROL is bucket owner full control.
    assert acl_allowed_when_enforced(None, owner_full_control(BUCKET_OWNER))
    assert not acl_allowed_when_enforced(None, canned("public-read", BUCKET_OWNER))


def test_acls_not_supported_error() -> None:
    # object-ownership-error-responses: "fail with a 400 error and return the
    # AccessControlListNotSupported error code" ("The bucket does not allow ACLs").
    e = acls_not_supported()
    assert (e.code, e.status, e.message) == ("AccessControlListNotSupported", 400, "The bucket does not allow ACLs")
