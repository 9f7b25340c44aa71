"""DynamoDB fine-grained access for identity pool users, the example of the Amazon Cognito
Developer Guide ("IAM roles", Access policy example 3) and of the DynamoDB Developer Guide
("Using IAM policy conditions for fine-grained access control"): the role allows item
operations only where ``dynamodb:LeadingKeys`` are all ``${cognito-identity.amazonaws.com:sub}``,
so each person reads and writes only the items of their own partition, directly from the app,
with the credentials ``GetCredentialsForIdentity`` returned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key
from e2e_helpers import error_of
from test_cognito_identity_pools import APP, GOOGLE, google_token, identity_trust, unsigned

from localiam.testing import LocaliamServer

TABLE = "Notes"


@pytest.fixture
def notes(server: LocaliamServer) -> dict[str, str]:
    server.client("dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "note", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "note", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    admin = server.client("cognito-identity")
    pool = admin.create_identity_pool(
        IdentityPoolName="notes", AllowUnauthenticatedIdentities=False, SupportedLoginProviders={GOOGLE: APP}
    )["IdentityPoolId"]
    iam = server.client("iam")
    role = iam.create_role(RoleName="notes-users", AssumeRolePolicyDocument=identity_trust(pool, "authenticated"))[
        "Role"
    ]["Arn"]
    own_items = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:BatchGetItem",
                    "dynamodb:Query",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem",
                ],
                "Resource": [f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/{TABLE}"],
                "Condition": {
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${cognito-identity.amazonaws.com:sub}"]}
                },
            }
        ],
    }
    iam.put_role_policy(RoleName="notes-users", PolicyName="own-items", PolicyDocument=json.dumps(own_items))
    admin.set_identity_pool_roles(IdentityPoolId=pool, Roles={"authenticated": role})
    return {"pool": pool}


def table_of(server: LocaliamServer, pool: str, subject: str) -> tuple[str, Any]:
    logins = {GOOGLE: google_token(server, subject)}
    cognito = unsigned(server)
    identity = cognito.get_id(IdentityPoolId=pool, Logins=logins)["IdentityId"]
    creds = cognito.get_credentials_for_identity(IdentityId=identity, Logins=logins)["Credentials"]
    import boto3

    resource = boto3.resource(
        "dynamodb",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretKey"],
        aws_session_token=creds["SessionToken"],
    )
    return identity, resource.Table(TABLE)


def test_each_identity_reaches_only_its_own_partition(server: LocaliamServer, notes: dict[str, str]) -> None:
    alice, alice_table = table_of(server, notes["pool"], "alice")
    bob, bob_table = table_of(server, notes["pool"], "bob")
    alice_table.put_item(Item={"owner": alice, "note": "1", "text": "alice's first"})
    alice_table.put_item(Item={"owner": alice, "note": "2", "text": "alice's second"})
    bob_table.put_item(Item={"owner": bob, "note": "1", "text": "bob's"})
    mine = alice_table.query(KeyConditionExpression=Key("owner").eq(alice))["Items"]
    assert [item["text"] for item in mine] == ["alice's first", "alice's second"]

    err = error_of(alice_table.get_item, Key={"owner": bob, "note": "1"})
    assert err["Code"] == "AccessDeniedException"
    assert (
        "assumed-role/notes-users/CognitoIdentityCredentials is not authorized to perform: dynamodb:GetItem"
        in (err["Message"])
    )
    assert error_of(alice_table.query, KeyConditionExpression=Key("owner").eq(bob))["Code"] == "AccessDeniedException"
    assert error_of(alice_table.put_item, Item={"owner": bob, "note": "9", "text": "x"})["Code"] == (
        "AccessDeniedException"
    )
    # BatchGetItem is authorized for every key it asks: one of another's refuses the lot.
    batch = alice_table.meta.client.batch_get_item
    keys = [{"owner": alice, "note": "1"}, {"owner": bob, "note": "1"}]
    assert error_of(batch, RequestItems={TABLE: {"Keys": keys}})["Code"] == "AccessDeniedException"
    answer = batch(RequestItems={TABLE: {"Keys": keys[:1]}})
    assert [item["text"] for item in answer["Responses"][TABLE]] == ["alice's first"]
