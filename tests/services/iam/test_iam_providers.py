"""OIDC and SAML identity providers. Wording observed from AWS: "Provider with url URL already
exists." (EntityAlreadyExists, 409)."""

from __future__ import annotations

GITHUB = "https://token.actions.githubusercontent.com"
THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1"
METADATA = (
    '<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
    'entityID="https://idp.example.com" validUntil="2030-01-01T00:00:00Z">'
    + "<!-- padding -->" * 70
    + "</md:EntityDescriptor>"
)


def test_oidc_provider_lifecycle(iam):
    created = iam(
        "CreateOpenIDConnectProvider",
        Url=GITHUB,
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[THUMB],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    arn = f"arn:aws:iam::{iam.account_id}:oidc-provider/token.actions.githubusercontent.com"
    assert created == {"OpenIDConnectProviderArn": arn, "Tags": [{"Key": "k", "Value": "v"}]}
    got = iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.actions.githubusercontent.com"
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    path = iam("CreateOpenIDConnectProvider", Url="https://oidc.eks.eu-west-1.amazonaws.com/id/ABC")[
        "OpenIDConnectProviderArn"
    ]
    assert path.endswith(":oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC")
    assert [p["Arn"] for p in iam("ListOpenIDConnectProviders")["OpenIDConnectProviderList"]] == sorted([arn, path])
    iam("DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    iam("DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=arn)  # idempotent
    err = iam.error("GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    assert (err.code, err.status) == ("NoSuchEntity", 404)


def test_oidc_provider_errors(iam):
    iam("CreateOpenIDConnectProvider", Url=GITHUB, ThumbprintList=[THUMB])
    err = iam.error("CreateOpenIDConnectProvider", Url=GITHUB, ThumbprintList=[THUMB])
    assert (err.code, err.status, err.message) == (
        "EntityAlreadyExists",
        409,
        f"Provider with url {GITHUB} already exists.",
    )
    assert iam.error("CreateOpenIDConnectProvider", Url="http://insecure.example.com").code == "InvalidInput"
    err = iam.error("CreateOpenIDConnectProvider", Url="https://x.example.com", ThumbprintList=["abc"])
    assert err.code == "ValidationError" and "at 'thumbprintList.1.member'" in err.message
    assert (
        iam.error("CreateOpenIDConnectProvider", Url="https://y.example.com", ThumbprintList=[THUMB] * 6).code
        == "InvalidInput"
    )


def test_saml_provider_lifecycle(iam):
    arn = iam("CreateSAMLProvider", Name="okta", SAMLMetadataDocument=METADATA)["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{iam.account_id}:saml-provider/okta"
    got = iam("GetSAMLProvider", SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == METADATA and got["ValidUntil"].year == 2030
    listed = iam("ListSAMLProviders")["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]
    err = iam.error("CreateSAMLProvider", Name="okta", SAMLMetadataDocument=METADATA)
    assert (err.code, err.status) == ("EntityAlreadyExists", 409)
    iam("DeleteSAMLProvider", SAMLProviderArn=arn)
    assert iam.error("GetSAMLProvider", SAMLProviderArn=arn).code == "NoSuchEntity"
    assert iam.error("DeleteSAMLProvider", SAMLProviderArn=arn).code == "NoSuchEntity"


def test_saml_provider_validation(iam):
    err = iam.error("CreateSAMLProvider", Name="okta", SAMLMetadataDocument="<short/>")
    assert err.code == "ValidationError" and "Member must have length greater than or equal to 1000" in err.message
    assert iam.error("CreateSAMLProvider", Name="okta", SAMLMetadataDocument="x" * 1200).code == "InvalidInput"
    assert iam.error("CreateSAMLProvider", Name="bad name", SAMLMetadataDocument=METADATA).code == "ValidationError"
