"""User pool Lambda triggers: the pool's ``LambdaConfig`` names functions that Cognito runs at
points of a user's life, with events of AWS's shapes (Cognito Developer Guide
``cognito-user-identity-pools-working-with-aws-lambda-triggers``, ``user-pool-lambda-pre-sign-up``,
``user-pool-lambda-post-confirmation``, ``user-pool-lambda-pre-token-generation``).

- ``PreSignUp`` (``PreSignUp_SignUp``): may refuse the sign-up (its error fails SignUp), and may
  answer ``autoConfirmUser`` / ``autoVerifyEmail`` / ``autoVerifyPhone``.
- ``PostConfirmation`` (``PostConfirmation_ConfirmSignUp``): runs once the user is confirmed; its
  error fails the call, and the user stays confirmed, as on AWS.
- ``CustomMessage`` (``CustomMessage_SignUp``, ``..._ResendCode``, ``..._ForgotPassword``,
  ``..._AdminCreateUser``): writes the e-mail a code or temporary password goes out in, with
  ``{####}`` (and ``{username}``) where they belong; localiam keeps it with the code.
- ``PreTokenGeneration`` (``TokenGeneration_Authentication``, ``..._RefreshTokens``,
  ``..._NewPasswordChallenge``): may add or override ID-token claims, suppress claims, and
  override the groups, roles and preferred role the token carries.

A trigger's failure is ``UserLambdaValidationException`` "TRIGGER failed with error MESSAGE.".
The functions are invoked as ``cognito-idp.amazonaws.com`` with ``aws:SourceArn`` the pool's ARN:
their function policy must allow it (``aws lambda add-permission --principal
cognito-idp.amazonaws.com --source-arn POOL_ARN``), as on AWS. Triggers run after the
operation's transaction, never inside it: a function may call back into localiam.
"""

from __future__ import annotations

from typing import Any

from localiam.errors import AwsError
from localiam.services.awslambda.service_invoke import ServiceInvokeError, invoke_as_service
from localiam.services.base import OperationContext
from localiam.services.cognito_idp._service import config_of, pool_arn
from localiam.state.iam_store import Row

PRINCIPAL = "cognito-idp.amazonaws.com"


def function_of(pool: Row, trigger: str) -> str | None:
    """The function ``LambdaConfig`` names for ``trigger`` (``PreTokenGenerationConfig`` too)."""
    config = config_of(pool).get("LambdaConfig") or {}
    if trigger == "PreTokenGeneration":
        newer = config.get("PreTokenGenerationConfig") or {}
        if newer.get("LambdaArn"):
            return str(newer["LambdaArn"])
    arn = config.get(trigger)
    return str(arn) if arn else None


def event(
    pool: Row, source: str, username: str, client_id: str | None, request: dict[str, Any], response: dict[str, Any]
) -> dict[str, Any]:
    """The fields every user pool trigger event has."""
    return {
        "version": "1",
        "region": pool["region"],
        "userPoolId": pool["id"],
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id or ""},
        "triggerSource": source,
        "request": request,
        "response": response,
    }


def run(ctx: OperationContext, pool: Row, trigger: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Invoke the pool's ``trigger`` with ``payload``; its ``response`` member."""
    function = function_of(pool, trigger)
    assert function is not None
    arn = pool_arn(str(pool["region"]), str(pool["account_id"]), str(pool["id"]))
    try:
        answer = invoke_as_service(
            ctx,
            function,
            payload,
            service_principal=PRINCIPAL,
            source_arn=arn,
            source_account=str(pool["account_id"]),
        )
    except ServiceInvokeError as exc:
        raise AwsError(
            f"{trigger} failed with error {exc}.", code="UserLambdaValidationException", status=400
        ) from None
    response = answer.get("response") if isinstance(answer, dict) else None
    return dict(response) if isinstance(response, dict) else {}
