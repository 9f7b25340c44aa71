"""S3 Block Public Access: the settings and the meaning of "public" for bucket policies.

Pages cited below (Amazon S3 User Guide unless said otherwise):
- BPA: ``access-control-block-public-access`` ("Blocking public access to your Amazon S3 storage");
- EXAMPLES: ``example-bucket-policies`` ("Bucket policy examples");
- API: S3 API Reference ``API_PublicAccessBlockConfiguration``.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from localiam.errors import AwsError
from localiam.policy import Effect, Policy, parse_policy
from localiam.services.s3.public import (
    ALL_ON,
    PublicAccessBlock,
    acl_refused,
    policy_is_public,
    policy_refused,
    public_statements,
    restricts,
    statement_is_public,
)


def _policy(*statements: dict[str, Any]) -> Policy:
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    result = parse_policy(text)
    assert result.value is not None, result.findings
    return result.value


def _parse(text: str) -> Policy:
    result = parse_policy(text)
    assert result.value is not None, result.findings
    return result.value


def _wildcard_with(condition: dict[str, Any]) -> Policy:
    return _policy(
        {"Principal": "*", "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow", "Condition": condition}
    )


# --------------------------------------------------------------------------- BPA: "Example : Public bucket policies"


# BPA, "Example : Public bucket policies": a federated (web identity) principal is public.
def test_bpa_federated_principal_is_public() -> None:
    policy = _policy(
        {"Principal": {"Federated": "graph.facebook.com"}, "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"}
    )
    assert policy_is_public(policy)


# BPA, "Example : Public bucket policies": "Principal": "*" with no condition is public.
def test_bpa_wildcard_principal_is_public() -> None:
    policy = _policy({"Principal": "*", "Resource": "*", "Action": "s3:PutObject", "Effect": "Allow"})
    assert policy_is_public(policy)


# BPA, "Example : Public bucket policies": StringLike aws:SourceVpc "vpc-*" is not a fixed value.
def test_bpa_wildcard_source_vpc_is_public() -> None:
    assert policy_is_public(_wildcard_with({"StringLike": {"aws:SourceVpc": "vpc-*"}}))


# BPA: "you can make the last policy preceding non-public by setting aws:SourceVpc to a fixed value".
def test_bpa_fixed_source_vpc_is_not_public() -> None:
    assert not policy_is_public(_wildcard_with({"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}))


# --------------------------------------------------------------------------- BPA: mixed public and non-public grants

# BPA, "How Amazon S3 evaluates a bucket policy that contains both public and non-public access
# grants": CloudTrail (a service principal), account "Account-2", and "Principal": "*" with no
# limiting Condition.
_CLOUDTRAIL = {
    "Sid": "CloudTrail",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/AWSLogs/*",
}
_ACCOUNT_2 = {
    "Sid": "Account2",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
}
_EVERYONE = {
    "Sid": "Everyone",
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
}


# BPA: "This policy qualifies as public because of the third statement."
def test_bpa_one_public_statement_renders_the_policy_public() -> None:
    policy = _policy(_CLOUDTRAIL, _ACCOUNT_2, _EVERYONE)
    assert policy_is_public(policy)
    assert [s.sid for s in public_statements(policy)] == ["Everyone"]
    assert not statement_is_public(policy.statements[0])
    assert not statement_is_public(policy.statements[1])


# BPA: with RestrictPublicBuckets on, statement 3 makes RestrictPublicBuckets apply ("Amazon S3
# disables cross-account access, even though the policy delegates access to a specific account");
# "if you remove statement 3 from the policy ... RestrictPublicBuckets no longer applies".
def test_bpa_restrict_public_buckets_applies_only_while_the_policy_is_public() -> None:
    config = PublicAccessBlock(restrict_public_buckets=True)
    assert restricts(config, _policy(_CLOUDTRAIL, _ACCOUNT_2, _EVERYONE))
    assert not restricts(config, _policy(_CLOUDTRAIL, _ACCOUNT_2))
    # "RestrictPublicBuckets only applies to buckets that have public policies": no policy, no effect.
    assert not restricts(config, None)
    # Off, it never restricts.
    assert not restricts(PublicAccessBlock(), _policy(_CLOUDTRAIL, _ACCOUNT_2, _EVERYONE))


# --------------------------------------------------------------------------- BPA: the list of fixing keys

_FIXED_VALUES = [
    # BPA: "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)".
    ("StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5"),
    ("StringEquals", "aws:PrincipalAccount", "111122223333"),
    ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/reader"),
    # BPA: aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount.
    ("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"),
    ("StringEquals", "aws:SourceVpc", "vpc-91237329"),
    ("StringEquals", "aws:SourceVpce", "vpce-1a2b3c4d"),
    ("StringEquals", "aws:SourceOwner", "111122223333"),
    ("StringEquals", "aws:SourceAccount", "111122223333"),
    # BPA: s3:x-amz-server-side-encryption-aws-kms-key-id.
    (
        "StringEquals",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ),
    # BPA: "aws:userid, outside the pattern "AROLEID:*"".
    ("StringEquals", "aws:userid", "AIDAJQABLZS4A3QDU576Q"),
    ("StringLike", "aws:userid", "AROAEXAMPLEID:*"),
    # BPA: s3:DataAccessPointArn and s3:DataAccessPointAccount.
    ("StringEquals", "s3:DataAccessPointArn", "arn:aws:s3:us-west-2:123456789012:accesspoint/reports"),
    ("StringEquals", "s3:DataAccessPointAccount", "123456789012"),
    # BPA: "A set of Classless Inter-Domain Routings (CIDRs), using aws:SourceIp."
    ("IpAddress", "aws:SourceIp", "54.240.143.0/24"),
    ("IpAddress", "aws:SourceIp", "203.0.113.7"),
]


# BPA: "To be considered non-public, a bucket policy must grant access only to fixed values ... for
# one or more of the following", one case per item of the list.
@pytest.mark.parametrize(("operator", "key", "value"), _FIXED_VALUES)
def test_bpa_each_listed_key_with_a_fixed_value_is_not_public(operator: str, key: str, value: str) -> None:
    assert not policy_is_public(_wildcard_with({operator: {key: value}}))


# BPA: "fixed values (values that don't contain a wildcard or an AWS Identity and Access Management
# Policy Variable)".
@pytest.mark.parametrize(
    ("operator", "key", "value"),
    [
        ("StringLike", "aws:PrincipalOrgID", "o-*"),
        ("StringLike", "aws:SourceAccount", "1111222233?3"),
        ("ArnLike", "aws:SourceArn", "arn:aws:cloudtrail:*:111122223333:trail/main"),
        ("StringEquals", "aws:SourceAccount", "${aws:PrincipalAccount}"),
        ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:user/${aws:username}"),
        ("StringLike", "aws:userid", "*"),
        ("StringLike", "aws:userid", "AROA*"),
    ],
)
def test_bpa_wildcards_and_policy_variables_are_not_fixed(operator: str, key: str, value: str) -> None:
    assert policy_is_public(_wildcard_with({operator: {key: value}}))


# BPA: condition keys outside the list do not make a policy non-public. EXAMPLES, "Restricting
# access to a specific HTTP referer": aws:Referer is not on the list ("It is dangerous to include a
# publicly known referer header value").
def test_examples_http_referer_is_public() -> None:
    policy = _parse(
        """{
          "Version":"2012-10-17",
          "Id":"http referer policy example",
          "Statement":[
            {
              "Sid":"Allow get requests originating from www.example.com and example.com.",
              "Effect":"Allow",
              "Principal":"*",
              "Action":["s3:GetObject","s3:GetObjectVersion"],
              "Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
              "Condition":{
                "StringLike":{"aws:Referer":["http://www.example.com/*","http://example.com/*"]}
              }
            }
          ]
        }"""
    )
    assert policy_is_public(policy)


# BPA: one value of several left open opens the statement: the values of a key are alternatives.
def test_bpa_every_value_must_be_fixed() -> None:
    assert policy_is_public(_wildcard_with({"StringLike": {"aws:SourceVpc": ["vpc-91237329", "vpc-*"]}}))
    assert not policy_is_public(_wildcard_with({"StringEquals": {"aws:SourceVpc": ["vpc-91237329", "vpc-1a2b3c4d"]}}))


# --------------------------------------------------------------------------- BPA: aws:SourceIp breadth


# BPA, note on aws:SourceIp: "very broad IP ranges (for example, 0.0.0.0/1) are evaluated as
# "public." This includes values broader than /8 for IPv4 and /32 for IPv6".
@pytest.mark.parametrize(
    ("cidr", "public"),
    [
        ("0.0.0.0/0", True),
        ("0.0.0.0/1", True),
        ("12.0.0.0/7", True),
        ("12.0.0.0/8", False),
        ("10.0.0.0/8", False),  # RFC 1918's broadest block is itself /8
        ("54.240.143.0/24", False),
        ("::/0", True),
        ("2001:db8::/31", True),
        ("2001:db8::/32", False),
        ("2001:DB8:1234:5678::/64", False),
    ],
)
def test_bpa_source_ip_breadth(cidr: str, public: bool) -> None:
    assert policy_is_public(_wildcard_with({"IpAddress": {"aws:SourceIp": cidr}})) is public


# --------------------------------------------------------------------------- BPA: s3:DataAccessPointArn


# BPA, note on s3:DataAccessPointArn: "allowing access to
# arn:aws:s3:us-west-2:123456789012:accesspoint/* would permit access to any access point associated
# with account 123456789012 in Region us-west-2, without rendering the bucket policy public".
@pytest.mark.parametrize("operator", ["StringLike", "ArnLike"])
def test_bpa_access_point_name_wildcard_with_fixed_account_is_not_public(operator: str) -> None:
    policy = _wildcard_with({operator: {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}})
    assert not policy_is_public(policy)


# BPA: "... as long as the account id is fixed".
def test_bpa_access_point_arn_with_open_account_is_public() -> None:
    policy = _wildcard_with({"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}})
    assert policy_is_public(policy)


# --------------------------------------------------------------------------- operators that do not pin a value


# BPA: only a condition that grants "only to fixed values" counts; a negated operator, IfExists or
# ForAllValues leaves other values (or requests without the key) through.
@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEquals": {"aws:SourceVpc": "vpc-91237329"}},
        {"StringNotLike": {"aws:SourceVpc": "vpc-91237329"}},
        {"NotIpAddress": {"aws:SourceIp": "54.240.143.0/24"}},
        {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}},
        {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-91237329"}},
        {"IpAddressIfExists": {"aws:SourceIp": "54.240.143.0/24"}},
        {"ForAllValues:StringEquals": {"aws:SourceVpc": "vpc-91237329"}},
        {"StringEquals": {"aws:SourceIp": "54.240.143.0/24"}},
    ],
)
def test_non_pinning_operators_keep_the_policy_public(condition: dict[str, Any]) -> None:
    assert policy_is_public(_wildcard_with(condition))


# BPA: a pinning operator qualified ForAnyValue still fixes the key's value.
def test_for_any_value_pins() -> None:
    assert not policy_is_public(_wildcard_with({"ForAnyValue:StringEquals": {"aws:SourceVpc": "vpc-91237329"}}))


# BPA: conditions are and-ed, so one fixing condition is enough beside an open one.
def test_one_fixing_condition_is_enough() -> None:
    condition = {"StringLike": {"aws:Referer": "*"}, "StringEquals": {"aws:SourceAccount": "111122223333"}}
    assert not policy_is_public(_wildcard_with(condition))


# BPA: condition key names are case-insensitive (IAM ``reference_policies_elements_condition``).
def test_condition_key_case_does_not_matter() -> None:
    assert not policy_is_public(_wildcard_with({"StringEquals": {"AWS:SOURCEVPC": "vpc-91237329"}}))


# --------------------------------------------------------------------------- principals


# BPA: {"AWS": "*"} is the same wildcard as "*".
def test_aws_wildcard_principal_is_public() -> None:
    policy = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "*"})
    assert policy_is_public(policy)
    mixed = _policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"]},
            "Action": "s3:GetObject",
            "Resource": "*",
        }
    )
    assert policy_is_public(mixed)


# BPA: a NotPrincipal in an Allow grants to everyone but the named principals. The project's parser
# refuses that combination, so the statement is built from a parsed Deny.
def test_not_principal_in_an_allow_is_public() -> None:
    deny = _policy(
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": "*",
        }
    ).statements[0]
    assert not statement_is_public(deny)
    assert statement_is_public(dataclasses.replace(deny, effect=Effect.ALLOW))


# --------------------------------------------------------------------------- EXAMPLES: "Bucket policy examples"


# EXAMPLES, "Granting permissions to multiple accounts with added conditions": fixed principals.
def test_examples_multiple_accounts_is_not_public() -> None:
    policy = _parse(
        """{
          "Version":"2012-10-17",
          "Statement":[
            {
              "Sid":"AddCannedAcl",
              "Effect":"Allow",
            "Principal": {"AWS": ["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]},
              "Action":["s3:PutObject","s3:PutObjectAcl"],
              "Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
              "Condition":{"StringEquals":{"s3:x-amz-acl":["public-read"]}}
            }
          ]
        }"""
    )
    assert not policy_is_public(policy)


# EXAMPLES, "Granting read-only permission to an anonymous user": "you must disable block public
# access settings for your bucket".
def test_examples_anonymous_read_is_public_and_refused_under_block_public_policy() -> None:
    policy = _parse(
        """{
          "Version":"2012-10-17",
          "Statement":[
            {
              "Sid":"PublicRead",
              "Effect":"Allow",
              "Principal": "*",
              "Action":["s3:GetObject","s3:GetObjectVersion"],
              "Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]
            }
          ]
        }"""
    )
    assert policy_is_public(policy)
    assert policy_refused(ALL_ON, policy)
    assert not policy_refused(PublicAccessBlock(), policy)


# EXAMPLES, "Limiting access to specific IP addresses": a Deny never makes a policy public.
def test_examples_deny_outside_ip_range_is_not_public() -> None:
    policy = _parse(
        """{
          "Version": "2012-10-17",
          "Id": "S3PolicyId1",
          "Statement": [
            {
              "Sid": "IPAllow",
              "Effect": "Deny",
              "Principal": "*",
              "Action": "s3:*",
              "Resource": [
                 "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
                 "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
              ],
              "Condition": {
                 "NotIpAddress": {"aws:SourceIp": "54.240.143.0/24"}
              }
            }
          ]
        }"""
    )
    assert not policy_is_public(policy)
    assert not policy_refused(ALL_ON, policy)


# EXAMPLES, "Allowing IPv4 and IPv6 addresses": a /24 and a /64 are fixed CIDR sets.
def test_examples_ipv4_and_ipv6_mix_is_not_public() -> None:
    policy = _parse(
        """{
          "Id":"PolicyId2",
          "Version":"2012-10-17",
          "Statement":[
            {
              "Sid":"AllowIPmix",
              "Effect":"Allow",
              "Principal":"*",
              "Action":"s3:*",
              "Resource": [
                 "arn:aws:s3:::DOC-EXAMPLE-BUCKET",
                 "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
              ],
              "Condition": {
                "IpAddress": {
                  "aws:SourceIp": [
                    "54.240.143.0/24",
                    "2001:DB8:1234:5678::/64"
                  ]
                },
                "NotIpAddress": {
                  "aws:SourceIp": [
                     "54.240.143.128/30",
                     "2001:DB8:1234:5678:ABCD::/80"
                  ]
                }
              }
            }
          ]
        }"""
    )
    assert not policy_is_public(policy)


# EXAMPLES, "Granting permission to an Amazon CloudFront OAI": the OAI is a fixed AWS principal.
def test_examples_cloudfront_oai_is_not_public() -> None:
    policy = _parse(
        """{
            "Version": "2012-10-17",
            "Id": "PolicyForCloudFrontPrivateContent",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {
                        "AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity EH1HDMB1FH2TC"
                    },
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
                }
            ]
        }"""
    )
    assert not policy_is_public(policy)


# EXAMPLES, "Adding a bucket policy to require MFA": the Deny does not make it public, the Allow to
# everyone does.
def test_examples_mfa_with_public_read_is_public() -> None:
    policy = _parse(
        """{
            "Version": "2012-10-17",
            "Id": "123",
            "Statement": [
              {
                "Sid": "",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/taxdocuments/*",
                "Condition": { "Null": { "aws:MultiFactorAuthAge": true } }
              },
              {
                "Sid": "",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"
              }
            ]
         }"""
    )
    assert policy_is_public(policy)
    assert [s.effect for s in public_statements(policy)] == [Effect.ALLOW]


# EXAMPLES, "Granting cross-account permissions to upload objects while ensuring the bucket owner
# has full control": a bare account id is a fixed principal.
def test_examples_cross_account_upload_is_not_public() -> None:
    policy = _parse(
        """{
           "Version":"2012-10-17",
           "Statement":[
             {
               "Sid":"PolicyForAllowUploadWithACL",
               "Effect":"Allow",
               "Principal":{"AWS":"123456789012"},
               "Action":"s3:PutObject",
               "Resource":"arn:aws:s3:::DOC-EXAMPLE-BUCKET/*",
               "Condition": {
                 "StringEquals": {"s3:x-amz-acl":"bucket-owner-full-control"}
               }
             }
           ]
        }"""
    )
    assert not policy_is_public(policy)


# EXAMPLES, "Granting permissions for Amazon S3 Inventory and Amazon S3 analytics": a service
# principal with fixed aws:SourceArn and aws:SourceAccount.
def test_examples_inventory_destination_is_not_public() -> None:
    policy = _parse(
        """{
          "Version":"2012-10-17",
          "Statement":[
            {
              "Sid":"InventoryAndAnalyticsExamplePolicy",
              "Effect":"Allow",
              "Principal": {"Service": "s3.amazonaws.com"},
              "Action":"s3:PutObject",
              "Resource":["arn:aws:s3:::destinationbucket/*"],
              "Condition": {
                  "ArnLike": {
                      "aws:SourceArn": "arn:aws:s3:::sourcebucket"
                   },
                 "StringEquals": {
                     "aws:SourceAccount": "123456789012",
                     "s3:x-amz-acl": "bucket-owner-full-control"
                  }
               }
            }
          ]
        }"""
    )
    assert not policy_is_public(policy)


# --------------------------------------------------------------------------- the settings


# API, PublicAccessBlockConfiguration: every member is "Required: No"; absent means off.
def test_from_params_missing_members_are_false() -> None:
    assert PublicAccessBlock.from_params({}) == PublicAccessBlock()
    assert PublicAccessBlock.from_params({"BlockPublicPolicy": True}) == PublicAccessBlock(block_public_policy=True)


def test_params_and_json_round_trip() -> None:
    config = PublicAccessBlock(block_public_acls=True, restrict_public_buckets=True)
    assert config.to_params() == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    assert PublicAccessBlock.from_params(config.to_params()) == config
    assert PublicAccessBlock.from_json(config.to_json()) == config
    assert PublicAccessBlock.from_json(ALL_ON.to_json()) == ALL_ON


def test_from_params_rejects_a_non_boolean() -> None:
    with pytest.raises(AwsError) as info:
        PublicAccessBlock.from_params({"BlockPublicAcls": "true"})
    assert info.value.code == "MalformedXML"
    assert info.value.status == 400


# BPA: "If the block public access settings for the access point, bucket, or account differ, then
# Amazon S3 applies the most restrictive combination of the access point, bucket, and account
# settings."
def test_most_restrictive_combination_of_bucket_and_account() -> None:
    bucket = PublicAccessBlock(block_public_acls=True, ignore_public_acls=True)
    account = PublicAccessBlock(block_public_policy=True)
    assert bucket | account == PublicAccessBlock(True, True, True, False)
    assert account | bucket == bucket | account
    assert PublicAccessBlock() | PublicAccessBlock() == PublicAccessBlock()
    assert bucket | ALL_ON == ALL_ON
    with pytest.raises(TypeError):
        _ = bucket | True


# AWS What's New (December 2022): from April 2023 new buckets get S3 Block Public Access enabled.
def test_all_on_is_every_setting() -> None:
    assert PublicAccessBlock.ALL_ON is ALL_ON
    assert ALL_ON.to_params() == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )


# API, BlockPublicAcls: "PUT Bucket ACL and PUT Object ACL calls fail if the specified ACL is public."
def test_block_public_acls_refuses_only_public_acls() -> None:
    config = PublicAccessBlock(block_public_acls=True)
    assert acl_refused(config, acl_is_public=True)
    assert not acl_refused(config, acl_is_public=False)
    # IgnorePublicAcls alone does not refuse: it "doesn't prevent new public ACLs from being set" (BPA).
    assert not acl_refused(PublicAccessBlock(ignore_public_acls=True), acl_is_public=True)


# BPA, BlockPublicPolicy: "If this setting is enabled for the entire account, rather than for a
# specific bucket, Amazon S3 blocks public policies even if a user alters the bucket policy".
def test_block_public_policy_at_account_level_refuses_through_the_combination() -> None:
    public = _policy(_EVERYONE)
    bucket = PublicAccessBlock()
    account = PublicAccessBlock(block_public_policy=True)
    assert not policy_refused(bucket, public)
    assert policy_refused(bucket | account, public)
    assert not policy_refused(bucket | account, _policy(_ACCOUNT_2))
