"""A Terraform-style apply and destroy with boto3, in the order the AWS provider calls IAM for
``aws_iam_role``, ``aws_iam_policy``, ``aws_iam_role_policy_attachment``,
``aws_iam_instance_profile``, ``aws_iam_service_linked_role`` and
``aws_iam_account_password_policy`` (each resource's create, its read-back, then the reverse
order on destroy), run by a deployer user whose only permissions are an inline policy."""

from __future__ import annotations

from e2e_helpers import allow, error_of, make_user, policy, trust


def test_terraform_style_apply_and_destroy(server, iam):
    acct = server.account_id
    deployer = make_user(iam, server, "terraform", inline=policy(allow(["iam:*", "sts:GetCallerIdentity"])))
    tf = deployer.client("iam")
    assert deployer.client("sts").get_caller_identity()["Account"] == acct

    # aws_iam_role
    role = tf.create_role(
        RoleName="app",
        Path="/app/",
        AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}),
        Description="app servers",
        Tags=[{"Key": "ManagedBy", "Value": "terraform"}],
    )["Role"]
    assert tf.get_role(RoleName="app")["Role"]["Arn"] == role["Arn"] == f"arn:aws:iam::{acct}:role/app/app"
    assert tf.list_role_policies(RoleName="app")["PolicyNames"] == []
    assert tf.list_attached_role_policies(RoleName="app")["AttachedPolicies"] == []

    # aws_iam_policy
    made = tf.create_policy(PolicyName="app-s3", PolicyDocument=policy(allow("s3:GetObject", "arn:aws:s3:::app/*")))
    arn = made["Policy"]["Arn"]
    got = tf.get_policy(PolicyArn=arn)["Policy"]
    assert got["Tags"] == []
    assert tf.get_policy_version(PolicyArn=arn, VersionId=got["DefaultVersionId"])["PolicyVersion"]["IsDefaultVersion"]

    # aws_iam_role_policy_attachment
    tf.attach_role_policy(RoleName="app", PolicyArn=arn)
    assert [p["PolicyArn"] for p in tf.list_attached_role_policies(RoleName="app")["AttachedPolicies"]] == [arn]

    # aws_iam_instance_profile
    tf.create_instance_profile(InstanceProfileName="app", Path="/app/")
    tf.add_role_to_instance_profile(InstanceProfileName="app", RoleName="app")
    profile = tf.get_instance_profile(InstanceProfileName="app")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["app"]

    # aws_iam_service_linked_role
    linked = tf.create_service_linked_role(AWSServiceName="elasticloadbalancing.amazonaws.com")["Role"]
    assert linked["Path"] == "/aws-service-role/elasticloadbalancing.amazonaws.com/"
    assert tf.get_role(RoleName=linked["RoleName"])["Role"]["RoleId"] == linked["RoleId"]

    # aws_iam_account_password_policy
    tf.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireLowercaseCharacters=True,
        RequireUppercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
    )
    assert tf.get_account_password_policy()["PasswordPolicy"]["PasswordReusePrevention"] == 24

    # terraform destroy, in reverse dependency order
    tf.delete_account_password_policy()
    task = tf.delete_service_linked_role(RoleName=linked["RoleName"])["DeletionTaskId"]
    assert tf.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"
    tf.remove_role_from_instance_profile(InstanceProfileName="app", RoleName="app")
    tf.delete_instance_profile(InstanceProfileName="app")
    tf.detach_role_policy(RoleName="app", PolicyArn=arn)
    assert tf.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"] == []
    tf.delete_role(RoleName="app")
    assert [v["VersionId"] for v in tf.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]
    tf.delete_policy(PolicyArn=arn)
    for call, kwargs in (
        (tf.get_role, {"RoleName": "app"}),
        (tf.get_policy, {"PolicyArn": arn}),
        (tf.get_instance_profile, {"InstanceProfileName": "app"}),
        (tf.get_role, {"RoleName": linked["RoleName"]}),
        (tf.get_account_password_policy, {}),
    ):
        assert error_of(call, **kwargs)["Code"] == "NoSuchEntity"
