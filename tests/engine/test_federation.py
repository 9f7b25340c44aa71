"""The keys a token or an assertion puts in a request (``localiam.engine.federation``), per the
IAM User Guide ``reference_policies_iam-condition-keys`` ("Available keys for AWS web identity
federation", "Available keys for SAML-based AWS STS federation")."""

from __future__ import annotations

from localiam.engine.federation import federation_keys, key_prefix


def test_key_prefixes() -> None:
    assert key_prefix("accounts.google.com") == "accounts.google.com"
    assert (
        key_prefix("arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com")
        == "token.actions.githubusercontent.com"
    )
    assert key_prefix("arn:aws:iam::111111111111:oidc-provider/example.com/realms/corp") == "example.com/realms/corp"
    assert key_prefix("arn:aws:iam::111111111111:saml-provider/corp") == "saml"


def test_google_azp_becomes_aud_and_aud_becomes_oaud() -> None:
    kept, trust = federation_keys("accounts.google.com", {"sub": "1", "aud": "x", "azp": "y", "email": "a@b.c"})
    assert kept == {"accounts.google.com:sub": ["1"], "accounts.google.com:aud": ["y"]}
    assert trust == {"accounts.google.com:oaud": ["x"], "accounts.google.com:email": ["a@b.c"]}


def test_other_issuers_keep_aud_and_no_oaud_or_email() -> None:
    provider = "arn:aws:iam::111111111111:oidc-provider/idp.example.com"
    kept, trust = federation_keys(provider, {"sub": "1", "aud": ["a", "b"], "azp": "y", "email": "a@b.c"})
    assert kept == {"idp.example.com:sub": ["1"], "idp.example.com:aud": ["a", "b"]}
    assert trust == {}


def test_cognito_amr_is_multivalued_and_kept() -> None:
    kept, _ = federation_keys("cognito-identity.amazonaws.com", {"sub": "id", "amr": ["authenticated", "x"]})
    assert kept["cognito-identity.amazonaws.com:amr"] == ["authenticated", "x"]


def test_saml_keys_split_into_kept_and_trust_only() -> None:
    kept, trust = federation_keys(
        "arn:aws:iam::111111111111:saml-provider/corp",
        {"sub": "alice", "sub_type": "persistent", "namequalifier": "q", "aud": "https://signin.aws.amazon.com/saml"},
    )
    assert kept == {"saml:sub": ["alice"], "saml:sub_type": ["persistent"], "saml:namequalifier": ["q"]}
    assert trust == {"saml:aud": ["https://signin.aws.amazon.com/saml"]}
