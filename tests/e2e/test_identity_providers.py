"""Identity providers changed after they are made, with boto3 against the real server: an OIDC
provider's client ids and thumbprints, and the tags of OIDC and SAML providers.

Pages: IAM API Reference ``API_AddClientIDToOpenIDConnectProvider`` and
``API_RemoveClientIDFromOpenIDConnectProvider`` (both "idempotent"),
``API_UpdateOpenIDConnectProviderThumbprint`` ("completely replaces the existing list"),
``API_TagOpenIDConnectProvider``, ``API_TagSAMLProvider`` and their ``Untag``/``List`` pairs;
``reference_iam-quotas`` (100 client ids per provider, 50 tags per resource); the Service
Authorization Reference for the actions and their condition keys (``aws:ResourceTag/${TagKey}``
of the ``oidc-provider`` and ``saml-provider`` resource types, ``aws:RequestTag/${TagKey}`` and
``aws:TagKeys`` of the ``Tag*`` actions).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from e2e_helpers import allow, error_of, make_user, policy

from localiam.state.store import Store
from localiam.testing import saml_metadata

THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1"
OTHER_THUMB = "1c58a3a8518e8759bf075b76b750d4f2df264fcd"
METADATA = saml_metadata(Store.ephemeral(), "okta")
"""Real IdP metadata (the test SAML IdP's): CreateSAMLProvider parses what it is given."""


def _oidc(iam: Any, url: str = "https://token.actions.githubusercontent.com", **kwargs: Any) -> str:
    arn: str = iam.create_open_id_connect_provider(Url=url, ThumbprintList=[THUMB], **kwargs)[
        "OpenIDConnectProviderArn"
    ]
    return arn


def _saml(iam: Any, name: str = "okta", **kwargs: Any) -> str:
    arn: str = iam.create_saml_provider(Name=name, SAMLMetadataDocument=METADATA, **kwargs)["SAMLProviderArn"]
    return arn


def _missing_oidc(server: Any) -> str:
    return f"arn:aws:iam::{server.account_id}:oidc-provider/nowhere.example.com"


# --------------------------------------------------------------------------- client ids
def test_client_ids_are_added_and_removed_idempotently(iam):
    arn = _oidc(iam, ClientIDList=["sts.amazonaws.com"])
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["ClientIDList"] == ["sts.amazonaws.com", "my-app"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never-added")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["my-app"]


def test_at_most_100_client_ids(iam):
    ids = [f"client-{i}" for i in range(100)]
    arn = _oidc(iam, ClientIDList=ids)
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="client-7")  # already there
    err = error_of(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn, ClientID="one-more")
    assert (err["Code"], err["status"], err["Message"]) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
    )
    assert len(iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]) == 100


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("add_client_id_to_open_id_connect_provider", {"ClientID": "x"}),
        ("remove_client_id_from_open_id_connect_provider", {"ClientID": "x"}),
        ("update_open_id_connect_provider_thumbprint", {"ThumbprintList": [THUMB]}),
        ("tag_open_id_connect_provider", {"Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_open_id_connect_provider", {"TagKeys": ["k"]}),
        ("list_open_id_connect_provider_tags", {}),
    ],
)
def test_an_unknown_oidc_provider_is_no_such_entity(server, iam, operation, extra):
    arn = _missing_oidc(server)
    err = error_of(getattr(iam, operation), OpenIDConnectProviderArn=arn, **extra)
    assert (err["Code"], err["status"], err["Message"]) == (
        "NoSuchEntity",
        404,
        f"OpenIDConnect Provider not found for arn {arn}",
    )


# --------------------------------------------------------------------------- thumbprints
def test_the_thumbprint_list_is_replaced_not_merged(iam):
    arn = _oidc(iam)
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=[OTHER_THUMB])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [OTHER_THUMB]


def test_thumbprints_are_checked_as_on_create(server, iam):
    arn = _oidc(iam)
    message = "Thumbprint list must contain fewer than 5 entries of 40 hexadecimal characters."
    for bad in ([THUMB] * 6, ["z" * 40]):
        err = error_of(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn, ThumbprintList=bad)
        assert (err["Code"], err["status"], err["Message"]) == ("InvalidInput", 400, message)
    raw = server.client("iam", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    err = error_of(raw.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn, ThumbprintList=["abc"])
    assert err["Code"] == "ValidationError"
    assert "Value 'abc' at 'thumbprintList.1.member' failed to satisfy constraint" in err["Message"]
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [THUMB]


# --------------------------------------------------------------------------- tags
@pytest.mark.parametrize("kind", ["oidc", "saml"])
def test_provider_tags_are_added_overwritten_listed_and_removed(iam, kind):
    if kind == "oidc":
        arn, param = _oidc(iam), "OpenIDConnectProviderArn"
        tag, untag, list_tags = (
            iam.tag_open_id_connect_provider,
            iam.untag_open_id_connect_provider,
            iam.list_open_id_connect_provider_tags,
        )
        get = iam.get_open_id_connect_provider
    else:
        arn, param = _saml(iam), "SAMLProviderArn"
        tag, untag, list_tags = iam.tag_saml_provider, iam.untag_saml_provider, iam.list_saml_provider_tags
        get = iam.get_saml_provider
    assert list_tags(**{param: arn})["Tags"] == []
    tag(**{param: arn}, Tags=[{"Key": "team", "Value": "blue"}, {"Key": "Env", "Value": "dev"}])
    tag(**{param: arn}, Tags=[{"Key": "team", "Value": "red"}])
    listed = list_tags(**{param: arn})
    assert listed["Tags"] == [{"Key": "Env", "Value": "dev"}, {"Key": "team", "Value": "red"}]
    assert listed["IsTruncated"] is False
    assert get(**{param: arn})["Tags"] == listed["Tags"]
    page = list_tags(**{param: arn}, MaxItems=1)
    assert page["Tags"] == [{"Key": "Env", "Value": "dev"}] and page["IsTruncated"] is True
    assert list_tags(**{param: arn}, Marker=page["Marker"])["Tags"] == [{"Key": "team", "Value": "red"}]
    untag(**{param: arn}, TagKeys=["env", "not-there"])  # keys match case-insensitively
    assert list_tags(**{param: arn})["Tags"] == [{"Key": "team", "Value": "red"}]


@pytest.mark.parametrize("kind", ["oidc", "saml"])
def test_at_most_50_tags_on_a_provider(iam, kind):
    if kind == "oidc":
        arn, param, tag = _oidc(iam), "OpenIDConnectProviderArn", iam.tag_open_id_connect_provider
    else:
        arn, param, tag = _saml(iam), "SAMLProviderArn", iam.tag_saml_provider
    tag(**{param: arn}, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    tag(**{param: arn}, Tags=[{"Key": "k0", "Value": "changed"}])  # overwriting does not count
    err = error_of(tag, **{param: arn}, Tags=[{"Key": "k50", "Value": "v"}])
    assert (err["Code"], err["status"], err["Message"]) == (
        "LimitExceeded",
        409,
        "The number of tags has reached the maximum limit of 50.",
    )
    err = error_of(tag, **{param: arn}, Tags=[{"Key": "Dup", "Value": "a"}, {"Key": "dup", "Value": "b"}])
    assert (err["Code"], err["status"]) == ("InvalidInput", 400)
    assert err["Message"] == "Duplicate tag keys found. Please note that Tag keys are case insensitive."


@pytest.mark.parametrize(
    ("operation", "extra"),
    [
        ("tag_saml_provider", {"Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_saml_provider", {"TagKeys": ["k"]}),
        ("list_saml_provider_tags", {}),
    ],
)
def test_an_unknown_saml_provider_is_no_such_entity(server, iam, operation, extra):
    arn = f"arn:aws:iam::{server.account_id}:saml-provider/nobody"
    err = error_of(getattr(iam, operation), SAMLProviderArn=arn, **extra)
    assert (err["Code"], err["status"], err["Message"]) == ("NoSuchEntity", 404, f"Manifest not found for arn {arn}")


# --------------------------------------------------------------------------- authorization
OIDC_OPERATIONS = [
    ("add_client_id_to_open_id_connect_provider", "AddClientIDToOpenIDConnectProvider", {"ClientID": "x"}),
    ("remove_client_id_from_open_id_connect_provider", "RemoveClientIDFromOpenIDConnectProvider", {"ClientID": "x"}),
    ("update_open_id_connect_provider_thumbprint", "UpdateOpenIDConnectProviderThumbprint", {"ThumbprintList": []}),
    ("tag_open_id_connect_provider", "TagOpenIDConnectProvider", {"Tags": [{"Key": "k", "Value": "v"}]}),
    ("untag_open_id_connect_provider", "UntagOpenIDConnectProvider", {"TagKeys": ["k"]}),
    ("list_open_id_connect_provider_tags", "ListOpenIDConnectProviderTags", {}),
]
SAML_OPERATIONS = [
    ("tag_saml_provider", "TagSAMLProvider", {"Tags": [{"Key": "k", "Value": "v"}]}),
    ("untag_saml_provider", "UntagSAMLProvider", {"TagKeys": ["k"]}),
    ("list_saml_provider_tags", "ListSAMLProviderTags", {}),
]


@pytest.mark.parametrize(("operation", "action", "extra"), OIDC_OPERATIONS + SAML_OPERATIONS)
def test_a_user_without_the_action_is_denied_on_the_providers_arn(server, iam, operation, action, extra):
    if action in {a for _, a, _ in SAML_OPERATIONS}:
        arn, param = _saml(iam), "SAMLProviderArn"
    else:
        arn, param = _oidc(iam), "OpenIDConnectProviderArn"
    alice = make_user(iam, server, "alice", inline=policy(allow("iam:Get*"))).client("iam")
    err = error_of(getattr(alice, operation), **{param: arn}, **extra)
    acct = server.account_id
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:{action} on resource: "
        f"{arn} because no identity-based policy allows the iam:{action} action"
    )
    # The same request is allowed once a policy names the action on the provider's ARN.
    iam.put_user_policy(UserName="alice", PolicyName="providers", PolicyDocument=policy(allow(f"iam:{action}", arn)))
    getattr(alice, operation)(**{param: arn}, **extra)


def test_resource_tags_of_the_provider_are_condition_keys(server, iam):
    """``aws:ResourceTag/${TagKey}`` is the provider's tags (the ``oidc-provider`` resource type)."""
    blue = _oidc(iam, "https://blue.example.com", Tags=[{"Key": "team", "Value": "blue"}])
    red = _oidc(iam, "https://red.example.com", Tags=[{"Key": "team", "Value": "red"}])
    only_blue = allow(
        "iam:AddClientIDToOpenIDConnectProvider", Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}}
    )
    alice = make_user(iam, server, "alice", inline=policy(only_blue)).client("iam")
    alice.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=blue, ClientID="app")
    err = error_of(alice.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=red, ClientID="app")
    assert err["Code"] == "AccessDenied"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=red)["ClientIDList"] == []


def test_request_tags_and_tag_keys_are_condition_keys(server, iam):
    """``aws:RequestTag/${TagKey}`` and ``aws:TagKeys`` of ``TagSAMLProvider``; ``aws:TagKeys`` of
    ``UntagSAMLProvider``."""
    arn = _saml(iam)
    statements = [
        allow(
            "iam:TagSAMLProvider",
            Condition={
                "StringEquals": {"aws:RequestTag/team": ["blue", "red"]},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
            },
        ),
        allow("iam:UntagSAMLProvider", Condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
    ]
    alice = make_user(iam, server, "alice", inline=policy(*statements)).client("iam")
    alice.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "team", "Value": "blue"}])
    denied = [
        [{"Key": "team", "Value": "green"}],
        [{"Key": "team", "Value": "red"}, {"Key": "cost", "Value": "1"}],
    ]
    for tags in denied:
        assert error_of(alice.tag_saml_provider, SAMLProviderArn=arn, Tags=tags)["Code"] == "AccessDenied"
    assert error_of(alice.untag_saml_provider, SAMLProviderArn=arn, TagKeys=["cost"])["Code"] == "AccessDenied"
    alice.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == []


# --------------------------------------------------------------------------- loopback http URLs
@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://localhost:8080/realms/dev", "localhost:8080/realms/dev"),
        ("http://127.0.0.1:5556/dex", "127.0.0.1:5556/dex"),
        ("http://[::1]:9000", "[::1]:9000"),
        ("http://localhost", "localhost"),
    ],
)
def test_an_http_url_on_the_loopback_interface_is_accepted(server, iam, url, name):
    """A Keycloak or Dex next to localiam; AWS itself accepts only ``https://`` URLs."""
    arn = iam.create_open_id_connect_provider(Url=url)["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{server.account_id}:oidc-provider/{name}"
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["Url"] == name


@pytest.mark.parametrize(
    "url",
    [
        "http://idp.example.com",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
        "http://127.0.0.1@idp.example.com",
        "http://localhost:port",
        "ftp://localhost/x",
    ],
)
def test_any_other_url_must_begin_with_https(iam, url):
    err = error_of(iam.create_open_id_connect_provider, Url=url)
    assert (err["Code"], err["status"], err["Message"]) == (
        "InvalidInput",
        400,
        "Invalid Url: the URL must begin with https://",
    )
