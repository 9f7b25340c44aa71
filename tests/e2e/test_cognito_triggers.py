"""User pool Lambda triggers that run the real functions (Cognito Developer Guide
``user-pool-lambda-pre-sign-up``, ``user-pool-lambda-post-confirmation``,
``user-pool-lambda-pre-token-generation``): PreSignUp confirms users of one domain at once and
refuses others; PostConfirmation calls back into localiam with its role to put the new user in a
group; PreTokenGeneration adds a claim and suppresses one. Invoking them is authorized by the
function policy for ``cognito-idp.amazonaws.com`` with ``aws:SourceArn``, as on AWS."""

from __future__ import annotations

from typing import Any

import jwt as pyjwt
import pytest
from e2e_helpers import allow, error_of
from test_cognito_sign_in import PASSWORD, unsigned
from test_lambda import create, lambda_role

from localiam.testing import LocaliamServer, cognito_code

PRE_SIGN_UP = """
def handler(event, context):
    email = event["request"]["userAttributes"].get("email", "")
    if not email.endswith("@example.com"):
        raise Exception("Only example.com addresses may sign up")
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event
"""

POST_CONFIRMATION = """
import boto3

def handler(event, context):
    boto3.client("cognito-idp").admin_add_user_to_group(
        UserPoolId=event["userPoolId"], Username=event["userName"], GroupName="newcomers"
    )
    return event
"""

PRE_TOKEN = """
def handler(event, context):
    event["response"]["claimsOverrideDetails"] = {
        "claimsToAddOrOverride": {"tier": "gold", "source": event["triggerSource"]},
        "claimsToSuppress": ["email"],
    }
    return event
"""


@pytest.fixture
def pool(server: LocaliamServer, iam: Any) -> dict[str, str]:
    cognito = server.client("cognito-idp")
    functions = server.client("lambda")
    role = lambda_role(iam, "triggers", allow("cognito-idp:AdminAddUserToGroup"))
    arns = {
        name: create(functions, name, role, source)["FunctionArn"]
        for name, source in (
            ("pre-sign-up", PRE_SIGN_UP),
            ("post-confirmation", POST_CONFIRMATION),
            ("pre-token", PRE_TOKEN),
        )
    }
    made = cognito.create_user_pool(
        PoolName="triggered",
        AutoVerifiedAttributes=["email"],
        LambdaConfig={
            "PreSignUp": arns["pre-sign-up"],
            "PostConfirmation": arns["post-confirmation"],
            "PreTokenGeneration": arns["pre-token"],
        },
    )["UserPool"]
    cognito.create_group(UserPoolId=made["Id"], GroupName="newcomers")
    client = cognito.create_user_pool_client(
        UserPoolId=made["Id"], ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    return {"pool": made["Id"], "arn": made["Arn"], "client": client}


def allow_cognito(server: LocaliamServer, function: str, pool_arn: str) -> None:
    server.client("lambda").add_permission(
        FunctionName=function,
        StatementId="cognito",
        Action="lambda:InvokeFunction",
        Principal="cognito-idp.amazonaws.com",
        SourceArn=pool_arn,
    )


def test_a_trigger_the_function_policy_does_not_allow_fails_the_call(
    server: LocaliamServer, pool: dict[str, str]
) -> None:
    err = error_of(
        unsigned(server).sign_up,
        ClientId=pool["client"],
        Username="alice",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )
    assert err["Code"] == "UserLambdaValidationException"
    assert err["Message"].startswith("PreSignUp failed with error ")


def test_pre_sign_up_confirms_or_refuses(server: LocaliamServer, pool: dict[str, str]) -> None:
    for function in ("pre-sign-up", "post-confirmation", "pre-token"):
        allow_cognito(server, function, pool["arn"])
    cognito = unsigned(server)
    answer = cognito.sign_up(
        ClientId=pool["client"],
        Username="alice",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "alice@example.com"}],
    )
    assert answer["UserConfirmed"] is True and "CodeDeliveryDetails" not in answer
    err = error_of(
        cognito.sign_up,
        ClientId=pool["client"],
        Username="mallory",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "mallory@evil.example"}],
    )
    assert (err["Code"], err["Message"]) == (
        "UserLambdaValidationException",
        "PreSignUp failed with error Only example.com addresses may sign up.",
    )
    admin = server.client("cognito-idp")
    assert (
        error_of(admin.admin_get_user, UserPoolId=pool["pool"], Username="mallory")["Code"] == "UserNotFoundException"
    )
    result = cognito.initiate_auth(
        ClientId=pool["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    claims = pyjwt.decode(result["IdToken"], options={"verify_signature": False})
    assert (claims["tier"], claims["source"]) == ("gold", "TokenGeneration_Authentication")
    assert "email" not in claims and claims["email_verified"] is True


def test_post_confirmation_runs_the_function_with_its_role(server: LocaliamServer, pool: dict[str, str]) -> None:
    allow_cognito(server, "post-confirmation", pool["arn"])
    admin = server.client("cognito-idp")
    admin.update_user_pool(UserPoolId=pool["pool"], AutoVerifiedAttributes=["email"], LambdaConfig={
        "PostConfirmation": f"arn:aws:lambda:us-east-1:{server.account_id}:function:post-confirmation"
    })  # fmt: skip
    cognito = unsigned(server)
    cognito.sign_up(
        ClientId=pool["client"],
        Username="bob",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "bob@example.com"}],
    )
    code = cognito_code(server, pool_id=pool["pool"], username="bob")
    cognito.confirm_sign_up(ClientId=pool["client"], Username="bob", ConfirmationCode=code)
    groups = admin.admin_list_groups_for_user(UserPoolId=pool["pool"], Username="bob")["Groups"]
    assert [g["GroupName"] for g in groups] == ["newcomers"]


CUSTOM_MESSAGE = """
def handler(event, context):
    request = event["request"]
    event["response"]["emailSubject"] = "Welcome"
    event["response"]["emailMessage"] = (
        event["triggerSource"] + ": hello " + event["userName"] + ", your code is " + request["codeParameter"]
    )
    return event
"""


def test_custom_message_writes_the_message_the_code_goes_out_in(
    server: LocaliamServer, iam: Any, pool: dict[str, str]
) -> None:
    from localiam.services.cognito_idp.codes import codes_for

    role = lambda_role(iam, "messages")
    arn = create(server.client("lambda"), "custom-message", role, CUSTOM_MESSAGE)["FunctionArn"]
    allow_cognito(server, "custom-message", pool["arn"])
    server.client("cognito-idp").update_user_pool(
        UserPoolId=pool["pool"], AutoVerifiedAttributes=["email"], LambdaConfig={"CustomMessage": arn}
    )
    cognito = unsigned(server)
    answer = cognito.sign_up(
        ClientId=pool["client"],
        Username="dora",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "dora@example.com"}],
    )
    assert answer["UserConfirmed"] is False and answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    with server.store.read() as tx:
        (kept,) = codes_for(tx, pool["pool"], "dora")
    assert kept.message == f"CustomMessage_SignUp: hello dora, your code is {kept.code}"
    cognito.resend_confirmation_code(ClientId=pool["client"], Username="dora")
    with server.store.read() as tx:
        (kept,) = codes_for(tx, pool["pool"], "dora")
    assert kept.message == f"CustomMessage_ResendCode: hello dora, your code is {kept.code}"
    cognito.confirm_sign_up(ClientId=pool["client"], Username="dora", ConfirmationCode=kept.code)
