"""Managed policies and their versions. Wording observed from AWS: "A policy called X already
exists. Duplicate names are not allowed.", "A managed policy can have up to 5 versions. Before
you create a new version, you must delete an existing version." (LimitExceeded, 409), "Cannot
delete the default version of a policy.", "Cannot delete a policy attached to entities.",
"This policy has more than one version. Before you delete a policy, you must delete the
policy's versions. The default version is deleted with the policy."."""

from __future__ import annotations

import json

from iam_helpers import allow, document, policy

READ = policy(allow("s3:GetObject"))
WRITE = policy(allow("s3:PutObject"))


def test_create_and_get_policy(iam):
    created = iam(
        "CreatePolicy",
        PolicyName="read",
        Path="/app/",
        PolicyDocument=READ,
        Description="reads",
        Tags=[{"Key": "k", "Value": "v"}],
    )["Policy"]
    arn = f"arn:aws:iam::{iam.account_id}:policy/app/read"
    assert created["Arn"] == arn and created["PolicyId"].startswith("ANPA")
    assert created["DefaultVersionId"] == "v1" and created["AttachmentCount"] == 0 and created["IsAttachable"]
    assert created["Tags"] == [{"Key": "k", "Value": "v"}] and "Description" not in created
    got = iam("GetPolicy", PolicyArn=arn)["Policy"]
    assert got["Description"] == "reads" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    version = iam("GetPolicyVersion", PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert version["IsDefaultVersion"] is True and document(version["Document"]) == json.loads(READ)


def test_policy_errors(iam):
    iam("CreatePolicy", PolicyName="read", PolicyDocument=READ)
    err = iam.error("CreatePolicy", PolicyName="READ", PolicyDocument=READ)
    assert (err.code, err.status, err.message) == (
        "EntityAlreadyExists",
        409,
        "A policy called READ already exists. Duplicate names are not allowed.",
    )
    missing = f"arn:aws:iam::{iam.account_id}:policy/none"
    err = iam.error("GetPolicy", PolicyArn=missing)
    assert (err.code, err.status, err.message) == ("NoSuchEntity", 404, f"Policy {missing} was not found.")
    err = iam.error("CreatePolicy", PolicyName="bad", PolicyDocument=json.dumps({"Statement": []}))
    assert (err.code, err.status) == ("MalformedPolicyDocument", 400)
    err = iam.error(
        "CreatePolicy",
        PolicyName="p2",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}),
    )
    assert (err.code, err.message) == ("MalformedPolicyDocument", "Policy document should not specify a principal.")


def test_versions(iam):
    arn = iam("CreatePolicy", PolicyName="p", PolicyDocument=READ)["Policy"]["Arn"]
    v2 = iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)["PolicyVersion"]
    assert v2 == {"VersionId": "v2", "IsDefaultVersion": False, "CreateDate": v2["CreateDate"]}
    v3 = iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE, SetAsDefault=True)["PolicyVersion"]
    assert v3["IsDefaultVersion"] is True
    assert iam("GetPolicy", PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    iam("SetDefaultPolicyVersion", PolicyArn=arn, VersionId="v1")
    listed = iam("ListPolicyVersions", PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [("v3", False), ("v2", False), ("v1", True)]
    assert all("Document" not in v for v in listed)
    iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)
    iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)
    err = iam.error("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)
    assert (err.code, err.status, err.message) == (
        "LimitExceeded",
        409,
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an "
        "existing version.",
    )
    err = iam.error("DeletePolicyVersion", PolicyArn=arn, VersionId="v1")
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "Cannot delete the default version of a policy.",
    )
    iam("DeletePolicyVersion", PolicyArn=arn, VersionId="v2")
    assert iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)["PolicyVersion"]["VersionId"] == "v6"
    err = iam.error("GetPolicyVersion", PolicyArn=arn, VersionId="v2")
    assert (err.code, err.message) == ("NoSuchEntity", f"Policy {arn} version v2 does not exist or is not attachable.")
    assert iam.error("SetDefaultPolicyVersion", PolicyArn=arn, VersionId="v9").code == "NoSuchEntity"
    err = iam.error("GetPolicyVersion", PolicyArn=arn, VersionId="1")
    assert err.code == "ValidationError" and "at 'versionId'" in err.message


def test_delete_policy_conflicts(iam):
    arn = iam("CreatePolicy", PolicyName="p", PolicyDocument=READ)["Policy"]["Arn"]
    iam("CreateUser", UserName="u", PermissionsBoundary=arn)
    err = iam.error("DeletePolicy", PolicyArn=arn)
    assert (err.code, err.status, err.message) == (
        "DeleteConflict",
        409,
        "Cannot delete a policy attached to entities.",
    )
    iam("DeleteUserPermissionsBoundary", UserName="u")
    iam("AttachUserPolicy", UserName="u", PolicyArn=arn)
    assert iam.error("DeletePolicy", PolicyArn=arn).message == "Cannot delete a policy attached to entities."
    iam("DetachUserPolicy", UserName="u", PolicyArn=arn)
    iam("CreatePolicyVersion", PolicyArn=arn, PolicyDocument=WRITE)
    assert iam.error("DeletePolicy", PolicyArn=arn).message == (
        "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
        "The default version is deleted with the policy."
    )
    iam("DeletePolicyVersion", PolicyArn=arn, VersionId="v2")
    assert iam("DeletePolicy", PolicyArn=arn) == {}
    assert iam.error("GetPolicy", PolicyArn=arn).code == "NoSuchEntity"
    iam("CreatePolicy", PolicyName="p", PolicyDocument=READ)  # the name is free again


def test_list_policies(iam):
    local = iam("CreatePolicy", PolicyName="mine", Path="/team/", PolicyDocument=READ)["Policy"]["Arn"]
    iam("CreatePolicy", PolicyName="unused", PolicyDocument=READ)
    iam(
        "CreateRole",
        RoleName="r",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    iam("AttachRolePolicy", RoleName="r", PolicyArn=local)
    iam("AttachRolePolicy", RoleName="r", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    names = [p["PolicyName"] for p in iam("ListPolicies")["Policies"]]
    assert "AdministratorAccess" in names and "mine" in names and "unused" in names
    assert [p["PolicyName"] for p in iam("ListPolicies", Scope="Local")["Policies"]] == ["mine", "unused"]
    attached = iam("ListPolicies", OnlyAttached=True)["Policies"]
    assert [(p["PolicyName"], p["AttachmentCount"]) for p in attached] == [("AmazonS3ReadOnlyAccess", 1), ("mine", 1)]
    assert [p["PolicyName"] for p in iam("ListPolicies", PathPrefix="/team/")["Policies"]] == ["mine"]
    aws = iam("ListPolicies", Scope="AWS", PathPrefix="/service-role/")["Policies"]
    assert {p["Arn"] for p in aws} == {
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    }
    page = iam("ListPolicies", Scope="Local", MaxItems=1)
    assert page["IsTruncated"] and [p["PolicyName"] for p in page["Policies"]] == ["mine"]
    rest = iam("ListPolicies", Scope="Local", MaxItems=1, Marker=page["Marker"])
    assert [p["PolicyName"] for p in rest["Policies"]] == ["unused"] and rest["IsTruncated"] is False
    err = iam.error("ListPolicies", Scope="Mine")
    assert err.message.endswith("Member must satisfy enum value set: [All, AWS, Local]")


def test_aws_managed_policy_is_readable(iam):
    arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"
    got = iam("GetPolicy", PolicyArn=arn)["Policy"]
    assert (got["PolicyName"], got["Path"], got["DefaultVersionId"]) == ("AWSLambdaRole", "/service-role/", "v1")
    version = iam("GetPolicyVersion", PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert document(version["Document"])["Statement"][0]["Action"] == ["lambda:InvokeFunction"]
    assert iam.error("DeletePolicy", PolicyArn=arn).code == "NoSuchEntity"


def test_policy_tags(iam):
    arn = iam("CreatePolicy", PolicyName="p", PolicyDocument=READ)["Policy"]["Arn"]
    iam("TagPolicy", PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam("UntagPolicy", PolicyArn=arn, TagKeys=["a"])
    assert iam("ListPolicyTags", PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_managed_and_trust_policy_size_limits(iam):
    """Over 6,144 (managed) or 2,048 (trust) non-white-space characters is LimitExceeded."""
    big = policy(allow("s3:GetObject", "arn:aws:s3:::b/" + "x" * 6144))
    err = iam.error("CreatePolicy", PolicyName="big", PolicyDocument=big)
    assert (err.code, err.status, err.message) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    big_trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "a" * 2100 + ".amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    err = iam.error("CreateRole", RoleName="r", AssumeRolePolicyDocument=big_trust)
    assert (err.code, err.message) == ("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048")
