"""Identity pools as their administrators manage them (``API_CreateIdentityPool``,
``API_UpdateIdentityPool``, ``API_SetIdentityPoolRoles``, ``API_SetPrincipalTagAttributeMap``):
the providers a pool accepts, its default roles and role mappings, its principal tag maps and tags.

- ``UpdateIdentityPool`` replaces the pool's settings with those it is given (what it omits is
  cleared); the ``DeveloperProviderName`` cannot change once set.
- ``AllowClassicFlow`` is reported only when it was set: a pool created without it lets
  ``GetOpenIdToken`` through, as AWS does (aws/aws-cli#7652).
- Role mappings are keyed by provider name (``graph.facebook.com``, or for a user pool
  ``cognito-idp.REGION.amazonaws.com/POOL_ID:APP_CLIENT_ID``); ``Token`` mappings read
  ``cognito:preferred_role`` / ``cognito:roles``, ``Rules`` mappings match claims
  (``role-based-access-control``); both need ``AmbiguousRoleResolution``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.services.cognito_identity._service import (
    SERVICE,
    TAG_RESOURCE,
    config_of,
    find_pool,
    id_param,
    invalid_parameter,
    new_id,
    page,
    pool_arn,
    pool_not_found,
    pool_resource,
    pool_tags,
    roles_of,
)
from localiam.services.resource_tags import register_resource_tag_operations
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

MAX_PROVIDERS = 10
MAX_RULES = 25
MATCH_TYPES = ("Equals", "Contains", "StartsWith", "NotEqual")
DEFAULT_TAG_MAP = {"username": "sub", "client": "aud"}
"""The attributes for access control a provider gets with ``UseDefaults`` (``provider-mappings``:
the token's ``aud`` as ``client`` and its ``sub`` as ``username``)."""
_NAME = re.compile(r"[\w\s+=,.@-]+")
_ROLE_ARN = re.compile(r"arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'identityPoolName' failed to satisfy constraint: "
            "Member must not be null"
        )
    if len(value) > 128 or not _NAME.fullmatch(value):
        raise invalid_parameter(
            f"1 validation error detected: Value '{value}' at 'identityPoolName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+"
        )
    return value


def _strings(params: Params, member: str) -> list[str]:
    value = params.get(member) or []
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid_parameter(f"{member} must be a list of strings.")
    return list(value)


def _settings(params: Params, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The pool's settings from a Create or Update call, checked."""
    allow = params.get("AllowUnauthenticatedIdentities")
    if not isinstance(allow, bool):
        raise invalid_parameter(
            "1 validation error detected: Value null at 'allowUnauthenticatedIdentities' failed to satisfy "
            "constraint: Member must not be null"
        )
    config: dict[str, Any] = {"AllowUnauthenticatedIdentities": allow}
    if isinstance(params.get("AllowClassicFlow"), bool):
        config["AllowClassicFlow"] = params["AllowClassicFlow"]
    logins = params.get("SupportedLoginProviders") or {}
    if len(logins) > MAX_PROVIDERS:
        raise invalid_parameter(f"An identity pool can have at most {MAX_PROVIDERS} supported login providers.")
    if logins:
        config["SupportedLoginProviders"] = {str(k): str(v) for k, v in logins.items()}
    developer = params.get("DeveloperProviderName")
    before = (previous or {}).get("DeveloperProviderName")
    if before is not None and developer is not None and developer != before:
        raise invalid_parameter("The DeveloperProviderName of an identity pool cannot be changed once set.")
    if developer is None and before is not None:
        developer = before
    if developer is not None:
        if not isinstance(developer, str) or not developer or developer in logins:
            raise invalid_parameter(f"Invalid DeveloperProviderName: {developer}")
        config["DeveloperProviderName"] = developer
    oidc = _strings(params, "OpenIdConnectProviderARNs")
    for arn in oidc:
        if ":oidc-provider/" not in arn:
            raise invalid_parameter(f"Invalid OpenIdConnectProviderARN: {arn}")
    if oidc:
        config["OpenIdConnectProviderARNs"] = oidc
    saml = _strings(params, "SamlProviderARNs")
    for arn in saml:
        if ":saml-provider/" not in arn:
            raise invalid_parameter(f"Invalid SamlProviderARN: {arn}")
    if saml:
        config["SamlProviderARNs"] = saml
    providers = []
    for item in params.get("CognitoIdentityProviders") or []:
        name, client = item.get("ProviderName"), item.get("ClientId")
        if not isinstance(name, str) or not re.fullmatch(r"cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[\w-]+_\w+", name):
            raise invalid_parameter(f"Invalid Cognito Identity Provider: {name}")
        if not isinstance(client, str) or not client:
            raise invalid_parameter(f"Invalid Cognito Identity Provider client id for {name}")
        providers.append(
            {"ProviderName": name, "ClientId": client, "ServerSideTokenCheck": bool(item.get("ServerSideTokenCheck"))}
        )
    if providers:
        config["CognitoIdentityProviders"] = providers
    return config


def _tags_param(params: Params) -> dict[str, str]:
    tags = {str(k): str(v) for k, v in (params.get("IdentityPoolTags") or {}).items()}
    if len(tags) > 50:
        raise invalid_parameter("An identity pool can have at most 50 tags.")
    return tags


def _describe(ctx: OperationContext, row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"IdentityPoolId": row["id"], "IdentityPoolName": row["name"], **config_of(row)}
    tags = dict(iam_store.tags_of(ctx.tx, str(row["account_id"]), TAG_RESOURCE, str(row["id"])))
    if tags:
        out["IdentityPoolTags"] = tags
    return out


def _request_tags(_ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    tags = params.get("IdentityPoolTags") or params.get("Tags") or {}
    out: dict[str, str | list[str]] = {f"aws:RequestTag/{k}": str(v) for k, v in tags.items()}
    if tags:
        out["aws:TagKeys"] = [str(k) for k in tags]
    return out


# ----------------------------------------------------------------------------------- pools
@SERVICE.operation(
    "CreateIdentityPool", action="cognito-identity:CreateIdentityPool", condition_keys=_request_tags, writes=True
)
def create_identity_pool(ctx: OperationContext, params: Params) -> Result:
    name = _name(params.get("IdentityPoolName"))
    config = _settings(params, None)
    tags = _tags_param(params)
    pool_id = new_id(ctx.region)
    iam_store.add(
        ctx.tx,
        schema.cognito_identity_pools,
        id=pool_id,
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        config=json.dumps(config),
        roles=json.dumps({"Roles": {}}),
        tag_maps=json.dumps({}),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id, tags.items())
    ctx.tx.touch(ctx.account_id)
    return _describe(ctx, find_pool(ctx, pool_id))


@SERVICE.operation(
    "DescribeIdentityPool",
    action="cognito-identity:DescribeIdentityPool",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def describe_identity_pool(ctx: OperationContext, params: Params) -> Result:
    return _describe(ctx, find_pool(ctx, id_param(params, "IdentityPoolId")))


@SERVICE.operation(
    "UpdateIdentityPool",
    action="cognito-identity:UpdateIdentityPool",
    resource=pool_resource,
    resource_policy=pool_tags,
    condition_keys=_request_tags,
    writes=True,
)
def update_identity_pool(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    name = _name(params.get("IdentityPoolName"))
    config = _settings(params, config_of(row))
    iam_store.change(
        ctx.tx,
        schema.cognito_identity_pools,
        {"id": row["id"]},
        name=name,
        config=json.dumps(config),
        updated_at=ctx.now,
    )
    if params.get("IdentityPoolTags") is not None:
        iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, str(row["id"]), None)
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, str(row["id"]), _tags_param(params).items())
    ctx.tx.touch(ctx.account_id)
    return _describe(ctx, find_pool(ctx, str(row["id"])))


@SERVICE.operation(
    "DeleteIdentityPool",
    action="cognito-identity:DeleteIdentityPool",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def delete_identity_pool(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    pool_id = str(row["id"])
    iam_store.remove(ctx.tx, schema.cognito_identity_logins, pool_id=pool_id)
    iam_store.remove(ctx.tx, schema.cognito_identities, pool_id=pool_id)
    iam_store.remove(ctx.tx, schema.cognito_identity_pools, id=pool_id)
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id, None)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("ListIdentityPools", action="cognito-identity:ListIdentityPools")
def list_identity_pools(ctx: OperationContext, params: Params) -> Result:
    pools = iam_store.rows(
        ctx.tx, schema.cognito_identity_pools, order_by=("created_at", "id"), account_id=ctx.account_id
    )
    pools = [p for p in pools if p["region"] == ctx.region]
    chunk, following = page(pools, params)
    out: Result = {"IdentityPools": [{"IdentityPoolId": p["id"], "IdentityPoolName": p["name"]} for p in chunk]}
    if following:
        out["NextToken"] = following
    return out


# ----------------------------------------------------------------------------------- roles
def _role_arn(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ROLE_ARN.fullmatch(value):
        raise invalid_parameter(f"Invalid role ARN at {where}: {value}")
    return value


def _mapping(provider: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict) or raw.get("Type") not in ("Token", "Rules"):
        raise invalid_parameter(f"RoleMappings[{provider}].Type must be Token or Rules.")
    ambiguous = raw.get("AmbiguousRoleResolution")
    if ambiguous not in ("AuthenticatedRole", "Deny"):
        raise invalid_parameter(f"RoleMappings[{provider}].AmbiguousRoleResolution must be AuthenticatedRole or Deny.")
    out: dict[str, Any] = {"Type": raw["Type"], "AmbiguousRoleResolution": ambiguous}
    if raw.get("IdentityProvider"):
        out["IdentityProvider"] = str(raw["IdentityProvider"])
    if raw["Type"] == "Rules":
        rules = (raw.get("RulesConfiguration") or {}).get("Rules")
        if not isinstance(rules, list) or not rules:
            raise invalid_parameter(f"RoleMappings[{provider}]: RulesConfiguration must have at least one rule.")
        if len(rules) > MAX_RULES:
            raise invalid_parameter(f"RoleMappings[{provider}]: at most {MAX_RULES} rules.")
        checked = []
        for i, rule in enumerate(rules):
            claim, match, value = rule.get("Claim"), rule.get("MatchType"), rule.get("Value")
            if not isinstance(claim, str) or not claim or match not in MATCH_TYPES or not isinstance(value, str):
                raise invalid_parameter(f"RoleMappings[{provider}].RulesConfiguration.Rules[{i}] is invalid.")
            checked.append(
                {
                    "Claim": claim,
                    "MatchType": match,
                    "Value": value,
                    "RoleARN": _role_arn(rule.get("RoleARN"), f"Rules[{i}].RoleARN"),
                }
            )
        out["RulesConfiguration"] = {"Rules": checked}
    return out


@SERVICE.operation(
    "SetIdentityPoolRoles",
    action="cognito-identity:SetIdentityPoolRoles",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def set_identity_pool_roles(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    roles: dict[str, str] = {}
    for kind, arn in (params.get("Roles") or {}).items():
        if kind not in ("authenticated", "unauthenticated"):
            raise invalid_parameter(f"Invalid role type: {kind}. Valid types are authenticated and unauthenticated.")
        roles[kind] = _role_arn(arn, f"Roles.{kind}")
    mappings = {str(p): _mapping(str(p), m) for p, m in (params.get("RoleMappings") or {}).items()}
    if len(mappings) > 10:
        raise invalid_parameter("An identity pool can have at most 10 role mappings.")
    stored: dict[str, Any] = {"Roles": roles}
    if mappings:
        stored["RoleMappings"] = mappings
    iam_store.change(
        ctx.tx, schema.cognito_identity_pools, {"id": row["id"]}, roles=json.dumps(stored), updated_at=ctx.now
    )
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "GetIdentityPoolRoles",
    action="cognito-identity:GetIdentityPoolRoles",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def get_identity_pool_roles(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    return {"IdentityPoolId": row["id"], **roles_of(row)}


# --------------------------------------------------------------------- principal tag maps
def tag_map(row: Row, provider: str) -> dict[str, Any] | None:
    """The principal tag map of ``provider`` in a pool, if one was set."""
    maps = json.loads(str(row["tag_maps"]))
    found = maps.get(provider)
    return dict(found) if isinstance(found, dict) else None


def _provider_name(params: Params) -> str:
    name = params.get("IdentityProviderName")
    if not isinstance(name, str) or not name:
        raise invalid_parameter(
            "1 validation error detected: Value null at 'identityProviderName' failed to satisfy constraint: "
            "Member must not be null"
        )
    return name


@SERVICE.operation(
    "SetPrincipalTagAttributeMap",
    action="cognito-identity:SetPrincipalTagAttributeMap",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def set_principal_tag_attribute_map(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    provider = _provider_name(params)
    tags = {str(k): str(v) for k, v in (params.get("PrincipalTags") or {}).items()}
    if len(tags) > 50:
        raise invalid_parameter("A principal tag map can have at most 50 tags.")
    use_defaults = bool(params.get("UseDefaults"))
    maps = json.loads(str(row["tag_maps"]))
    maps[provider] = {"UseDefaults": use_defaults, "PrincipalTags": tags}
    iam_store.change(
        ctx.tx, schema.cognito_identity_pools, {"id": row["id"]}, tag_maps=json.dumps(maps), updated_at=ctx.now
    )
    ctx.tx.touch(ctx.account_id)
    return {
        "IdentityPoolId": row["id"],
        "IdentityProviderName": provider,
        "UseDefaults": use_defaults,
        "PrincipalTags": tags,
    }


@SERVICE.operation(
    "GetPrincipalTagAttributeMap",
    action="cognito-identity:GetPrincipalTagAttributeMap",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def get_principal_tag_attribute_map(ctx: OperationContext, params: Params) -> Result:
    row = find_pool(ctx, id_param(params, "IdentityPoolId"))
    provider = _provider_name(params)
    found = tag_map(row, provider) or {"UseDefaults": False, "PrincipalTags": {}}
    return {"IdentityPoolId": row["id"], "IdentityProviderName": provider, **found}


# ----------------------------------------------------------------------------------- tags
def _arn(ctx: OperationContext, params: Params) -> str:
    arn = params.get("ResourceArn")
    if not isinstance(arn, str) or ":identitypool/" not in arn:
        raise invalid_parameter(f"Invalid ResourceArn: {arn}")
    return arn


def _arn_tags(ctx: OperationContext, params: Params) -> ResourcePolicy:
    pool_id = _arn(ctx, params).rsplit("/", 1)[-1]
    return ResourcePolicy(None, None, tags=dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, pool_id)))


def _tagged_pool(ctx: OperationContext, params: Params) -> str:
    arn = _arn(ctx, params)
    pool_id = arn.rsplit("/", 1)[-1]
    row = find_pool(ctx, pool_id)
    if pool_arn(str(row["region"]), str(row["account_id"]), pool_id) != arn:
        raise pool_not_found(pool_id)
    return pool_id


register_resource_tag_operations(
    SERVICE,
    tagged=TAG_RESOURCE,
    find_id=_tagged_pool,
    resource=_arn,
    resource_policy=_arn_tags,
    request_tags=_request_tags,
    too_many=lambda: invalid_parameter("An identity pool can have at most 50 tags."),
)
