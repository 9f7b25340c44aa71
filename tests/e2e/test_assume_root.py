"""Centralized root access with boto3: the organization's features (IAM
``API_EnableOrganizationsRootSessions``, ``API_ListOrganizationsFeatures``) and STS
``AssumeRoot`` sessions scoped to a task policy (``API_AssumeRoot``; IAM User Guide
``id_root-user-privileged-task``)."""

from __future__ import annotations

from e2e_helpers import Keys, allow, error_of, make_user, policy

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
DELETE = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"


def _member(server):
    orgs = server.client("organizations")
    return orgs.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]


def test_organization_features_are_switched_by_the_management_account(server, iam):
    org_id = server.client("organizations").describe_organization()["Organization"]["Id"]
    listed = iam.list_organizations_features()
    assert (listed["OrganizationId"], listed["EnabledFeatures"]) == (org_id, [])
    on = iam.enable_organizations_root_credentials_management()
    assert (on["OrganizationId"], on["EnabledFeatures"]) == (org_id, ["RootCredentialsManagement"])
    assert iam.enable_organizations_root_sessions()["EnabledFeatures"] == ["RootCredentialsManagement", "RootSessions"]
    assert iam.disable_organizations_root_credentials_management()["EnabledFeatures"] == ["RootSessions"]

    member = _member(server)
    ops = make_user(iam, server, "ops", managed=(ADMIN,))
    access = Keys.of_session(
        server,
        ops.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="ops"
        ),
    )
    err = error_of(access.client("iam").list_organizations_features)
    assert (err["Code"], err["status"]) == ("AccountNotManagementOrDelegatedAdministratorException", 400)


def test_assume_root_session_may_do_only_its_task(server, iam):
    acct = server.account_id
    member = _member(server)
    ops = make_user(iam, server, "ops", inline=policy(allow("sts:AssumeRoot", f"arn:aws:iam::{member}:root")))
    sts = ops.client("sts")
    err = error_of(sts.assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})
    assert err["Code"] == "AccessDenied"  # root sessions are not enabled yet
    iam.enable_organizations_root_sessions()

    answer = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT}, DurationSeconds=600)
    root = Keys.of_session(server, answer)
    assert root.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{member}:root"
    member_iam = root.client("iam")
    member_iam.list_access_keys()
    member_iam.get_account_summary()
    err = error_of(member_iam.create_user, UserName="intruder")
    assert err["Message"] == (
        f"User: arn:aws:iam::{member}:root is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{member}:user/intruder because no session policy allows the iam:CreateUser action"
    )

    # Only task policies; never the management account itself; never with root credentials.
    err = error_of(sts.assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": ADMIN})
    assert err["Code"] == "ValidationError"
    assert error_of(sts.assume_root, TargetPrincipal=acct, TaskPolicyArn={"arn": AUDIT})["Code"] == "AccessDenied"
    err = error_of(server.client("sts").assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": DELETE})
    assert err["Code"] == "AccessDenied"
    err = error_of(sts.assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT}, DurationSeconds=901)
    assert err["Code"] == "ValidationError"


def test_assume_root_needs_sts_assume_root_with_the_task_policy(server, iam):
    member = _member(server)
    iam.enable_organizations_root_sessions()
    only_audit = policy(
        allow("sts:AssumeRoot", "*", Condition={"StringEquals": {"sts:TaskPolicyArn": AUDIT}}),
    )
    ops = make_user(iam, server, "ops", inline=only_audit).client("sts")
    ops.assume_root(TargetPrincipal=f"arn:aws:iam::{member}:root", TaskPolicyArn={"arn": AUDIT})
    err = error_of(ops.assume_root, TargetPrincipal=member, TaskPolicyArn={"arn": DELETE})
    assert err["Code"] == "AccessDenied" and "sts:AssumeRoot" in err["Message"]
