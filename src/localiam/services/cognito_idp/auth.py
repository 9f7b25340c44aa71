"""Signing in: InitiateAuth and RespondToAuthChallenge (unsigned), AdminInitiateAuth and
AdminRespondToAuthChallenge (SigV4, authorized on the pool), and what an access token
authorizes: GetUser, UpdateUserAttributes, ChangePassword, DeleteUser, GlobalSignOut,
AdminUserGlobalSignOut, RevokeToken (Cognito API Reference;
Developer Guide ``amazon-cognito-user-pools-authentication-flow``).

Flows: ``USER_PASSWORD_AUTH`` / ``ADMIN_USER_PASSWORD_AUTH`` (the password checked against its
scrypt hash), ``USER_SRP_AUTH`` then ``PASSWORD_VERIFIER`` (:mod:`.srp`), ``REFRESH_TOKEN_AUTH``
(``REFRESH_TOKEN``), and the ``NEW_PASSWORD_REQUIRED`` challenge of a user an administrator
created. Each must be allowed by the client's ``ExplicitAuthFlows``.

Errors as Cognito gives them: ``NotAuthorizedException`` "Incorrect username or password." (also
for an unknown user while the client prevents user-existence errors, the default),
``UserNotFoundException`` "User does not exist." otherwise, ``UserNotConfirmedException`` "User
is not confirmed.", "User is disabled.", ``PasswordResetRequiredException`` "Password reset
required for the user", and after five wrong passwords in a row "Password attempts exceeded"
(the account waits, one minute and doubling, up to 15 minutes). A failed attempt is counted in a
transaction of its own.

Tokens (:mod:`.tokens`) last as the client says; refresh tokens are opaque and stored only as
SHA-256 hashes. GlobalSignOut revokes every refresh token of the user and every token issued
before it; RevokeToken revokes one refresh token and the access tokens made from it
(``origin_jti``).
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from localiam.errors import AwsError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.cognito_idp import passwords, srp, tokens, triggers
from localiam.services.cognito_idp._service import (
    SERVICE,
    error,
    find_pool,
    find_pool_row,
    invalid_parameter,
    pool_id_param,
    pool_resource,
    pool_tags,
)
from localiam.services.cognito_idp.pools import validity_seconds
from localiam.services.cognito_idp.signup import check_secret_hash, client_and_pool
from localiam.services.cognito_idp.users import (
    attribute_list,
    attributes_of,
    checked_attributes,
    find_user,
    password_columns,
    password_policy,
    update_user,
)
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

MAX_FAILURES = 5
WRONG = "Incorrect username or password."


def not_authorized(message: str = WRONG) -> AwsError:
    return error("NotAuthorizedException", message)


def _flows(client: Row) -> list[str]:
    return list(json.loads(str(client["config"])).get("ExplicitAuthFlows") or [])


def _require_flow(client: Row, *names: str) -> None:
    allowed = _flows(client)
    if not any(n in allowed for n in names):
        raise invalid_parameter(f"{names[-1].removeprefix('ALLOW_')} flow not enabled for this client")


def _prevents_existence_errors(client: Row) -> bool:
    return bool(json.loads(str(client["config"])).get("PreventUserExistenceErrors") == "ENABLED")


def _user_for_sign_in(ctx: OperationContext, client: Row, pool: Row, name: Any) -> Row:
    row = find_user(ctx, pool, name)
    if row is None:
        if _prevents_existence_errors(client):
            raise not_authorized()
        raise error("UserNotFoundException", "User does not exist.")
    if not row["enabled"]:
        raise not_authorized("User is disabled.")
    if row["locked_until"] is not None and ctx.now < float(row["locked_until"]):
        raise not_authorized("Password attempts exceeded")
    return row


def _failed(ctx: OperationContext, row: Row) -> AwsError:
    """Count a wrong password (after the request's transaction rolls back) and say so."""
    failures = int(row["failed_attempts"]) + 1
    locked = None
    if failures >= MAX_FAILURES:
        locked = ctx.now + min(900.0, 60.0 * 2 ** (failures - MAX_FAILURES))
    store, key = ctx.store, {"pool_id": row["pool_id"], "username": row["username"]}

    def count() -> None:
        with store.write() as tx:
            iam_store.change(tx, schema.cognito_users, key, failed_attempts=failures, locked_until=locked)

    ctx.on_rollback.append(count)
    return not_authorized("Password attempts exceeded" if locked is not None else WRONG)


def _after_password(ctx: OperationContext, client: Row, pool: Row, row: Row) -> Result:
    """The user proved the password: tokens, or the challenge their status calls for."""
    if row["status"] == "UNCONFIRMED":
        raise error("UserNotConfirmedException", "User is not confirmed.")
    if row["status"] == "RESET_REQUIRED":
        raise error("PasswordResetRequiredException", "Password reset required for the user")
    if row["failed_attempts"]:
        update_user(ctx, row, failed_attempts=0, locked_until=None)
    if row["status"] == "FORCE_CHANGE_PASSWORD":
        session = _new_session(ctx, client, row, "NEW_PASSWORD_REQUIRED", {})
        attributes = {k: v for k, v in attributes_of(row).items() if k not in ("sub", "email_verified")}
        return {
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": session,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": row["username"],
                "requiredAttributes": "[]",
                "userAttributes": json.dumps(attributes),
            },
        }
    return tokens_result(ctx, client, pool, row, source="TokenGeneration_Authentication")


def _groups(ctx: OperationContext, pool: Row, username: str) -> list[Row]:
    names = {
        str(m["group_name"])
        for m in iam_store.rows(ctx.tx, schema.cognito_group_members, pool_id=pool["id"], username=username)
    }
    groups = [g for g in iam_store.rows(ctx.tx, schema.cognito_groups, pool_id=pool["id"]) if g["name"] in names]
    return sorted(groups, key=lambda g: (g["precedence"] is None, g["precedence"] or 0, g["name"]))


def sign_in_for(
    ctx: OperationContext, client: Row, pool: Row, row: Row, origin_jti: str | None = None
) -> tokens.SignIn:
    groups = _groups(ctx, pool, str(row["username"]))
    roles = [str(g["role_arn"]) for g in groups if g["role_arn"]]
    readable = json.loads(str(client["config"])).get("ReadAttributes")
    attributes = attributes_of(row)
    if readable:
        attributes = {k: v for k, v in attributes.items() if k in readable or k == "sub"}
    extra: dict[str, Any] = {}
    if origin_jti:
        extra["origin_jti"] = origin_jti
    return tokens.SignIn(
        region=str(pool["region"]),
        pool_id=str(pool["id"]),
        client_id=str(client["id"]),
        username=str(row["username"]),
        sub=str(row["sub"]),
        attributes=attributes,
        groups=[str(g["name"]) for g in groups],
        roles=roles,
        preferred_role=roles[0] if roles else None,
        **extra,
    )


def tokens_result(
    ctx: OperationContext, client: Row, pool: Row, row: Row, *, source: str, refresh: Row | None = None
) -> Result:
    """The answer of a successful sign-in: ID and access tokens, and a refresh token unless
    refreshing. With a ``PreTokenGeneration`` trigger, the tokens are made once it has answered,
    after the transaction (``ctx.then``)."""
    lifetimes = validity_seconds(json.loads(str(client["config"])))
    key = tokens.signing_key_in(ctx.tx, str(pool["id"]))
    sign_in = sign_in_for(ctx, client, pool, row, str(refresh["origin_jti"]) if refresh else None)
    refresh_token = None
    if refresh is None:
        refresh_token = tokens.new_refresh_token()
        iam_store.add(
            ctx.tx,
            schema.cognito_refresh_tokens,
            token_hash=_hash(refresh_token),
            pool_id=pool["id"],
            client_id=client["id"],
            username=row["username"],
            origin_jti=sign_in.origin_jti,
            issued_at=ctx.now,
            expires_at=ctx.now + lifetimes["RefreshToken"],
            revoked=False,
        )
    now = ctx.now

    def finish(overrides: dict[str, Any]) -> Result:
        groups = overrides.get("groupOverrideDetails") or {}
        made = sign_in
        if groups:
            made = replace(
                sign_in,
                groups=list(groups.get("groupsToOverride", sign_in.groups)),
                roles=list(groups.get("iamRolesToOverride", sign_in.roles)),
                preferred_role=groups.get("preferredRole", sign_in.preferred_role),
            )
        minted = tokens.mint(
            key,
            made,
            id_validity=lifetimes["IdToken"],
            access_validity=lifetimes["AccessToken"],
            now=now,
            extra_id_claims=overrides.get("claimsToAddOrOverride") or {},
            suppress_id_claims=overrides.get("claimsToSuppress") or [],
        )
        result: dict[str, Any] = {
            "AccessToken": minted.access_token,
            "ExpiresIn": minted.expires_in,
            "TokenType": "Bearer",
            "IdToken": minted.id_token,
        }
        if refresh_token is not None:
            result["RefreshToken"] = refresh_token
        return {"ChallengeParameters": {}, "AuthenticationResult": result}

    if triggers.function_of(pool, "PreTokenGeneration") is None:
        return finish({})
    request = {
        "userAttributes": dict(sign_in.attributes),
        "groupConfiguration": {
            "groupsToOverride": list(sign_in.groups),
            "iamRolesToOverride": list(sign_in.roles),
            "preferredRole": sign_in.preferred_role,
        },
        "clientMetadata": {},
    }
    payload = triggers.event(
        pool, source, str(row["username"]), str(client["id"]), request, {"claimsOverrideDetails": None}
    )
    ctx.then = lambda: finish(triggers.run(ctx, pool, "PreTokenGeneration", payload).get("claimsOverrideDetails") or {})
    return {}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_session(ctx: OperationContext, client: Row, row: Row, challenge: str, data: dict[str, Any]) -> str:
    session = secrets.token_urlsafe(48)
    lifetime = 60 * int(json.loads(str(client["config"])).get("AuthSessionValidity", 3))
    iam_store.add(
        ctx.tx,
        schema.cognito_auth_sessions,
        id=_hash(session),
        pool_id=row["pool_id"],
        client_id=client["id"],
        username=row["username"],
        challenge=challenge,
        data=json.dumps(data),
        expires_at=ctx.now + lifetime,
    )
    return session


def _take_session(ctx: OperationContext, client: Row, session: Any, challenge: str) -> Row:
    found = iam_store.one(ctx.tx, schema.cognito_auth_sessions, id=_hash(str(session or "")))
    if found is None or found["client_id"] != client["id"] or found["challenge"] != challenge:
        raise not_authorized("Invalid session for the user.")
    iam_store.remove(ctx.tx, schema.cognito_auth_sessions, id=found["id"])
    if ctx.now >= float(found["expires_at"]):
        raise not_authorized("Invalid session for the user, session is expired.")
    return found


def _initiate(ctx: OperationContext, client: Row, pool: Row, params: Params, *, admin: bool) -> Result:
    flow = params.get("AuthFlow")
    auth = dict(params.get("AuthParameters") or {})
    if flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        if admin:
            _require_flow(client, "ADMIN_NO_SRP_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH")
        else:
            _require_flow(client, "USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH")
        name = auth.get("USERNAME")
        row = _user_for_sign_in(ctx, client, pool, name)
        check_secret_hash(client, auth.get("SECRET_HASH"), [str(name), str(row["username"])])
        if not passwords.verify_password(str(auth.get("PASSWORD") or ""), row["password_hash"]):
            raise _failed(ctx, row)
        return _after_password(ctx, client, pool, row)
    if flow == "USER_SRP_AUTH":
        _require_flow(client, "ALLOW_USER_SRP_AUTH")
        name = auth.get("USERNAME")
        row = _user_for_sign_in(ctx, client, pool, name)
        check_secret_hash(client, auth.get("SECRET_HASH"), [str(name), str(row["username"])])
        if not row["srp_verifier"] or not isinstance(auth.get("SRP_A"), str):
            raise not_authorized()
        verifier = srp.Verifier(str(row["srp_salt"]), str(row["srp_verifier"]))
        step = srp.server_step(verifier)
        block = secrets.token_bytes(48)
        secret_block = base64.b64encode(block).decode()
        _new_session(
            ctx,
            client,
            row,
            "PASSWORD_VERIFIER",
            {"b": format(step.b, "x"), "B": step.srp_b, "A": auth["SRP_A"], "block": secret_block},
        )
        return {
            "ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {
                "SALT": verifier.salt,
                "SECRET_BLOCK": secret_block,
                "SRP_B": step.srp_b,
                "USERNAME": row["username"],
                "USER_ID_FOR_SRP": row["username"],
            },
        }
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        _require_flow(client, "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
        token = str(auth.get("REFRESH_TOKEN") or "")
        stored = iam_store.one(ctx.tx, schema.cognito_refresh_tokens, token_hash=_hash(token))
        if stored is None or stored["client_id"] != client["id"]:
            raise not_authorized("Invalid Refresh Token")
        if stored["revoked"]:
            raise not_authorized("Refresh Token has been revoked")
        if ctx.now >= float(stored["expires_at"]):
            raise not_authorized("Refresh Token has expired")
        owner = find_user(ctx, pool, stored["username"])
        if owner is None:
            raise not_authorized("Invalid Refresh Token")
        row = owner
        if not row["enabled"]:
            raise not_authorized("User is disabled.")
        check_secret_hash(client, auth.get("SECRET_HASH"), [str(auth.get("USERNAME") or ""), str(row["username"])])
        return tokens_result(ctx, client, pool, row, source="TokenGeneration_RefreshTokens", refresh=stored)
    raise invalid_parameter(f"Invalid AuthFlow: {flow}")


def _respond(ctx: OperationContext, client: Row, pool: Row, params: Params) -> Result:
    challenge = params.get("ChallengeName")
    answers = dict(params.get("ChallengeResponses") or {})
    if challenge == "PASSWORD_VERIFIER":
        row = find_user(ctx, pool, answers.get("USERNAME"))
        if row is None:
            raise not_authorized()
        sessions = iam_store.rows(
            ctx.tx,
            schema.cognito_auth_sessions,
            pool_id=pool["id"],
            username=row["username"],
            challenge="PASSWORD_VERIFIER",
        )
        block = str(answers.get("PASSWORD_CLAIM_SECRET_BLOCK") or "")
        found = next((s for s in sessions if json.loads(str(s["data"]))["block"] == block), None)
        if found is None or found["client_id"] != client["id"] or ctx.now >= float(found["expires_at"]):
            raise not_authorized("Invalid session for the user.")
        iam_store.remove(ctx.tx, schema.cognito_auth_sessions, id=found["id"])
        check_secret_hash(client, answers.get("SECRET_HASH"), [str(answers.get("USERNAME")), str(row["username"])])
        data = json.loads(str(found["data"]))
        verifier = srp.Verifier(str(row["srp_salt"]), str(row["srp_verifier"]))
        step = srp.ServerStep(int(data["b"], 16), data["B"])
        ok = srp.verify_claim(
            verifier,
            step,
            data["A"],
            str(pool["id"]),
            str(row["username"]),
            block,
            str(answers.get("TIMESTAMP") or ""),
            str(answers.get("PASSWORD_CLAIM_SIGNATURE") or ""),
        )
        if not ok or not _recent(str(answers.get("TIMESTAMP") or ""), ctx.now):
            raise _failed(ctx, row)
        return _after_password(ctx, client, pool, row)
    if challenge == "NEW_PASSWORD_REQUIRED":
        found = _take_session(ctx, client, params.get("Session"), "NEW_PASSWORD_REQUIRED")
        row = find_user(ctx, pool, found["username"])
        if row is None:
            raise not_authorized()
        password = passwords.check_policy(answers.get("NEW_PASSWORD"), password_policy(pool))
        update_user(ctx, row, status="CONFIRMED", **password_columns(pool, str(row["username"]), password))
        iam_store.remove(
            ctx.tx, schema.cognito_codes, pool_id=pool["id"], username=row["username"], purpose="invitation"
        )
        fresh = find_user(ctx, pool, row["username"])
        assert fresh is not None
        return tokens_result(ctx, client, pool, fresh, source="TokenGeneration_NewPasswordChallenge")
    raise invalid_parameter(f"Invalid ChallengeName: {challenge}")


def _recent(stamp: str, now: float) -> bool:
    """A ``TIMESTAMP`` within five minutes of the server's clock."""
    try:
        moment = _dt.datetime.strptime(stamp, "%a %b %d %H:%M:%S UTC %Y").replace(tzinfo=_dt.UTC)
    except ValueError:
        return False
    return abs(moment.timestamp() - now) <= 300


@SERVICE.operation("InitiateAuth", action=None, signed=False, writes=True, blocking=True)
def initiate_auth(ctx: OperationContext, params: Params) -> Result:
    client, pool = client_and_pool(ctx, params.get("ClientId"))
    return _initiate(ctx, client, pool, params, admin=False)


@SERVICE.operation("RespondToAuthChallenge", action=None, signed=False, writes=True, blocking=True)
def respond_to_auth_challenge(ctx: OperationContext, params: Params) -> Result:
    client, pool = client_and_pool(ctx, params.get("ClientId"))
    return _respond(ctx, client, pool, params)


def _admin_client(ctx: OperationContext, params: Params) -> tuple[Row, Row]:
    pool = find_pool(ctx, pool_id_param(params))
    client, client_pool = client_and_pool(ctx, params.get("ClientId"))
    if client_pool["id"] != pool["id"]:
        raise error("ResourceNotFoundException", f"User pool client {params.get('ClientId')} does not exist.")
    return client, pool


@SERVICE.operation(
    "AdminInitiateAuth",
    action="cognito-idp:AdminInitiateAuth",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
    blocking=True,
)
def admin_initiate_auth(ctx: OperationContext, params: Params) -> Result:
    client, pool = _admin_client(ctx, params)
    return _initiate(ctx, client, pool, params, admin=True)


@SERVICE.operation(
    "AdminRespondToAuthChallenge",
    action="cognito-idp:AdminRespondToAuthChallenge",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
    blocking=True,
)
def admin_respond_to_auth_challenge(ctx: OperationContext, params: Params) -> Result:
    client, pool = _admin_client(ctx, params)
    return _respond(ctx, client, pool, params)


# ----------------------------------------------------------------------------------- access tokens
def user_of_access_token(ctx: OperationContext, token: Any) -> tuple[Row, Row, dict[str, Any]]:
    """The pool, user and claims an access token stands for, or ``NotAuthorizedException``:
    its signature, ``exp``, ``token_use``, the user's sign-outs and the revocation of the
    refresh token it came from."""
    try:
        claims = tokens.verify(ctx.tx, str(token or ""), token_use="access", now=ctx.clock())
    except tokens.InvalidToken as exc:
        raise not_authorized("Access Token has expired" if exc.expired else "Invalid Access Token") from None
    pool = find_pool_row(ctx, str(claims["iss"]).rsplit("/", 1)[-1])
    row = find_user(ctx, pool, claims.get("username"))
    if row is None or row["sub"] != claims.get("sub"):
        raise error("UserNotFoundException", "User does not exist.")
    if revoked(ctx, pool, row, claims):
        raise not_authorized("Access Token has been revoked")
    if not row["enabled"]:
        raise not_authorized("User is disabled.")
    return pool, row, claims


def revoked(ctx: OperationContext, pool: Row, row: Row, claims: Mapping[str, Any]) -> bool:
    """Whether a token of ``row`` was revoked: issued before the user's last sign-out, or from a
    sign-in whose refresh token was revoked (``token-revocation``)."""
    valid_after = row["tokens_valid_after"]
    if valid_after is not None and float(claims.get("iat", 0)) < float(valid_after):
        return True
    origin = iam_store.one(
        ctx.tx, schema.cognito_refresh_tokens, pool_id=pool["id"], origin_jti=claims.get("origin_jti")
    )
    return origin is not None and bool(origin["revoked"])


def id_token_user(ctx: OperationContext, pool: Row, claims: Mapping[str, Any]) -> Row | None:
    """The user a verified ID token stands for, if the user still exists, is enabled and has
    not signed out since (what an identity pool's ``ServerSideTokenCheck`` asks)."""
    row = find_user(ctx, pool, claims.get("cognito:username"))
    if row is None or row["sub"] != claims.get("sub") or not row["enabled"] or revoked(ctx, pool, row, claims):
        return None
    return row


@SERVICE.operation("GetUser", action=None, signed=False)
def get_user(ctx: OperationContext, params: Params) -> Result:
    _pool, row, _claims = user_of_access_token(ctx, params.get("AccessToken"))
    return {"Username": row["username"], "UserAttributes": attribute_list(attributes_of(row))}


def _sign_out(ctx: OperationContext, row: Row) -> None:
    # Tokens carry whole seconds: everything issued up to this second is revoked.
    update_user(ctx, row, tokens_valid_after=float(int(ctx.now) + 1))
    iam_store.change(
        ctx.tx, schema.cognito_refresh_tokens, {"pool_id": row["pool_id"], "username": row["username"]}, revoked=True
    )


@SERVICE.operation("GlobalSignOut", action=None, signed=False, writes=True)
def global_sign_out(ctx: OperationContext, params: Params) -> Result:
    _pool, row, _claims = user_of_access_token(ctx, params.get("AccessToken"))
    _sign_out(ctx, row)
    return {}


@SERVICE.operation(
    "AdminUserGlobalSignOut",
    action="cognito-idp:AdminUserGlobalSignOut",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def admin_user_global_sign_out(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = find_user(ctx, pool, params.get("Username"))
    if row is None:
        raise error("UserNotFoundException", "User does not exist.")
    _sign_out(ctx, row)
    return {}


@SERVICE.operation("RevokeToken", action=None, signed=False, writes=True)
def revoke_token(ctx: OperationContext, params: Params) -> Result:
    client, _pool = client_and_pool(ctx, params.get("ClientId"))
    if not json.loads(str(client["config"])).get("EnableTokenRevocation", True):
        raise error("UnsupportedTokenTypeException", "Token revocation is not enabled for this client.")
    if client["secret"] and params.get("ClientSecret") != client["secret"]:
        raise not_authorized(f"Unable to verify secret hash for client {client['id']}")
    stored = iam_store.one(ctx.tx, schema.cognito_refresh_tokens, token_hash=_hash(str(params.get("Token") or "")))
    if stored is None or stored["client_id"] != client["id"]:
        raise error("UnsupportedTokenTypeException", "Token is not a refresh token of this client.")
    iam_store.change(ctx.tx, schema.cognito_refresh_tokens, {"token_hash": stored["token_hash"]}, revoked=True)
    return {}


@SERVICE.operation("ChangePassword", action=None, signed=False, writes=True)
def change_password(ctx: OperationContext, params: Params) -> Result:
    pool, row, _claims = user_of_access_token(ctx, params.get("AccessToken"))
    if not passwords.verify_password(str(params.get("PreviousPassword") or ""), row["password_hash"]):
        raise _failed(ctx, row)
    password = passwords.check_policy(params.get("ProposedPassword"), password_policy(pool))
    update_user(ctx, row, **password_columns(pool, str(row["username"]), password))
    return {}


@SERVICE.operation("UpdateUserAttributes", action=None, signed=False, writes=True)
def update_user_attributes(ctx: OperationContext, params: Params) -> Result:
    """The signed-in user changes their own attributes; only those the client may write."""
    pool, row, claims = user_of_access_token(ctx, params.get("AccessToken"))
    changes = checked_attributes(pool, params.get("UserAttributes"))
    client = iam_store.one(ctx.tx, schema.cognito_clients, id=claims.get("client_id"))
    writable = json.loads(str(client["config"])).get("WriteAttributes") if client else None
    if writable:
        refused = sorted(set(changes) - set(writable))
        if refused:
            raise not_authorized(f"A client attempted to write unauthorized attribute {refused[0]}")
    attributes = {**attributes_of(row), **changes}
    for name in ("email", "phone_number"):
        if name in changes:
            attributes[f"{name}_verified"] = "false"
    update_user(ctx, row, attributes=json.dumps(attributes))
    return {}


@SERVICE.operation("DeleteUser", action=None, signed=False, writes=True)
def delete_user(ctx: OperationContext, params: Params) -> Result:
    """The signed-in user deletes themselves; their tokens stop working with them."""
    pool, row, _claims = user_of_access_token(ctx, params.get("AccessToken"))
    key = {"pool_id": pool["id"], "username": row["username"]}
    for table in (schema.cognito_users, schema.cognito_group_members, schema.cognito_codes):
        iam_store.remove(ctx.tx, table, **key)
    iam_store.change(ctx.tx, schema.cognito_refresh_tokens, key, revoked=True)
    return {}
