"""Self-service sign-up and password recovery, unsigned as on AWS: SignUp, ConfirmSignUp,
ResendConfirmationCode, ForgotPassword, ConfirmForgotPassword (Cognito API Reference;
Developer Guide ``signing-up-users-in-your-app``, ``managing-users-passwords``).

- The app client is the caller's identity: an unknown ``ClientId`` is
  ``ResourceNotFoundException``; a client with a secret needs ``SecretHash`` =
  Base64(HMAC-SHA256(client secret, username + client id)) (``signing-up-users-in-your-app``,
  "Computing secret hash values").
- Codes are six digits; Cognito would deliver them by e-mail or SMS: here they are kept for
  ``localiam cognito codes`` and the answer only says where they "went"
  (``CodeDeliveryDetails`` with a masked destination). A wrong code is ``CodeMismatchException``
  "Invalid verification code provided, please try again.", an expired one
  ``ExpiredCodeException`` "Invalid code provided, please request a code again.", and five wrong
  tries use the code up (``LimitExceededException`` "Attempt limit exceeded, please try after
  some time.").
- A user who does not exist, while the client prevents user-existence errors (the default for
  new clients): ForgotPassword and ResendConfirmationCode answer with a delivery that looks like
  any other, ConfirmSignUp and ConfirmForgotPassword with ``CodeMismatchException``
  (``cognito-user-pool-managing-errors``); otherwise ``UserNotFoundException``.
- Lambda triggers (:mod:`.triggers`): ``PreSignUp`` may refuse a sign-up or confirm it at once,
  ``PostConfirmation`` runs once a user is confirmed, ``CustomMessage`` writes the message a
  code goes out in (kept with the code).
- Confirming a sign-up verifies the e-mail address (or phone number) the code went to when the
  pool auto-verifies it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.cognito_idp import passwords, triggers
from localiam.services.cognito_idp._service import SERVICE, config_of, error, find_pool_row, not_found
from localiam.services.cognito_idp.codes import RESET_LIFETIME, SIGN_UP_LIFETIME, new_code
from localiam.services.cognito_idp.users import (
    attributes_of,
    checked_attributes,
    find_user,
    keep_message,
    new_user,
    password_columns,
    password_policy,
    update_user,
)
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

MAX_CODE_ATTEMPTS = 5


def client_and_pool(ctx: OperationContext, client_id: Any) -> tuple[Row, Row]:
    """The app client a caller names and its pool."""
    client = iam_store.one(ctx.tx, schema.cognito_clients, id=client_id) if isinstance(client_id, str) else None
    if client is None:
        raise not_found(f"User pool client {client_id} does not exist.")
    pool = find_pool_row(ctx, str(client["pool_id"]))
    return client, pool


def secret_hash(secret: str, username: str, client_id: str) -> str:
    digest = hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_secret_hash(client: Row, given: Any, usernames: list[str]) -> None:
    """A client with a secret must be sent the hash of one of ``usernames`` (the name typed, or
    the user's username)."""
    secret = client["secret"]
    if not secret:
        return
    client_id = str(client["id"])
    if not given:
        raise error(
            "NotAuthorizedException", f"Client {client_id} is configured with secret but SECRET_HASH was not received"
        )
    expected = [secret_hash(str(secret), name, client_id) for name in usernames if name]
    if not any(hmac.compare_digest(str(given).encode(), e.encode()) for e in expected):
        raise error("NotAuthorizedException", f"Unable to verify secret hash for client {client_id}")


def _mask(value: str) -> str:
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return f"+*******{value[-4:]}"


def delivery(pool: Row, attributes: dict[str, str]) -> dict[str, str] | None:
    """Where Cognito would send a code: e-mail when the pool verifies it and the user has one,
    else SMS."""
    verified = config_of(pool).get("AutoVerifiedAttributes") or []
    for attribute, medium in (("email", "EMAIL"), ("phone_number", "SMS")):
        if attribute in verified and attributes.get(attribute):
            return {"Destination": _mask(attributes[attribute]), "DeliveryMedium": medium, "AttributeName": attribute}
    return None


def use_code(ctx: OperationContext, row: Row, purpose: str, code: Any) -> None:
    """Check a confirmation code; it is used up when right, or after five wrong tries. A wrong
    try is counted in a transaction of its own (the request's does not commit)."""
    key = {"pool_id": row["pool_id"], "username": row["username"], "purpose": purpose}
    kept = iam_store.one(ctx.tx, schema.cognito_codes, **key)
    if kept is None or ctx.now >= float(kept["expires_at"]):
        raise error("ExpiredCodeException", "Invalid code provided, please request a code again.")
    if hmac.compare_digest(str(code or "").encode(), str(kept["code"]).encode()):
        iam_store.remove(ctx.tx, schema.cognito_codes, **key)
        return
    attempts = int(kept["attempts"]) + 1
    store = ctx.store

    def count() -> None:
        with store.write() as tx:
            if attempts >= MAX_CODE_ATTEMPTS:
                iam_store.remove(tx, schema.cognito_codes, **key)
            else:
                iam_store.change(tx, schema.cognito_codes, key, attempts=attempts)

    ctx.on_rollback.append(count)
    if attempts >= MAX_CODE_ATTEMPTS:
        raise error("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    raise _code_mismatch()


@SERVICE.operation("SignUp", action=None, signed=False, writes=True, blocking=True)
def sign_up(ctx: OperationContext, params: Params) -> Result:
    client, pool = client_and_pool(ctx, params.get("ClientId"))
    name = params.get("Username")
    if not isinstance(name, str) or not name:
        raise error("InvalidParameterException", "Username cannot be empty.")
    check_secret_hash(client, params.get("SecretHash"), [name])
    password = passwords.check_policy(params.get("Password"), password_policy(pool))
    attributes = checked_attributes(pool, params.get("UserAttributes"))
    if find_user(ctx, pool, name) is not None:
        raise error("UsernameExistsException", "User already exists")
    if triggers.function_of(pool, "PreSignUp") is None:
        return _sign_up(ctx, pool, name, attributes, password, {}, str(client["id"]))

    def after_the_trigger() -> Result:
        request = {
            "userAttributes": attributes,
            "validationData": {v["Name"]: v["Value"] for v in params.get("ValidationData") or []},
            "clientMetadata": dict(params.get("ClientMetadata") or {}),
        }
        payload = triggers.event(
            pool,
            "PreSignUp_SignUp",
            name,
            str(client["id"]),
            request,
            {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
        )
        answer = triggers.run(ctx, pool, "PreSignUp", payload)
        with ctx.store.write() as tx:
            own = replace(ctx, tx=tx, after_commit=[], on_rollback=[], then=None)
            if find_user(own, pool, name) is not None:
                raise error("UsernameExistsException", "User already exists")
            result = _sign_up(own, pool, name, attributes, password, answer, str(client["id"]))
        if own.then is not None:
            own.then()  # a CustomMessage trigger, after this transaction too
        return result

    ctx.then = after_the_trigger
    return {}


def _sign_up(
    ctx: OperationContext,
    pool: Row,
    name: str,
    attributes: dict[str, str],
    password: str,
    answer: dict[str, Any],
    client_id: str,
) -> Result:
    """Add the signed-up user; ``answer`` is PreSignUp's response, if a trigger ran."""
    if answer.get("autoVerifyEmail") and attributes.get("email"):
        attributes = {**attributes, "email_verified": "true"}
    if answer.get("autoVerifyPhone") and attributes.get("phone_number"):
        attributes = {**attributes, "phone_number_verified": "true"}
    confirmed = bool(answer.get("autoConfirmUser"))
    row = new_user(ctx, pool, name, attributes, password=password, status="CONFIRMED" if confirmed else "UNCONFIRMED")
    out: Result = {"UserConfirmed": confirmed, "UserSub": row["sub"]}
    if not confirmed:
        details = delivery(pool, attributes_of(row))
        keep_message(
            ctx, pool, str(row["username"]), "sign-up", new_code(), lifetime=SIGN_UP_LIFETIME, client_id=client_id
        )
        if details:
            out["CodeDeliveryDetails"] = details
    ctx.tx.touch(str(pool["account_id"]))
    return out


class HiddenUser(Exception):
    """No such user, and the client prevents user-existence errors: the operation answers as
    if the user existed (``cognito-user-pool-managing-errors``)."""

    def __init__(self, pool: Row, name: str) -> None:
        super().__init__(name)
        self.pool = pool
        self.name = name


def _user_for_code(ctx: OperationContext, params: Params) -> tuple[Row, Row, Row]:
    client, pool = client_and_pool(ctx, params.get("ClientId"))
    name = params.get("Username")
    row = find_user(ctx, pool, name)
    check_secret_hash(client, params.get("SecretHash"), [str(name or ""), str(row["username"]) if row else ""])
    if row is None:
        if json.loads(str(client["config"])).get("PreventUserExistenceErrors") == "ENABLED":
            raise HiddenUser(pool, str(name or ""))
        raise error("UserNotFoundException", "Username/client id combination not found.")
    return client, pool, row


def _simulated_delivery(hidden: HiddenUser) -> dict[str, str]:
    """What ForgotPassword and ResendConfirmationCode answer for a user who does not exist while
    the client hides that: a delivery that looks like any other."""
    destination = _mask(hidden.name) if "@" in hidden.name else "***@***"
    return {"Destination": destination, "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def _code_mismatch() -> AwsError:
    return error("CodeMismatchException", "Invalid verification code provided, please try again.")


@SERVICE.operation("ConfirmSignUp", action=None, signed=False, writes=True, blocking=True)
def confirm_sign_up(ctx: OperationContext, params: Params) -> Result:
    try:
        client, pool, row = _user_for_code(ctx, params)
    except HiddenUser:
        raise _code_mismatch() from None
    if row["status"] != "UNCONFIRMED":
        raise error("NotAuthorizedException", f"User cannot be confirmed. Current status is {row['status']}")
    use_code(ctx, row, "sign-up", params.get("ConfirmationCode"))
    attributes = attributes_of(row)
    details = delivery(pool, attributes)
    if details:
        attributes[f"{details['AttributeName']}_verified"] = "true"
    update_user(ctx, row, status="CONFIRMED", attributes=json.dumps(attributes))
    ctx.tx.touch(str(pool["account_id"]))
    if triggers.function_of(pool, "PostConfirmation") is not None:
        request = {"userAttributes": attributes, "clientMetadata": dict(params.get("ClientMetadata") or {})}
        payload = triggers.event(
            pool, "PostConfirmation_ConfirmSignUp", str(row["username"]), str(client["id"]), request, {}
        )

        def after_confirming() -> Result:
            triggers.run(ctx, pool, "PostConfirmation", payload)
            return {}

        ctx.then = after_confirming
    return {}


@SERVICE.operation("ResendConfirmationCode", action=None, signed=False, writes=True, blocking=True)
def resend_confirmation_code(ctx: OperationContext, params: Params) -> Result:
    try:
        client, pool, row = _user_for_code(ctx, params)
    except HiddenUser as hidden:
        return {"CodeDeliveryDetails": _simulated_delivery(hidden)}
    if row["status"] != "UNCONFIRMED":
        raise error("InvalidParameterException", "User is already confirmed.")
    keep_message(
        ctx,
        pool,
        str(row["username"]),
        "sign-up",
        new_code(),
        lifetime=SIGN_UP_LIFETIME,
        source="resend",
        client_id=str(client["id"]),
    )
    ctx.tx.touch(str(pool["account_id"]))
    out: Result = {}
    details = delivery(pool, attributes_of(row))
    if details:
        out["CodeDeliveryDetails"] = details
    return out


@SERVICE.operation("ForgotPassword", action=None, signed=False, writes=True, blocking=True)
def forgot_password(ctx: OperationContext, params: Params) -> Result:
    try:
        client, pool, row = _user_for_code(ctx, params)
    except HiddenUser as hidden:
        return {"CodeDeliveryDetails": _simulated_delivery(hidden)}
    keep_message(
        ctx,
        pool,
        str(row["username"]),
        "forgot-password",
        new_code(),
        lifetime=RESET_LIFETIME,
        client_id=str(client["id"]),
    )
    ctx.tx.touch(str(pool["account_id"]))
    details = delivery(pool, attributes_of(row)) or {
        "Destination": "",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    return {"CodeDeliveryDetails": details}


@SERVICE.operation("ConfirmForgotPassword", action=None, signed=False, writes=True)
def confirm_forgot_password(ctx: OperationContext, params: Params) -> Result:
    try:
        _client, pool, row = _user_for_code(ctx, params)
    except HiddenUser:
        raise _code_mismatch() from None
    password = passwords.check_policy(params.get("Password"), password_policy(pool))
    use_code(ctx, row, "forgot-password", params.get("ConfirmationCode"))
    update_user(
        ctx,
        row,
        status="CONFIRMED",
        failed_attempts=0,
        locked_until=None,
        **password_columns(pool, str(row["username"]), password),
    )
    ctx.tx.touch(str(pool["account_id"]))
    return {}
