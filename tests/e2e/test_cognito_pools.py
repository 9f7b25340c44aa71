"""Cognito user pools and app clients with boto3 (Cognito API Reference ``API_CreateUserPool``,
``API_UpdateUserPool``, ``API_DeleteUserPool``, ``API_ListUserPools``, ``API_CreateUserPoolClient``
...), authorized by the engine on the pool's ARN (Service Authorization Reference
``list_amazoncognitouserpools``)."""

from __future__ import annotations

import re
from typing import Any

from e2e_helpers import allow, error_of, make_user, policy

from localiam.testing import LocaliamServer


def test_a_pool_has_aws_shaped_ids_and_defaults(server: LocaliamServer) -> None:
    cognito = server.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="app-users",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", pool["Id"])
    assert pool["Arn"] == f"arn:aws:cognito-idp:us-east-1:{server.account_id}:userpool/{pool['Id']}"
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 8,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 7,
    }
    assert pool["DeletionProtection"] == "INACTIVE" and pool["MfaConfiguration"] == "OFF"
    names = {a["Name"] for a in pool["SchemaAttributes"]}
    assert {"sub", "email", "email_verified", "custom:team"} <= names
    described = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert described["UsernameAttributes"] == ["email"] and described["EstimatedNumberOfUsers"] == 0


def test_update_resets_what_it_is_not_given_and_deletion_protection_holds(server: LocaliamServer) -> None:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="p", Policies={"PasswordPolicy": {"MinimumLength": 12}}, AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    cognito.update_user_pool(UserPoolId=pool_id, DeletionProtection="ACTIVE")
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8  # back to the default
    assert "AutoVerifiedAttributes" not in described
    err = error_of(cognito.delete_user_pool, UserPoolId=pool_id)
    assert err["Code"] == "InvalidParameterException"
    assert "deletion protection is activated" in err["Message"]
    cognito.update_user_pool(UserPoolId=pool_id, DeletionProtection="INACTIVE")
    cognito.delete_user_pool(UserPoolId=pool_id)
    err = error_of(cognito.describe_user_pool, UserPoolId=pool_id)
    assert (err["Code"], err["Message"]) == ("ResourceNotFoundException", f"User pool {pool_id} does not exist.")


def test_pools_are_listed_a_page_at_a_time(server: LocaliamServer) -> None:
    cognito = server.client("cognito-idp")
    made = [cognito.create_user_pool(PoolName=f"pool-{i}")["UserPool"]["Id"] for i in range(5)]
    first = cognito.list_user_pools(MaxResults=3)
    assert [p["Id"] for p in first["UserPools"]] == made[:3]
    second = cognito.list_user_pools(MaxResults=3, NextToken=first["NextToken"])
    assert [p["Id"] for p in second["UserPools"]] == made[3:] and "NextToken" not in second
    assert error_of(cognito.list_user_pools, MaxResults=61)["Code"] == "InvalidParameterException"


def test_app_clients(server: LocaliamServer) -> None:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    public = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="spa", ExplicitAuthFlows=["ALLOW_USER_SRP_AUTH"]
    )["UserPoolClient"]
    assert re.fullmatch(r"[a-z0-9]{26}", public["ClientId"]) and "ClientSecret" not in public
    assert public["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert (public["AccessTokenValidity"], public["IdTokenValidity"], public["RefreshTokenValidity"]) == (60, 60, 30)
    assert public["PreventUserExistenceErrors"] == "ENABLED" and public["EnableTokenRevocation"] is True
    confidential = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="backend",
        GenerateSecret=True,
        AccessTokenValidity=2,
        TokenValidityUnits={"AccessToken": "hours"},
    )["UserPoolClient"]
    assert len(confidential["ClientSecret"]) == 51
    assert confidential["TokenValidityUnits"]["AccessToken"] == "hours"
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=confidential["ClientId"])
    assert described["UserPoolClient"]["ClientSecret"] == confidential["ClientSecret"]
    err = error_of(
        cognito.create_user_pool_client,
        UserPoolId=pool_id,
        ClientName="x",
        AccessTokenValidity=2,
        TokenValidityUnits={"AccessToken": "days"},
    )
    assert err["Code"] == "InvalidParameterException"
    updated = cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=public["ClientId"], ClientName="spa-2")
    assert updated["UserPoolClient"]["ClientName"] == "spa-2"
    listed = cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"]
    assert {c["ClientName"] for c in listed} == {"spa-2", "backend"}
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=public["ClientId"])
    err = error_of(cognito.describe_user_pool_client, UserPoolId=pool_id, ClientId=public["ClientId"])
    assert err["Code"] == "ResourceNotFoundException"


def test_the_engine_authorizes_on_the_pools_arn_and_tags(server: LocaliamServer, iam: Any) -> None:
    root = server.client("cognito-idp")
    blue = root.create_user_pool(PoolName="blue", UserPoolTags={"team": "blue"})["UserPool"]
    red = root.create_user_pool(PoolName="red", UserPoolTags={"team": "red"})["UserPool"]
    statement = allow(
        ["cognito-idp:DescribeUserPool", "cognito-idp:TagResource"],
        "*",
        Condition={"StringEquals": {"aws:ResourceTag/team": "blue"}},
    )
    dev = make_user(iam, server, "dev", inline=policy(statement)).client("cognito-idp")
    assert dev.describe_user_pool(UserPoolId=blue["Id"])["UserPool"]["Name"] == "blue"
    err = error_of(dev.describe_user_pool, UserPoolId=red["Id"])
    assert err["Code"] == "AccessDeniedException"
    assert err["Message"] == (
        f"User: arn:aws:iam::{server.account_id}:user/dev is not authorized to perform: "
        f"cognito-idp:DescribeUserPool on resource: {red['Arn']} because no identity-based policy allows "
        "the cognito-idp:DescribeUserPool action"
    )
    assert error_of(dev.create_user_pool, PoolName="mine")["Code"] == "AccessDeniedException"
    dev.tag_resource(ResourceArn=blue["Arn"], Tags={"env": "dev"})
    assert root.list_tags_for_resource(ResourceArn=blue["Arn"])["Tags"] == {"team": "blue", "env": "dev"}
    root.untag_resource(ResourceArn=blue["Arn"], TagKeys=["env"])
    assert root.list_tags_for_resource(ResourceArn=blue["Arn"])["Tags"] == {"team": "blue"}


def test_another_accounts_pool_does_not_exist_for_the_caller(server: LocaliamServer) -> None:
    pool_id = server.client("cognito-idp").create_user_pool(PoolName="mine")["UserPool"]["Id"]
    other = server.create_account()
    theirs = server.client("cognito-idp", other.access_key_id, other.secret_access_key)
    err = error_of(theirs.describe_user_pool, UserPoolId=pool_id)
    assert err["Code"] == "ResourceNotFoundException"
    assert theirs.list_user_pools(MaxResults=10)["UserPools"] == []
