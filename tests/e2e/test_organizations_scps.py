"""Flow 3 of the seed: service control policies. An SCP attached to an OU binds every
principal of the member accounts under it, the member's root user included, while the
management account is never restricted (``orgs_manage_policies_scps``: "SCPs don't affect
users or roles in the management account"; "SCPs affect all users and roles in attached
accounts, including the root user"). A change takes effect on the next request."""

from __future__ import annotations

import pytest
from e2e_helpers import Keys, allow, deny, error_of, make_user, policy, root_keys

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
DENY_GROUPS = policy(deny("iam:CreateGroup"))


@pytest.fixture
def org(server, iam):
    """The organization with SCPs enabled, an OU ``Workloads`` and a member account in it, and
    an administrator ``ops`` in the management account."""
    orgs = server.client("organizations")
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    enabled = orgs.enable_policy_type(RootId=root_id, PolicyType="SERVICE_CONTROL_POLICY")["Root"]
    assert {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in enabled["PolicyTypes"]
    ou = orgs.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]
    status = orgs.create_account(Email="member@example.com", AccountName="member")["CreateAccountStatus"]
    assert status["State"] == "SUCCEEDED"
    member = status["AccountId"]
    orgs.move_account(AccountId=member, SourceParentId=root_id, DestinationParentId=ou["Id"])
    ops = make_user(iam, server, "ops", managed=(ADMIN,))
    return {"orgs": orgs, "root_id": root_id, "ou": ou["Id"], "member": member, "ops": ops}


def _scp(orgs, name, content):
    return orgs.create_policy(Name=name, Description=name, Type="SERVICE_CONTROL_POLICY", Content=content)["Policy"][
        "PolicySummary"
    ]["Id"]


def _member_admin(server, org):
    """``ops`` assumes OrganizationAccountAccessRole in the member account and creates an
    administrator ``bob`` there."""
    member = org["member"]
    answer = (
        org["ops"]
        .client("sts")
        .assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="ops")
    )
    access = Keys.of_session(server, answer)
    bob = make_user(access.client("iam"), server, "bob", managed=(ADMIN,))
    return access, bob


def test_scp_on_an_ou_binds_member_users_roles_and_root(server, iam, org):
    orgs, member = org["orgs"], org["member"]
    access, bob = _member_admin(server, org)
    member_root = root_keys(server, member)
    bob_iam, access_iam, root_iam = bob.client("iam"), access.client("iam"), member_root.client("iam")
    bob_iam.create_group(GroupName="before")  # FullAWSAccess alone allows everything

    scp = _scp(orgs, "DenyGroups", DENY_GROUPS)
    scp_arn = orgs.describe_policy(PolicyId=scp)["Policy"]["PolicySummary"]["Arn"]
    orgs.attach_policy(PolicyId=scp, TargetId=org["ou"])

    # The very next request of each member principal is denied, with AWS's wording.
    for who, client in (
        (f"arn:aws:iam::{member}:user/bob", bob_iam),
        (f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/ops", access_iam),
        (f"arn:aws:iam::{member}:root", root_iam),
    ):
        err = error_of(client.create_group, GroupName="after")
        assert (err["Code"], err["status"]) == ("AccessDenied", 403)
        documented = (
            f"User: {who} is not authorized to perform: iam:CreateGroup on resource: "
            f"arn:aws:iam::{member}:group/after with an explicit deny in a service control policy"
        )
        # Since January 2026 AWS appends the SCP's ARN ("Enhanced access denied error messages
        # with policy ARNs", AWS Security Blog).
        assert err["Message"] in (documented, f"{documented}: {scp_arn}")
    # What the SCP does not deny still works.
    bob_iam.create_user(UserName="carol")
    root_iam.list_users()

    # The management account is not restricted, even with the SCP on the root.
    orgs.attach_policy(PolicyId=scp, TargetId=org["root_id"])
    org["ops"].client("iam").create_group(GroupName="mgmt-ops")
    iam.create_group(GroupName="mgmt-root")

    # Detached everywhere: the member may again, on the next request.
    orgs.detach_policy(PolicyId=scp, TargetId=org["root_id"])
    orgs.detach_policy(PolicyId=scp, TargetId=org["ou"])
    bob_iam.create_group(GroupName="after")


def test_scp_allow_list_is_an_implicit_deny_for_the_rest(server, org):
    """With ``FullAWSAccess`` replaced by an allow list on the OU, every action outside the
    list is denied "because no service control policy allows" it (the root and the account
    keep FullAWSAccess; each level must allow)."""
    orgs, member = org["orgs"], org["member"]
    _access, bob = _member_admin(server, org)
    only_reads = _scp(orgs, "OnlyIamReads", policy(allow(["iam:Get*", "iam:List*"])))
    orgs.attach_policy(PolicyId=only_reads, TargetId=org["ou"])
    full = next(
        p["Id"]
        for p in orgs.list_policies_for_target(TargetId=org["ou"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
        if p["Name"] == "FullAWSAccess"
    )
    orgs.detach_policy(PolicyId=full, TargetId=org["ou"])
    bob_iam = bob.client("iam")
    assert [u["UserName"] for u in bob_iam.list_users()["Users"]] == ["bob"]
    err = error_of(bob_iam.create_user, UserName="dave")
    assert err["Message"] == (
        f"User: arn:aws:iam::{member}:user/bob is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{member}:user/dave because no service control policy allows the iam:CreateUser action"
    )
    root_iam = root_keys(server, member).client("iam")
    root_iam.list_users()
    assert error_of(root_iam.create_user, UserName="dave")["Message"] == (
        f"User: arn:aws:iam::{member}:root is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{member}:user/dave because no service control policy allows the iam:CreateUser action"
    )


def test_scps_cannot_be_attached_before_the_policy_type_is_enabled(server):
    """``API_AttachPolicy``: ``PolicyTypeNotEnabledException`` "The specified policy type
    isn't currently enabled in this root. You can't attach policies of the specified type to
    entities in a root until you enable that type in the root."; meanwhile nothing restricts
    the member account."""
    orgs = server.client("organizations")
    member = orgs.create_account(Email="m2@example.com", AccountName="m2")["CreateAccountStatus"]["AccountId"]
    scp = _scp(orgs, "DenyIam", policy(deny("iam:*")))
    err = error_of(orgs.attach_policy, PolicyId=scp, TargetId=member)
    assert (err["Code"], err["status"]) == ("PolicyTypeNotEnabledException", 400)
    root_keys(server, member).client("iam").list_users()
