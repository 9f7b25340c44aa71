"""OIDC and SAML identity providers. Wording observed from AWS: "Provider with url URL already
exists." (EntityAlreadyExists, 409)."""

from __future__ import annotations

import pytest

from localiam.services.idp.saml import make_key, metadata

GITHUB = "https://token.actions.githubusercontent.com"
THUMB = "6938fd4d98bab03faadb97b34396831e3780aea1"
METADATA = metadata(make_key("okta")).replace("entityID=", 'validUntil="2030-01-01T00:00:00Z" entityID=', 1)
OTHER_METADATA = metadata(make_key("other"))


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
    assert iam("UpdateSAMLProvider", SAMLProviderArn=arn, SAMLMetadataDocument=OTHER_METADATA) == {
        "SAMLProviderArn": arn
    }
    got = iam("GetSAMLProvider", SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == OTHER_METADATA and "ValidUntil" not in got
    err = iam.error("UpdateSAMLProvider", SAMLProviderArn=arn, SAMLMetadataDocument="<x/>" * 300)
    assert (err.code, err.message) == ("InvalidInput", "Could not parse metadata.")
    assert iam("GetSAMLProvider", SAMLProviderArn=arn)["SAMLMetadataDocument"] == OTHER_METADATA
    iam("DeleteSAMLProvider", SAMLProviderArn=arn)
    assert iam.error("GetSAMLProvider", SAMLProviderArn=arn).code == "NoSuchEntity"
    assert iam.error("DeleteSAMLProvider", SAMLProviderArn=arn).code == "NoSuchEntity"
    err = iam.error("UpdateSAMLProvider", SAMLProviderArn=arn, SAMLMetadataDocument=METADATA)
    assert (err.code, err.message) == ("NoSuchEntity", f"Manifest not found for arn {arn}")


def test_saml_provider_validation(iam):
    err = iam.error("CreateSAMLProvider", Name="okta", SAMLMetadataDocument="<short/>")
    assert err.code == "ValidationError" and "Member must have length greater than or equal to 1000" in err.message
    assert iam.error("CreateSAMLProvider", Name="okta", SAMLMetadataDocument="x" * 1200).code == "InvalidInput"
    assert iam.error("CreateSAMLProvider", Name="bad name", SAMLMetadataDocument=METADATA).code == "ValidationError"


def _without_certificate(document: str) -> str:
    start = document.index("<md:KeyDescriptor")
    end = document.index("</md:KeyDescriptor>") + len("</md:KeyDescriptor>")
    return document[:start] + "<!-- no key -->" * 60 + document[end:]


@pytest.mark.parametrize(
    "document",
    [
        pytest.param("x" * 1200, id="not-xml"),
        pytest.param(METADATA.replace("md:IDPSSODescriptor", "md:SPSSODescriptor"), id="no-idp-descriptor"),
        pytest.param(_without_certificate(METADATA), id="no-signing-certificate"),
        pytest.param(METADATA.replace("<ds:X509Certificate>", "<ds:X509Certificate>!!"), id="bad-certificate"),
        pytest.param(
            '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY x "y">]>' + METADATA.split("?>", 1)[1], id="dtd-refused"
        ),
        pytest.param(METADATA.replace('entityID="https://localiam.test/idp/saml/okta"', ""), id="no-entity-id"),
    ],
)
def test_malformed_saml_metadata_is_refused_with_aws_wording(iam, document):
    err = iam.error("CreateSAMLProvider", Name="corp", SAMLMetadataDocument=document)
    assert (err.code, err.status, err.message) == ("InvalidInput", 400, "Could not parse metadata.")
    assert iam("ListSAMLProviders")["SAMLProviderList"] == []
