"""Flow 11 of the seed: a partner account that assumes a role is compromised. The role's
owner changes the trust policy (no new sessions for the partner) and revokes the active
sessions the way the IAM console does (``id_roles_use_revoke-sessions``: an inline policy
``AWSRevokeOlderSessions`` denying ``*`` when ``aws:TokenIssueTime`` is before now), so
credentials issued before are denied with an explicit deny while new sessions work."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from e2e_helpers import Keys, allow, deny, error_of, make_user, policy, trust, wait_past


def _revoke_older_sessions(iam, role_name):
    """What the console's "Revoke active sessions" writes (``id_credentials_temp_control-
    access_disable-perms``, "Denying access to temporary security credentials issued before a
    specific time")."""
    now = time.time()
    stamp = dt.datetime.fromtimestamp(now, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
        },
    }
    iam.put_role_policy(RoleName=role_name, PolicyName="AWSRevokeOlderSessions", PolicyDocument=json.dumps(document))
    return now


def _partner(server, role_arn):
    """A partner account whose user ``integrator`` may assume ``role_arn``."""
    account = server.create_account()
    iam = Keys(server, account.access_key_id, account.secret_access_key).client("iam")
    user = make_user(iam, server, "integrator", inline=policy(allow("sts:AssumeRole", role_arn)))
    return account.account_id, user.client("sts")


def test_compromised_partner_loses_its_sessions_while_new_ones_work(server, iam):
    acct = server.account_id
    role_arn = f"arn:aws:iam::{acct}:role/PartnerAccess"
    old_partner, old_sts = _partner(server, role_arn)
    new_partner, new_sts = _partner(server, role_arn)
    iam.create_role(
        RoleName="PartnerAccess",
        AssumeRolePolicyDocument=trust(
            {"AWS": f"arn:aws:iam::{old_partner}:root"}, Condition={"StringEquals": {"sts:ExternalId": "p-1"}}
        ),
    )
    iam.put_role_policy(
        RoleName="PartnerAccess", PolicyName="work", PolicyDocument=policy(allow(["iam:ListRoles", "iam:GetRole"]))
    )
    stolen = Keys.of_session(
        server, old_sts.assume_role(RoleArn=role_arn, RoleSessionName="nightly", ExternalId="p-1")
    ).client("iam")
    assert stolen.get_role(RoleName="PartnerAccess")["Role"]["Arn"] == role_arn

    # 1. The trust policy now names the new partner only: the old one cannot start sessions...
    iam.update_assume_role_policy(
        RoleName="PartnerAccess",
        PolicyDocument=trust(
            {"AWS": f"arn:aws:iam::{new_partner}:root"}, Condition={"StringEquals": {"sts:ExternalId": "p-2"}}
        ),
    )
    err = error_of(old_sts.assume_role, RoleArn=role_arn, RoleSessionName="again", ExternalId="p-1")
    assert err["Code"] == "AccessDenied"
    assert err["Message"].startswith(
        f"User: arn:aws:iam::{old_partner}:user/integrator is not authorized to perform: sts:AssumeRole "
        f"on resource: {role_arn}"
    )
    # ... but a trust policy is checked only when a session starts: issued credentials still work.
    stolen.list_roles()

    # 2. Revoke the sessions issued before now.
    revoked_at = _revoke_older_sessions(iam, "PartnerAccess")
    err = error_of(stolen.list_roles)
    assert (err["Code"], err["status"]) == ("AccessDenied", 403)
    assert err["Message"] == (
        f"User: arn:aws:sts::{acct}:assumed-role/PartnerAccess/nightly is not authorized to perform: iam:ListRoles "
        f"on resource: arn:aws:iam::{acct}:role/ with an explicit deny in an identity-based policy"
    )
    assert "with an explicit deny" in error_of(stolen.get_role, RoleName="PartnerAccess")["Message"]

    # 3. Sessions issued after the revocation are not affected.
    wait_past(revoked_at)
    fresh = Keys.of_session(
        server, new_sts.assume_role(RoleArn=role_arn, RoleSessionName="nightly", ExternalId="p-2")
    ).client("iam")
    assert [r["RoleName"] for r in fresh.list_roles()["Roles"]] == ["PartnerAccess"]
    assert error_of(stolen.list_roles)["Code"] == "AccessDenied"
    # Long-term keys carry no aws:TokenIssueTime: the deny does not reach them (nor the root user).
    iam.list_roles()


def test_session_assumed_right_after_a_revocation_is_not_affected(server, iam):
    """``id_roles_use_revoke-sessions``: "Any user who assumes the role after you chose Revoke
    active sessions is not affected", even within the same second (the console writes the
    time to the millisecond)."""
    acct = server.account_id
    app = make_user(iam, server, "app").client("sts")
    arn = iam.create_role(RoleName="App", AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{acct}:user/app"}))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(RoleName="App", PolicyName="list", PolicyDocument=policy(allow("iam:ListRoles")))
    # The revocation and the new session must fall in one second; on a busy machine a try can
    # straddle two, so try again (a fresh revocation each time).
    for _ in range(5):
        if time.time() % 1 > 0.3:  # start early in a second, so that everything below stays in it
            wait_past(time.time())
        second = int(time.time())
        revoked = dt.datetime.fromtimestamp(second, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.001Z")
        document = policy(deny("*", Condition={"DateLessThan": {"aws:TokenIssueTime": revoked}}))
        iam.put_role_policy(RoleName="App", PolicyName="AWSRevokeOlderSessions", PolicyDocument=document)
        fresh = Keys.of_session(server, app.assume_role(RoleArn=arn, RoleSessionName="fresh")).client("iam")
        if int(time.time()) == second:
            break
    else:
        pytest.fail("five tries each left the second they started in")
    fresh.list_roles()
