"""Instance profiles and service-linked roles with boto3 (IAM API Reference
``API_CreateInstanceProfile``, ``API_AddRoleToInstanceProfile`` - "The caller of this
operation must be granted the PassRole permission on the IAM role" -, ``API_InstanceProfile``,
``API_CreateServiceLinkedRole``; IAM User Guide ``using-service-linked-roles``)."""

from __future__ import annotations

from e2e_helpers import allow, error_of, make_user, policy, trust

EC2 = trust({"Service": "ec2.amazonaws.com"})


def test_instance_profile_lifecycle_with_a_role_and_tags(server, iam):
    acct = server.account_id
    role = iam.create_role(RoleName="web", AssumeRolePolicyDocument=EC2)["Role"]
    made = iam.create_instance_profile(
        InstanceProfileName="web-profile", Path="/app/", Tags=[{"Key": "team", "Value": "a"}]
    )["InstanceProfile"]
    assert made["Arn"] == f"arn:aws:iam::{acct}:instance-profile/app/web-profile"
    assert made["InstanceProfileId"].startswith("AIPA") and made["Roles"] == []
    assert made["Tags"] == [{"Key": "team", "Value": "a"}]

    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    got = iam.get_instance_profile(InstanceProfileName="web-profile")["InstanceProfile"]
    assert [r["RoleId"] for r in got["Roles"]] == [role["RoleId"]]
    assert got["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
    listed = iam.list_instance_profiles_for_role(RoleName="web")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web-profile"]
    assert [p["InstanceProfileName"] for p in iam.list_instance_profiles(PathPrefix="/app/")["InstanceProfiles"]] == [
        "web-profile"
    ]

    # One role per profile; the role cannot go while it is in one; nor the profile.
    iam.create_role(RoleName="other", AssumeRolePolicyDocument=EC2)
    err = error_of(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="other")
    assert (err["Code"], err["Message"]) == (
        "LimitExceeded",
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )
    err = error_of(iam.add_role_to_instance_profile, InstanceProfileName="web-profile", RoleName="web")
    assert (err["Code"], err["status"]) == ("LimitExceeded", 409)
    err = error_of(iam.delete_role, RoleName="web")
    assert (err["Code"], err["Message"]) == (
        "DeleteConflict",
        "Cannot delete entity, must remove roles from instance profile first.",
    )
    err = error_of(iam.delete_instance_profile, InstanceProfileName="web-profile")
    assert err["Code"] == "DeleteConflict"

    iam.tag_instance_profile(InstanceProfileName="web-profile", Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_instance_profile(InstanceProfileName="web-profile", TagKeys=["team"])
    assert iam.list_instance_profile_tags(InstanceProfileName="web-profile")["Tags"] == [
        {"Key": "env", "Value": "prod"}
    ]

    iam.remove_role_from_instance_profile(InstanceProfileName="web-profile", RoleName="web")
    iam.delete_instance_profile(InstanceProfileName="web-profile")
    iam.delete_role(RoleName="web")
    err = error_of(iam.get_instance_profile, InstanceProfileName="web-profile")
    assert (err["Code"], err["status"], err["Message"]) == (
        "NoSuchEntity",
        404,
        "Instance Profile web-profile cannot be found.",
    )


def test_adding_a_role_needs_pass_role_on_it(server, iam):
    acct = server.account_id
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=EC2)
    iam.create_instance_profile(InstanceProfileName="p")
    alice = make_user(iam, server, "alice", inline=policy(allow("iam:AddRoleToInstanceProfile"))).client("iam")
    err = error_of(alice.add_role_to_instance_profile, InstanceProfileName="p", RoleName="web")
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:PassRole on resource: "
        f"arn:aws:iam::{acct}:role/web because no identity-based policy allows the iam:PassRole action"
    )
    iam.put_user_policy(
        UserName="alice",
        PolicyName="pass",
        PolicyDocument=policy(
            allow(
                "iam:PassRole",
                f"arn:aws:iam::{acct}:role/web",
                Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            )
        ),
    )
    alice.add_role_to_instance_profile(InstanceProfileName="p", RoleName="web")


def test_service_linked_roles_have_awss_names_and_paths(server, iam):
    acct = server.account_id
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"] == (
        f"arn:aws:iam::{acct}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    trust_doc = iam.get_role(RoleName="AWSServiceRoleForAutoScaling")["Role"]["AssumeRolePolicyDocument"]
    assert trust_doc["Statement"][0]["Principal"] == {"Service": "autoscaling.amazonaws.com"}

    err = error_of(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com")
    assert (err["Code"], err["Message"]) == (
        "InvalidInput",
        "Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.",
    )
    suffixed = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")
    assert suffixed["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    err = error_of(iam.create_service_linked_role, AWSServiceName="es.amazonaws.com", CustomSuffix="x")
    assert err["Message"] == "Custom suffix is not allowed for es.amazonaws.com"

    err = error_of(iam.delete_role, RoleName="AWSServiceRoleForAutoScaling")
    assert (err["Code"], err["Message"]) == (
        "UnmodifiableEntity",
        "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only "
        "modifiable by AWS",
    )
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForAutoScaling")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    assert error_of(iam.get_role, RoleName="AWSServiceRoleForAutoScaling")["Code"] == "NoSuchEntity"


def test_create_service_linked_role_is_authorized_with_the_service_name(server, iam):
    acct = server.account_id
    alice = make_user(
        iam,
        server,
        "alice",
        inline=policy(
            allow(
                "iam:CreateServiceLinkedRole",
                Condition={"StringEquals": {"iam:AWSServiceName": "ecs.amazonaws.com"}},
            )
        ),
    ).client("iam")
    assert alice.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]["RoleName"] == (
        "AWSServiceRoleForECS"
    )
    err = error_of(alice.create_service_linked_role, AWSServiceName="rds.amazonaws.com")
    assert err["Code"] == "AccessDenied"
    assert f"arn:aws:iam::{acct}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS" in err["Message"]


def test_account_authorization_details_list_a_roles_instance_profiles(server, iam):
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=EC2)
    iam.create_instance_profile(InstanceProfileName="p")
    iam.add_role_to_instance_profile(InstanceProfileName="p", RoleName="web")
    details = iam.get_account_authorization_details(Filter=["Role"])["RoleDetailList"]
    assert [p["InstanceProfileName"] for p in details[0]["InstanceProfileList"]] == ["p"]
