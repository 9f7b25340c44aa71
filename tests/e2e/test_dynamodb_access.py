"""DynamoDB's fine-grained access control end to end (``specifying-conditions``, "Using IAM
policy conditions for fine-grained access control"; IAM User Guide
``reference_policies_examples_dynamodb_items`` and ``_attributes``), transactions
(``transaction-apis-iam``) and table resource policies across accounts
(``rbac-cross-account-access``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_helpers import Keys, allow, error_of, make_user, policy, trust

from localiam.testing import LocaliamServer

ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
]


def game_scores(client: Any) -> str:
    answer = client.create_table(
        TableName="GameScores",
        KeySchema=[{"AttributeName": "UserId", "KeyType": "HASH"}, {"AttributeName": "GameTitle", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "UserId", "AttributeType": "S"},
            {"AttributeName": "GameTitle", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return str(answer["TableDescription"]["TableArn"])


def role_session(server: LocaliamServer, name: str, identity: str) -> tuple[Keys, str, str]:
    """A role with ``identity`` and a session of it: (keys, aws:userid, session ARN)."""
    iam = server.client("iam")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{server.account_id}:root"}))
    iam.put_role_policy(RoleName=name, PolicyName="items", PolicyDocument=identity)
    assumer = make_user(iam, server, f"{name}-assumer", inline=policy(allow("sts:AssumeRole")))
    answer = assumer.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{server.account_id}:role/{name}", RoleSessionName="player"
    )
    keys = Keys.of_session(server, answer)
    caller = keys.client("sts").get_caller_identity()
    return keys, str(caller["UserId"]), str(caller["Arn"])


def denial(
    session_arn: str, action: str, resource: str, because: str = "because no identity-based policy allows"
) -> str:
    who = f"User: {session_arn} is not authorized to perform: {action}"
    return f"{who} on resource: {resource} {because} the {action} action"


def test_a_session_reads_and_writes_only_its_own_partition(server: LocaliamServer) -> None:
    """The AWS example: ``ForAllValues:StringEquals {"dynamodb:LeadingKeys": ["${aws:userid}"]}``."""
    admin = server.client("dynamodb")
    arn = game_scores(admin)
    identity = policy(
        allow(ITEM_ACTIONS, arn, Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:userid}"]}})
    )
    keys, me, session_arn = role_session(server, "Player", identity)
    admin.put_item(TableName="GameScores", Item={"UserId": {"S": "someone-else"}, "GameTitle": {"S": "Chess"}})
    ddb = keys.client("dynamodb")
    mine = {"UserId": {"S": me}, "GameTitle": {"S": "Chess"}}
    ddb.put_item(TableName="GameScores", Item={**mine, "TopScore": {"N": "10"}})
    assert ddb.get_item(TableName="GameScores", Key=mine)["Item"]["TopScore"] == {"N": "10"}
    ddb.update_item(
        TableName="GameScores",
        Key=mine,
        UpdateExpression="ADD TopScore :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    found = ddb.query(
        TableName="GameScores", KeyConditionExpression="UserId = :me", ExpressionAttributeValues={":me": {"S": me}}
    )
    assert found["Count"] == 1
    theirs = {"UserId": {"S": "someone-else"}, "GameTitle": {"S": "Chess"}}
    err = error_of(ddb.get_item, TableName="GameScores", Key=theirs)
    assert err["Code"] == "AccessDeniedException" and err["status"] == 400
    assert err["Message"] == denial(session_arn, "dynamodb:GetItem", arn)
    err = error_of(
        ddb.query,
        TableName="GameScores",
        KeyConditionExpression="UserId = :u",
        ExpressionAttributeValues={":u": {"S": "someone-else"}},
    )
    assert err["Message"] == denial(session_arn, "dynamodb:Query", arn)
    err = error_of(ddb.batch_get_item, RequestItems={"GameScores": {"Keys": [mine, theirs]}})
    assert err["Message"] == denial(session_arn, "dynamodb:BatchGetItem", arn)
    assert ddb.batch_get_item(RequestItems={"GameScores": {"Keys": [mine]}})["Responses"]["GameScores"][0]
    err = error_of(
        ddb.batch_write_item,
        RequestItems={
            "GameScores": [
                {"PutRequest": {"Item": {**mine, "GameTitle": {"S": "Go"}}}},
                {"DeleteRequest": {"Key": theirs}},
            ]
        },
    )
    assert err["Message"] == denial(session_arn, "dynamodb:BatchWriteItem", arn)
    assert "Item" not in ddb.get_item(TableName="GameScores", Key={**mine, "GameTitle": {"S": "Go"}})
    err = error_of(ddb.scan, TableName="GameScores")
    assert err["Message"] == denial(session_arn, "dynamodb:Scan", arn)
    ddb.delete_item(TableName="GameScores", Key=mine)


def test_an_attribute_restricted_policy(server: LocaliamServer) -> None:
    """The AWS example: ``ForAllValues:StringEquals {"dynamodb:Attributes": [...]}`` with
    ``StringEqualsIfExists {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}``."""
    admin = server.client("dynamodb")
    arn = game_scores(admin)
    admin.put_item(
        TableName="GameScores",
        Item={"UserId": {"S": "u"}, "GameTitle": {"S": "Chess"}, "TopScore": {"N": "5"}, "Secret": {"S": "hidden"}},
    )
    identity = policy(
        allow(
            [*ITEM_ACTIONS, "dynamodb:Scan"],
            arn,
            Condition={
                "ForAllValues:StringEquals": {"dynamodb:Attributes": ["UserId", "GameTitle", "TopScore"]},
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
            },
        )
    )
    keys, _me, session_arn = role_session(server, "Reader", identity)
    ddb = keys.client("dynamodb")
    key = {"UserId": {"S": "u"}, "GameTitle": {"S": "Chess"}}
    got = ddb.get_item(TableName="GameScores", Key=key, ProjectionExpression="TopScore")["Item"]
    assert got == {"TopScore": {"N": "5"}}
    err = error_of(ddb.get_item, TableName="GameScores", Key=key, ProjectionExpression="TopScore, Secret")
    assert err["Message"] == denial(session_arn, "dynamodb:GetItem", arn)
    err = error_of(ddb.get_item, TableName="GameScores", Key=key)
    assert err["Message"] == denial(session_arn, "dynamodb:GetItem", arn)
    err = error_of(ddb.scan, TableName="GameScores")
    assert err["Message"] == denial(session_arn, "dynamodb:Scan", arn)
    scanned = ddb.scan(TableName="GameScores", ProjectionExpression="UserId, TopScore")["Items"]
    assert scanned == [{"UserId": {"S": "u"}, "TopScore": {"N": "5"}}]
    err = error_of(
        ddb.update_item,
        TableName="GameScores",
        Key=key,
        UpdateExpression="SET Secret = :s",
        ExpressionAttributeValues={":s": {"S": "x"}},
    )
    assert err["Code"] == "AccessDeniedException"
    ddb.update_item(
        TableName="GameScores",
        Key=key,
        UpdateExpression="SET TopScore = :s",
        ExpressionAttributeValues={":s": {"N": "6"}},
    )


def test_return_values_and_consumed_capacity_keys(server: LocaliamServer) -> None:
    admin = server.client("dynamodb")
    arn = game_scores(admin)
    identity = policy(
        allow(
            ["dynamodb:PutItem", "dynamodb:GetItem"],
            arn,
            Condition={"StringEquals": {"dynamodb:ReturnValues": "NONE", "dynamodb:ReturnConsumedCapacity": "NONE"}},
        )
    )
    keys, _me, session_arn = role_session(server, "Writer", identity)
    ddb = keys.client("dynamodb")
    item = {"UserId": {"S": "u"}, "GameTitle": {"S": "Go"}}
    ddb.put_item(TableName="GameScores", Item=item)
    err = error_of(ddb.put_item, TableName="GameScores", Item=item, ReturnValues="ALL_OLD")
    assert err["Message"] == denial(session_arn, "dynamodb:PutItem", arn)
    err = error_of(ddb.put_item, TableName="GameScores", Item=item, ReturnConsumedCapacity="TOTAL")
    assert err["Message"] == denial(session_arn, "dynamodb:PutItem", arn)


def test_transactions_name_their_enclosing_operation(server: LocaliamServer) -> None:
    admin = server.client("dynamodb")
    arn = game_scores(admin)
    identity = policy(
        allow(
            ["dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem"],
            arn,
            Condition={"StringEquals": {"dynamodb:EnclosingOperation": ["TransactWriteItems", "TransactGetItems"]}},
        )
    )
    keys, _me, session_arn = role_session(server, "Transactor", identity)
    ddb = keys.client("dynamodb")
    item = {"UserId": {"S": "u"}, "GameTitle": {"S": "Go"}}
    err = error_of(ddb.put_item, TableName="GameScores", Item=item)
    assert err["Message"] == denial(session_arn, "dynamodb:PutItem", arn)
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "GameScores", "Item": item}}])
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "GameScores", "Key": item}}])
    assert got["Responses"][0]["Item"] == item
    err = error_of(ddb.transact_write_items, TransactItems=[{"Delete": {"TableName": "GameScores", "Key": item}}])
    assert err["Message"] == denial(session_arn, "dynamodb:DeleteItem", arn)


@pytest.fixture
def partner(server: LocaliamServer) -> tuple[str, Keys]:
    b = server.create_account(name="partner")
    return b.account_id, Keys(server, b.access_key_id, b.secret_access_key)


def test_cross_account_read_through_a_table_resource_policy(server: LocaliamServer, partner: tuple[str, Keys]) -> None:
    admin = server.client("dynamodb")
    arn = game_scores(admin)
    admin.put_item(TableName="GameScores", Item={"UserId": {"S": "u"}, "GameTitle": {"S": "Go"}})
    b_id, b_root = partner
    reader = make_user(
        b_root.client("iam"), server, "reader", inline=policy(allow(["dynamodb:GetItem", "dynamodb:Query"], arn))
    )
    ddb_b = reader.client("dynamodb")
    key = {"UserId": {"S": "u"}, "GameTitle": {"S": "Go"}}
    err = error_of(ddb_b.get_item, TableName=arn, Key=key)
    assert err["Message"] == denial(
        f"arn:aws:iam::{b_id}:user/reader", "dynamodb:GetItem", arn, "because no resource-based policy allows"
    )
    document = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{b_id}:root"},
            "Action": ["dynamodb:GetItem"],
            "Resource": arn,
        }
    )
    revision = admin.put_resource_policy(ResourceArn=arn, Policy=document)["RevisionId"]
    fetched = admin.get_resource_policy(ResourceArn=arn)
    assert json.loads(fetched["Policy"]) == json.loads(document) and fetched["RevisionId"] == revision
    assert ddb_b.get_item(TableName=arn, Key=key)["Item"] == key
    err = error_of(
        ddb_b.query, TableName=arn, KeyConditionExpression="UserId = :u", ExpressionAttributeValues={":u": {"S": "u"}}
    )
    assert err["Code"] == "AccessDeniedException"
    b_admin = b_root.client("dynamodb")
    err = error_of(b_admin.put_item, TableName=arn, Item=key)
    assert err["Code"] == "AccessDeniedException"
    admin.delete_resource_policy(ResourceArn=arn)
    assert error_of(admin.get_resource_policy, ResourceArn=arn)["Code"] == "PolicyNotFoundException"
    assert error_of(ddb_b.get_item, TableName=arn, Key=key)["Code"] == "AccessDeniedException"


def test_a_user_without_permission_is_refused_table_operations(server: LocaliamServer) -> None:
    user = make_user(server.client("iam"), server, "nobody", inline=policy(allow("dynamodb:ListTables")))
    ddb = user.client("dynamodb")
    assert ddb.list_tables()["TableNames"] == []
    err = error_of(
        ddb.create_table,
        TableName="Mine",
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert err["Message"] == denial(
        f"arn:aws:iam::{server.account_id}:user/nobody",
        "dynamodb:CreateTable",
        f"arn:aws:dynamodb:us-east-1:{server.account_id}:table/Mine",
    )


def test_login_with_amazon_users_own_their_items(server: LocaliamServer) -> None:
    """The AWS example with ``${www.amazon.com:user_id}``: a web identity session from a Login
    with Amazon token (localiam's test issuer) reads its own items only, inside Query too."""
    from botocore import UNSIGNED
    from botocore.config import Config

    from localiam.testing import oidc_token

    admin = server.client("dynamodb")
    arn = game_scores(admin)
    iam = server.client("iam")
    trust_policy = policy(
        {
            "Effect": "Allow",
            "Principal": {"Federated": "www.amazon.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"www.amazon.com:app_id": "amzn1.application.game"}},
        }
    )
    iam.create_role(RoleName="shoppers", AssumeRolePolicyDocument=trust_policy)
    iam.put_role_policy(
        RoleName="shoppers",
        PolicyName="own",
        PolicyDocument=policy(
            allow(
                ITEM_ACTIONS,
                arn,
                Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${www.amazon.com:user_id}"]}},
            )
        ),
    )
    token = oidc_token(
        server,
        issuer="https://www.amazon.com",
        subject="amzn1.account.AAA",
        audience="game",
        claims={"user_id": "amzn1.account.AAA", "app_id": "amzn1.application.game"},
    )
    sts = server.client("sts", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
    answer = sts.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::{server.account_id}:role/shoppers", RoleSessionName="web", WebIdentityToken=token
    )
    ddb = Keys.of_session(server, answer).client("dynamodb")
    admin.put_item(TableName="GameScores", Item={"UserId": {"S": "amzn1.account.BBB"}, "GameTitle": {"S": "Go"}})
    ddb.put_item(TableName="GameScores", Item={"UserId": {"S": "amzn1.account.AAA"}, "GameTitle": {"S": "Go"}})
    own = ddb.query(
        TableName="GameScores",
        KeyConditionExpression="UserId = :u",
        ExpressionAttributeValues={":u": {"S": "amzn1.account.AAA"}},
    )
    assert own["Count"] == 1
    session_arn = f"arn:aws:sts::{server.account_id}:assumed-role/shoppers/web"
    err = error_of(
        ddb.query,
        TableName="GameScores",
        KeyConditionExpression="UserId = :u",
        ExpressionAttributeValues={":u": {"S": "amzn1.account.BBB"}},
    )
    assert err["Message"] == denial(session_arn, "dynamodb:Query", arn)
