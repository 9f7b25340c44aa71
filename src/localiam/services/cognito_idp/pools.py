"""User pools and their app clients: CreateUserPool, DescribeUserPool, UpdateUserPool,
DeleteUserPool, ListUserPools; CreateUserPoolClient, DescribeUserPoolClient,
UpdateUserPoolClient, DeleteUserPoolClient, ListUserPoolClients; TagResource, UntagResource,
ListTagsForResource (Cognito API Reference, ``API_CreateUserPool`` ...).

- A pool keeps what it was created with, with AWS's defaults for what was not given: the password
  policy (8 characters, upper and lower case, numbers and symbols, temporary passwords valid 7
  days), ``DeletionProtection`` ``INACTIVE``, ``MfaConfiguration`` ``OFF``, the standard schema
  attributes plus ``custom:`` ones; ``UpdateUserPool`` resets what it is not given, as AWS says
  ("If you don't provide a value for an attribute, Amazon Cognito sets it to its default value").
  A pool with deletion protection cannot be deleted.
- An app client: with ``GenerateSecret`` a 51-character secret; token validity 60 minutes for ID
  and access tokens and 30 days for refresh tokens unless set (with ``TokenValidityUnits``);
  ``ExplicitAuthFlows`` as given (``ALLOW_REFRESH_TOKEN_AUTH`` always allowed, as Cognito
  adds it); ``PreventUserExistenceErrors`` ``ENABLED`` and ``EnableTokenRevocation`` true by
  default for new clients.
- Authorization (``list_amazoncognitouserpools``): ``cognito-idp:CreateUserPool`` and
  ``ListUserPools`` on ``*``; the others on the pool's ARN with its tags as
  ``aws:ResourceTag/*``; ``aws:RequestTag/*`` and ``aws:TagKeys`` where tags are passed.
"""

from __future__ import annotations

import json
from typing import Any

from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.cognito_idp import tokens
from localiam.services.cognito_idp._service import (
    SERVICE,
    TAG_RESOURCE,
    config_of,
    find_pool,
    invalid_parameter,
    new_client_id,
    new_client_secret,
    new_pool_id,
    not_found,
    page,
    pool_arn,
    pool_id_param,
    pool_resource,
    pool_tags,
    request_tags,
    timestamp,
)
from localiam.services.resource_tags import register_resource_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
STANDARD_ATTRIBUTES = (
    "sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile",
    "picture", "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale",
    "phone_number", "phone_number_verified", "address", "updated_at",
)  # fmt: skip
POOL_SETTINGS = (
    "Policies", "DeletionProtection", "LambdaConfig", "AutoVerifiedAttributes", "AliasAttributes",
    "UsernameAttributes", "SmsVerificationMessage", "EmailVerificationMessage", "EmailVerificationSubject",
    "VerificationMessageTemplate", "SmsAuthenticationMessage", "MfaConfiguration", "UserAttributeUpdateSettings",
    "DeviceConfiguration", "EmailConfiguration", "SmsConfiguration", "AdminCreateUserConfig",
    "UserPoolAddOns", "UsernameConfiguration", "AccountRecoverySetting", "UserPoolTier",
)  # fmt: skip
CLIENT_SETTINGS = (
    "RefreshTokenValidity", "AccessTokenValidity", "IdTokenValidity", "TokenValidityUnits", "ReadAttributes",
    "WriteAttributes", "ExplicitAuthFlows", "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs",
    "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration", "PreventUserExistenceErrors", "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData", "AuthSessionValidity",
)  # fmt: skip
MAX_NAME = 128


def _schema(params: Params) -> list[dict[str, Any]]:
    """The standard attributes and the ``custom:`` ones the pool was created with."""
    out: list[dict[str, Any]] = []
    for name in STANDARD_ATTRIBUTES:
        kind = "Boolean" if name.endswith("_verified") else "Number" if name == "updated_at" else "String"
        entry: dict[str, Any] = {
            "Name": name,
            "AttributeDataType": kind,
            "DeveloperOnlyAttribute": False,
            "Mutable": name != "sub",
            "Required": name == "sub",
        }
        if kind == "String":
            entry["StringAttributeConstraints"] = {"MinLength": "1" if name == "sub" else "0", "MaxLength": "2048"}
        out.append(entry)
    standard = {e["Name"]: e for e in out}
    for given in params.get("Schema") or []:
        name = str(given.get("Name", ""))
        if not name:
            raise invalid_parameter("Schema attribute name cannot be empty.")
        if name in standard:
            standard[name].update({k: v for k, v in given.items() if k in ("Required", "Mutable")})
            continue
        custom = dict(given)
        custom["Name"] = f"custom:{name}"
        custom.setdefault("AttributeDataType", "String")
        custom.setdefault("DeveloperOnlyAttribute", False)
        custom.setdefault("Mutable", True)
        custom["Required"] = False
        out.append(custom)
    return out


def _pool_config(params: Params, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {k: params[k] for k in POOL_SETTINGS if params.get(k) is not None}
    policies = dict(config.get("Policies") or {})
    policies["PasswordPolicy"] = {**DEFAULT_PASSWORD_POLICY, **(policies.get("PasswordPolicy") or {})}
    config["Policies"] = policies
    config.setdefault("DeletionProtection", "INACTIVE")
    config.setdefault("MfaConfiguration", "OFF")
    config.setdefault("LambdaConfig", {})
    config.setdefault("AdminCreateUserConfig", {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7})
    if previous is not None:
        # Fixed at creation: the schema and how users sign in.
        for key in ("SchemaAttributes", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration"):
            if key in previous:
                config[key] = previous[key]
    else:
        config["SchemaAttributes"] = _schema(params)
    if config["DeletionProtection"] not in ("ACTIVE", "INACTIVE"):
        raise invalid_parameter(f"Invalid DeletionProtection: {config['DeletionProtection']}")
    length = config["Policies"]["PasswordPolicy"]["MinimumLength"]
    if not isinstance(length, int) or not 6 <= length <= 99:
        raise invalid_parameter("Password policy minimum length must be between 6 and 99.")
    return config


def _describe_pool(ctx: OperationContext, row: Row) -> dict[str, Any]:
    config = config_of(row)
    pool_id = str(row["id"])
    users = iam_store.count(ctx.tx, schema.cognito_users, pool_id=pool_id)
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id))
    out: dict[str, Any] = {
        "Id": pool_id,
        "Name": row["name"],
        "Arn": pool_arn(str(row["region"]), str(row["account_id"]), pool_id),
        "CreationDate": timestamp(float(row["created_at"])),
        "LastModifiedDate": timestamp(float(row["updated_at"])),
        "EstimatedNumberOfUsers": users,
        **config,
    }
    if tags:
        out["UserPoolTags"] = tags
    return out


def _valid_name(value: Any, field: str, pattern_name: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME:
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_NAME}"
        )
    if not all(c.isprintable() for c in value):
        raise invalid_parameter(f"{pattern_name} contains characters that are not allowed.")
    return value


# ----------------------------------------------------------------------------------- pools
@SERVICE.operation(
    "CreateUserPool",
    action="cognito-idp:CreateUserPool",
    condition_keys=request_tags("UserPoolTags"),
    writes=True,
)
def create_user_pool(ctx: OperationContext, params: Params) -> Result:
    name = _valid_name(params.get("PoolName"), "poolName", "PoolName")
    config = _pool_config(params)
    pool_id = new_pool_id(ctx.region)
    iam_store.add(
        ctx.tx,
        schema.cognito_user_pools,
        id=pool_id,
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        config=json.dumps(config),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    tags = {str(k): str(v) for k, v in (params.get("UserPoolTags") or {}).items()}
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id, tags.items())
    tokens.signing_key_in(ctx.tx, pool_id)
    ctx.tx.touch(ctx.account_id)
    row = find_pool(ctx, pool_id)
    return {"UserPool": _describe_pool(ctx, row)}


@SERVICE.operation(
    "DescribeUserPool", action="cognito-idp:DescribeUserPool", resource=pool_resource, resource_policy=pool_tags
)
def describe_user_pool(ctx: OperationContext, params: Params) -> Result:
    return {"UserPool": _describe_pool(ctx, find_pool(ctx, pool_id_param(params)))}


@SERVICE.operation(
    "UpdateUserPool",
    action="cognito-idp:UpdateUserPool",
    resource=pool_resource,
    resource_policy=pool_tags,
    condition_keys=request_tags("UserPoolTags"),
    writes=True,
)
def update_user_pool(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, pool_id_param(params))
    config = _pool_config(params, config_of(row))
    iam_store.change(
        ctx.tx, schema.cognito_user_pools, {"id": row["id"]}, config=json.dumps(config), updated_at=ctx.now
    )
    tags = {str(k): str(v) for k, v in (params.get("UserPoolTags") or {}).items()}
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, str(row["id"]), tags.items())
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "DeleteUserPool",
    action="cognito-idp:DeleteUserPool",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def delete_user_pool(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, pool_id_param(params))
    if config_of(row).get("DeletionProtection") == "ACTIVE":
        raise invalid_parameter(
            "The user pool cannot be deleted because deletion protection is activated. "
            "Deletion protection must be inactivated first."
        )
    pool_id = str(row["id"])
    for table in (
        schema.cognito_clients,
        schema.cognito_users,
        schema.cognito_groups,
        schema.cognito_group_members,
        schema.cognito_codes,
        schema.cognito_refresh_tokens,
        schema.cognito_auth_sessions,
    ):
        iam_store.remove(ctx.tx, table, pool_id=pool_id)
    iam_store.remove(ctx.tx, schema.cognito_user_pools, id=pool_id)
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id, None)
    iam_store.remove(ctx.tx, schema.test_idp_keys, kind=tokens.KIND, name=pool_id)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("ListUserPools", action="cognito-idp:ListUserPools")
def list_user_pools(ctx: OperationContext, params: Params) -> Result:
    if params.get("MaxResults") is None:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: "
            "Member must not be null"
        )
    rows = iam_store.rows(
        ctx.tx, schema.cognito_user_pools, order_by=("created_at", "id"), account_id=ctx.account_id, region=ctx.region
    )
    chunk, following = page(rows, params)
    out: Result = {
        "UserPools": [
            {
                "Id": r["id"],
                "Name": r["name"],
                "LambdaConfig": config_of(r).get("LambdaConfig", {}),
                "CreationDate": timestamp(float(r["created_at"])),
                "LastModifiedDate": timestamp(float(r["updated_at"])),
            }
            for r in chunk
        ]
    }
    if following:
        out["NextToken"] = following
    return out


# ----------------------------------------------------------------------------------- clients
def _client_config(params: Params, *, new: bool) -> dict[str, Any]:
    config: dict[str, Any] = {k: params[k] for k in CLIENT_SETTINGS if params.get(k) is not None}
    config.setdefault("RefreshTokenValidity", 30)
    config.setdefault("AccessTokenValidity", 60)
    config.setdefault("IdTokenValidity", 60)
    config.setdefault("TokenValidityUnits", {})
    units = {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days", **config["TokenValidityUnits"]}
    config["TokenValidityUnits"] = units
    config.setdefault("AuthSessionValidity", 3)
    if new:
        config.setdefault("PreventUserExistenceErrors", "ENABLED")
        config.setdefault("EnableTokenRevocation", True)
    flows = list(
        config.get("ExplicitAuthFlows") or ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]
    )
    known = {
        "ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_CUSTOM_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_AUTH",
    }  # fmt: skip
    for flow in flows:
        if flow not in known:
            raise invalid_parameter(f"Invalid ExplicitAuthFlows: {flow}")
    if any(f.startswith("ALLOW_") for f in flows) and "ALLOW_REFRESH_TOKEN_AUTH" not in flows:
        flows.append("ALLOW_REFRESH_TOKEN_AUTH")
    config["ExplicitAuthFlows"] = flows
    seconds = validity_seconds(config)
    if not 300 <= seconds["AccessToken"] <= 86400 or not 300 <= seconds["IdToken"] <= 86400:
        raise invalid_parameter("Access and ID token validity must be between 5 minutes and 1 day.")
    if not 3600 <= seconds["RefreshToken"] <= 315360000:
        raise invalid_parameter("Refresh token validity must be between 60 minutes and 10 years.")
    return config


_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def validity_seconds(config: dict[str, Any]) -> dict[str, int]:
    """Token lifetimes in seconds from a client's validity settings and units."""
    units = config.get("TokenValidityUnits") or {}
    out = {}
    for token, member, default_unit in (
        ("AccessToken", "AccessTokenValidity", "minutes"),
        ("IdToken", "IdTokenValidity", "minutes"),
        ("RefreshToken", "RefreshTokenValidity", "days"),
    ):
        unit = units.get(token, default_unit)
        if unit not in _UNIT_SECONDS:
            raise invalid_parameter(f"Invalid TokenValidityUnits for {token}: {unit}")
        out[token] = int(config[member]) * _UNIT_SECONDS[unit]
    return out


def find_client(ctx: OperationContext, pool_id: str, client_id: Any) -> Row:
    row = iam_store.one(ctx.tx, schema.cognito_clients, id=str(client_id)) if isinstance(client_id, str) else None
    if row is None or row["pool_id"] != pool_id:
        raise not_found(f"User pool client {client_id} does not exist.")
    return row


def _describe_client(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserPoolId": row["pool_id"],
        "ClientName": row["name"],
        "ClientId": row["id"],
        "CreationDate": timestamp(float(row["created_at"])),
        "LastModifiedDate": timestamp(float(row["updated_at"])),
        **json.loads(str(row["config"])),
    }
    if row["secret"]:
        out["ClientSecret"] = row["secret"]
    return out


@SERVICE.operation(
    "CreateUserPoolClient",
    action="cognito-idp:CreateUserPoolClient",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def create_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    name = _valid_name(params.get("ClientName"), "clientName", "ClientName")
    config = _client_config(params, new=True)
    client_id = new_client_id()
    iam_store.add(
        ctx.tx,
        schema.cognito_clients,
        id=client_id,
        pool_id=pool["id"],
        name=name,
        secret=new_client_secret() if params.get("GenerateSecret") else None,
        config=json.dumps(config),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)
    return {"UserPoolClient": _describe_client(find_client(ctx, str(pool["id"]), client_id))}


@SERVICE.operation(
    "DescribeUserPoolClient",
    action="cognito-idp:DescribeUserPoolClient",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def describe_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    return {"UserPoolClient": _describe_client(find_client(ctx, str(pool["id"]), params.get("ClientId")))}


@SERVICE.operation(
    "UpdateUserPoolClient",
    action="cognito-idp:UpdateUserPoolClient",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def update_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = find_client(ctx, str(pool["id"]), params.get("ClientId"))
    name = _valid_name(params["ClientName"], "clientName", "ClientName") if "ClientName" in params else row["name"]
    previous = json.loads(str(row["config"]))
    config = _client_config(params, new=False)
    for key in ("PreventUserExistenceErrors", "EnableTokenRevocation"):
        config.setdefault(key, previous.get(key))
    iam_store.change(
        ctx.tx, schema.cognito_clients, {"id": row["id"]}, name=name, config=json.dumps(config), updated_at=ctx.now
    )
    ctx.tx.touch(ctx.account_id)
    return {"UserPoolClient": _describe_client(find_client(ctx, str(pool["id"]), row["id"]))}


@SERVICE.operation(
    "DeleteUserPoolClient",
    action="cognito-idp:DeleteUserPoolClient",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def delete_user_pool_client(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    row = find_client(ctx, str(pool["id"]), params.get("ClientId"))
    iam_store.remove(ctx.tx, schema.cognito_clients, id=row["id"])
    iam_store.remove(ctx.tx, schema.cognito_refresh_tokens, client_id=row["id"])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "ListUserPoolClients",
    action="cognito-idp:ListUserPoolClients",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def list_user_pool_clients(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, pool_id_param(params))
    rows = iam_store.rows(ctx.tx, schema.cognito_clients, order_by=("created_at", "id"), pool_id=pool["id"])
    chunk, following = page(rows, params)
    out: Result = {
        "UserPoolClients": [{"ClientId": r["id"], "UserPoolId": r["pool_id"], "ClientName": r["name"]} for r in chunk]
    }
    if following:
        out["NextToken"] = following
    return out


# ----------------------------------------------------------------------------------- tags
def _arn_pool(ctx: OperationContext, params: Params) -> str:
    arn = params.get("ResourceArn")
    if not isinstance(arn, str) or ":userpool/" not in arn:
        raise invalid_parameter(f"Invalid ResourceArn: {arn}")
    return arn


def _arn_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    arn = _arn_pool(ctx, params)
    pool_id = arn.rsplit("/", 1)[-1]
    return ResourcePolicy(None, None, tags=dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id)))


def _tagged_pool(ctx: OperationContext, params: Params) -> str:
    arn = _arn_pool(ctx, params)
    pool_id = arn.rsplit("/", 1)[-1]
    row = find_pool(ctx, pool_id)
    if pool_arn(str(row["region"]), str(row["account_id"]), pool_id) != arn:
        raise not_found(f"User pool {pool_id} does not exist.")
    return pool_id


register_resource_tag_operations(
    SERVICE,
    tagged=TAG_RESOURCE,
    find_id=_tagged_pool,
    resource=_arn_pool,
    resource_policy=_arn_tags,
    request_tags=request_tags("Tags"),
    too_many=lambda: invalid_parameter("A user pool can have at most 50 tags."),
)
