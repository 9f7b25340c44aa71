"""Flow 1 of the seed: an IAM user with long-term keys; identity policies on the user and
through a group; a permissions boundary caps them; an explicit deny beats any allow; every
denial carries AWS's message (IAM User Guide ``troubleshoot_access-denied``;
``reference_policies_evaluation-logic``; ``access_policies_boundaries``)."""

from __future__ import annotations

import pytest
from e2e_helpers import allow, deny, error_of, make_user, policy, trust

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def test_no_policy_is_an_implicit_deny_in_awss_words(server, iam):
    alice = make_user(iam, server, "alice").client("iam")
    err = error_of(alice.create_user, UserName="bob")
    acct = server.account_id
    assert (err["Code"], err["status"], err["Type"]) == ("AccessDenied", 403, "Sender")
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{acct}:user/bob because no identity-based policy allows the iam:CreateUser action"
    )
    # Nothing was created by the denied request.
    assert error_of(iam.get_user, UserName="bob")["Code"] == "NoSuchEntity"


@pytest.mark.parametrize(
    ("operation", "kwargs", "action", "resource"),
    [
        ("list_users", {}, "iam:ListUsers", "arn:aws:iam::{acct}:user/"),
        ("list_roles", {}, "iam:ListRoles", "arn:aws:iam::{acct}:role/"),
        ("list_roles", {"PathPrefix": "/service/"}, "iam:ListRoles", "arn:aws:iam::{acct}:role/service/"),
        ("list_groups", {}, "iam:ListGroups", "arn:aws:iam::{acct}:group/"),
        ("list_policies", {}, "iam:ListPolicies", "policy path /"),
    ],
)
def test_list_operations_name_the_resource_as_aws_prints_it(server, iam, operation, kwargs, action, resource):
    """AWS's answers: "... iam:ListUsers on resource: arn:aws:iam::ACCT:user/ because no
    identity-based policy allows ...", "... iam:ListRoles on resource: arn:aws:iam::ACCT:role/",
    "... iam:ListGroups on resource: arn:aws:iam::ACCT:group/", "... iam:ListPolicies on
    resource: policy path /"."""
    alice = make_user(iam, server, "alice").client("iam")
    err = error_of(getattr(alice, operation), **kwargs)
    acct = server.account_id
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: {action} on resource: "
        f"{resource.format(acct=acct)} because no identity-based policy allows the {action} action"
    )


def test_list_users_scoped_to_a_path(server, iam):
    """``reference_policies_examples_iam_policy-sim-path-console``: ``iam:ListUsers`` allowed on
    ``arn:aws:iam::*:user/Department/Development/*`` lists that path."""
    alice = make_user(
        iam, server, "alice", inline=policy(allow("iam:ListUsers", "arn:aws:iam::*:user/Department/Development/*"))
    ).client("iam")
    iam.create_user(UserName="dev1", Path="/Department/Development/")
    listed = alice.list_users(PathPrefix="/Department/Development/")["Users"]
    assert [u["UserName"] for u in listed] == ["dev1"]
    err = error_of(alice.list_users)
    assert f"iam:ListUsers on resource: arn:aws:iam::{server.account_id}:user/ because" in err["Message"]


def test_inline_user_policy_allows_and_takes_effect_on_the_next_request(server, iam):
    alice = make_user(iam, server, "alice").client("iam")
    assert error_of(alice.list_users)["Code"] == "AccessDenied"
    iam.put_user_policy(UserName="alice", PolicyName="list", PolicyDocument=policy(allow("iam:ListUsers")))
    assert [u["UserName"] for u in alice.list_users()["Users"]] == ["alice"]
    iam.delete_user_policy(UserName="alice", PolicyName="list")
    assert error_of(alice.list_users)["Code"] == "AccessDenied"


def test_group_managed_policy_applies_to_members(server, iam):
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=READ_ONLY)
    alice = make_user(iam, server, "alice", groups=("readers",)).client("iam")
    assert alice.get_group(GroupName="readers")["Users"][0]["UserName"] == "alice"
    assert alice.list_attached_group_policies(GroupName="readers")["AttachedPolicies"][0]["PolicyArn"] == READ_ONLY
    # Read-only: creating is still implicitly denied.
    assert (
        "because no identity-based policy allows the iam:CreateGroup action"
        in error_of(alice.create_group, GroupName="writers")["Message"]
    )
    iam.remove_user_from_group(GroupName="readers", UserName="alice")
    assert error_of(alice.list_users)["Code"] == "AccessDenied"


def test_customer_managed_policy_with_a_resource_path(server, iam):
    acct = server.account_id
    created = iam.create_policy(
        PolicyName="TeamUsers",
        PolicyDocument=policy(allow("iam:CreateUser", f"arn:aws:iam::{acct}:user/team/*")),
    )["Policy"]
    alice = make_user(iam, server, "alice", managed=(created["Arn"],)).client("iam")
    assert alice.create_user(UserName="bob", Path="/team/")["User"]["Arn"] == f"arn:aws:iam::{acct}:user/team/bob"
    err = error_of(alice.create_user, UserName="carol")
    assert f"iam:CreateUser on resource: arn:aws:iam::{acct}:user/carol because no identity-based" in err["Message"]


def test_permissions_boundary_caps_the_identity_policies(server, iam):
    """``access_policies_boundaries``: the effective permissions are the intersection of the
    identity-based policies and the boundary."""
    iam.create_group(GroupName="admins")
    iam.put_group_policy(GroupName="admins", PolicyName="all", PolicyDocument=policy(allow("iam:*")))
    alice = make_user(iam, server, "alice", groups=("admins",), boundary=READ_ONLY).client("iam")
    assert alice.list_users()["Users"]  # allowed by both
    err = error_of(alice.create_user, UserName="bob")
    acct = server.account_id
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{acct}:user/bob because no permissions boundary allows the iam:CreateUser action"
    )
    # The boundary alone grants nothing.
    iam.remove_user_from_group(GroupName="admins", UserName="alice")
    assert "because no identity-based policy allows" in error_of(alice.list_users)["Message"]


def test_explicit_deny_in_a_boundary(server, iam):
    """A deny in a managed boundary: the documented wording, or (AWS, January 2026, "Enhanced
    access denied error messages with policy ARNs") the same followed by the policy's ARN."""
    boundary = iam.create_policy(PolicyName="Boundary", PolicyDocument=policy(allow("iam:*"), deny("iam:CreateUser")))[
        "Policy"
    ]["Arn"]
    alice = make_user(iam, server, "alice", inline=policy(allow("iam:*")), boundary=boundary).client("iam")
    err = error_of(alice.create_user, UserName="bob")
    acct = server.account_id
    documented = (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{acct}:user/bob with an explicit deny in a permissions boundary"
    )
    assert err["Message"] in (documented, f"{documented}: {boundary}")


def test_explicit_deny_beats_allow_from_another_policy(server, iam):
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    alice = make_user(iam, server, "alice", groups=("admins",), inline=policy(deny("iam:CreateRole"))).client("iam")
    document = trust({"Service": "ec2.amazonaws.com"})
    err = error_of(alice.create_role, RoleName="blocked", AssumeRolePolicyDocument=document)
    acct = server.account_id
    assert err["Message"] == (
        f"User: arn:aws:iam::{acct}:user/alice is not authorized to perform: iam:CreateRole on resource: "
        f"arn:aws:iam::{acct}:role/blocked with an explicit deny in an identity-based policy"
    )
    assert error_of(iam.get_role, RoleName="blocked")["Code"] == "NoSuchEntity"
    alice.create_user(UserName="bob")  # everything else is allowed


def test_condition_on_a_user_tag(server, iam):
    """``${aws:PrincipalTag/team}`` resolves from the calling user's tags
    (``reference_policies_variables``)."""
    acct = server.account_id
    alice = make_user(
        iam,
        server,
        "alice",
        inline=policy(allow("iam:GetUser", f"arn:aws:iam::{acct}:user/${{aws:PrincipalTag/team}}/*")),
    ).client("iam")
    iam.create_user(UserName="bob", Path="/blue/")
    iam.create_user(UserName="carol", Path="/red/")
    assert error_of(alice.get_user, UserName="bob")["Code"] == "AccessDenied"
    iam.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "blue"}])
    assert alice.get_user(UserName="bob")["User"]["Path"] == "/blue/"
    assert error_of(alice.get_user, UserName="carol")["Code"] == "AccessDenied"


def test_inactive_and_unknown_keys_are_refused(server, iam):
    """``CommonErrors``: ``InvalidClientTokenId`` "The security token included in the request
    is invalid." for keys AWS does not know or that are inactive; ``SignatureDoesNotMatch``
    for a wrong secret."""
    keys = make_user(iam, server, "alice", inline=policy(allow("iam:ListUsers")))
    alice = keys.client("iam")
    alice.list_users()
    iam.update_access_key(UserName="alice", AccessKeyId=keys.access_key_id, Status="Inactive")
    err = error_of(alice.list_users)
    assert (err["Code"], err["status"]) == ("InvalidClientTokenId", 403)
    assert err["Message"] == "The security token included in the request is invalid."
    forged = server.client("iam", keys.access_key_id, "x" * 40)
    iam.update_access_key(UserName="alice", AccessKeyId=keys.access_key_id, Status="Active")
    assert error_of(forged.list_users)["Code"] == "SignatureDoesNotMatch"
