"""Tokens and credentials for identities (``API_GetOpenIdToken``,
``API_GetOpenIdTokenForDeveloperIdentity``, ``API_GetCredentialsForIdentity``; Developer Guide
"Identity pools authentication flow", "IAM roles", "Role trust and permissions", "Using
role-based access control", "Using attributes for access control").

The enhanced flow (``GetCredentialsForIdentity``) does what ``GetOpenIdToken`` then STS
``AssumeRoleWithWebIdentity`` would, as ``cognito-identity.amazonaws.com``:

1. The role: for a guest, the pool's ``unauthenticated`` role; for a signed-in identity, the
   role mapping of its login's provider (``Token``: ``CustomRoleArn`` when the token offers it,
   else ``cognito:preferred_role``; ``Rules``: the first rule whose claim matches), else, or when a
   mapping finds none and says ``AuthenticatedRole``, the ``authenticated`` role. No role:
   ``InvalidIdentityPoolConfigurationException``.
2. The role's trust policy must allow ``sts:AssumeRoleWithWebIdentity`` for
   ``{"Federated": "cognito-identity.amazonaws.com"}`` with a condition on
   ``cognito-identity.amazonaws.com:aud`` (``identity-pools-security-best-practices``: IAM requires
   at least one condition on roles for identity pools); the engine then decides with ``:aud`` (the
   pool id), ``:sub`` (the identity id) and ``:amr`` in the request, and principal tags from the
   pool's tag map (which need ``sts:TagSession``). A refusal answers
   ``InvalidIdentityPoolConfigurationException``, as STS's error reaches the caller on AWS.
3. Guests get the scope-down session policies AWS applies to unauthenticated enhanced-flow
   credentials ("IAM roles", Access policies; the ``AmazonCognitoUnAuthedIdentitiesSessionPolicy``
   managed policy): the role's permissions, limited to the services those list.
4. The session is ``assumed-role/ROLE/CognitoIdentityCredentials`` for one hour; its requests
   carry ``cognito-identity.amazonaws.com:sub`` / ``:aud`` / ``:amr`` for policy variables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from localiam.engine import PrincipalKind
from localiam.errors import AwsError
from localiam.policy.wildcard import glob_match
from localiam.services.base import OperationContext, Params, Result
from localiam.services.cognito_identity import logins as login_checks
from localiam.services.cognito_identity import tokens as pool_tokens
from localiam.services.cognito_identity._service import (
    PRINCIPAL,
    SERVICE,
    config_of,
    configuration_error,
    find_pool,
    id_param,
    invalid_parameter,
    not_authorized,
    pool_resource,
    pool_tags,
    roles_of,
    timestamp,
)
from localiam.services.cognito_identity.identities import identity_for, settle
from localiam.services.cognito_identity.logins import Login
from localiam.services.cognito_identity.pools import DEFAULT_TAG_MAP, tag_map
from localiam.services.sts.federated import FederatedLogin, assume_federated
from localiam.state.aws_managed import AWS_MANAGED_PREFIX
from localiam.state.iam_store import Row
from localiam.state.sts_store import RoleRecord, find_role

ACTION = "sts:AssumeRoleWithWebIdentity"
SESSION_NAME = "CognitoIdentityCredentials"
CREDENTIALS_SECONDS = 3600
OPEN_ID_TOKEN_SECONDS = 600
"""``GetOpenIdToken``: "The OpenID token is valid for 10 minutes"."""
CLASSIC_OFF = "Basic (classic) flow is not enabled, please use enhanced flow."
GUEST_SESSION_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "cloudwatch:*",
                "logs:*",
                "dynamodb:*",
                "kinesis:*",
                "mobileanalytics:*",
                "s3:*",
                "ses:*",
                "sns:*",
                "sqs:*",
                "lambda:*",
                "machinelearning:*",
                "execute-api:*",
                "iot:*",
                "gamelift:*",
                "cognito-identity:*",
                "cognito-idp:*",
                "lex:*",
                "polly:*",
                "comprehend:*",
                "translate:*",
                "transcribe:*",
                "rekognition:*",
                "mobiletargeting:*",
                "firehose:*",
                "appsync:*",
                "personalize:*",
                "sagemaker:InvokeEndpoint",
                "cognito-sync:*",
                "codewhisperer:*",
                "textract:DetectDocumentText",
                "textract:AnalyzeDocument",
                "sdb:*",
            ],
            "Resource": "*",
        }
    ],
}
"""The inline scope-down policy of guests' enhanced-flow credentials: the services of "IAM roles",
Access policies (Amazon Cognito Developer Guide)."""
GUEST_MANAGED_POLICY = AWS_MANAGED_PREFIX + "AmazonCognitoUnAuthedIdentitiesSessionPolicy"


# ------------------------------------------------------------------------------------ roles
def _claim_values(claims: Mapping[str, Any], name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [str(value)]


def _rule_matches(rule: Mapping[str, str], claims: Mapping[str, Any]) -> bool:
    values, wanted, match = _claim_values(claims, rule["Claim"]), rule["Value"], rule["MatchType"]
    if match == "Equals":
        return wanted in values
    if match == "NotEqual":
        return bool(values) and wanted not in values
    if match == "StartsWith":
        return any(v.startswith(wanted) for v in values)
    return any(wanted in v for v in values)  # Contains


def _mapped_role(mapping: Mapping[str, Any], login: Login, custom_role: str | None) -> str | None:
    if mapping["Type"] == "Token":
        if custom_role is not None:
            if custom_role not in login.roles:
                raise invalid_parameter(f"CustomRoleArn {custom_role} is not one of the roles the token offers.")
            return custom_role
        return login.preferred_role
    for rule in mapping.get("RulesConfiguration", {}).get("Rules", []):
        if _rule_matches(rule, login.claims):
            return str(rule["RoleARN"])
    return None


def choose_role(pool: Row, logins: Sequence[Login], custom_role: str | None) -> str:
    """The role ARN the identity's credentials are for."""
    stored = roles_of(pool)
    defaults = stored.get("Roles") or {}
    if not logins:
        role = defaults.get("unauthenticated")
        if role is None:
            raise configuration_error()
        return str(role)
    mappings = stored.get("RoleMappings") or {}
    for login in logins:
        mapping = mappings.get(login.mapping_key) or mappings.get(login.provider)
        if mapping is None:
            continue
        role = _mapped_role(mapping, login, custom_role)
        if role is not None:
            return role
        if mapping["AmbiguousRoleResolution"] == "Deny":
            raise not_authorized("Unable to determine a role for this identity: no role mapping rule matched.")
        break
    role = defaults.get("authenticated")
    if role is None:
        raise configuration_error()
    return str(role)


def _statements(document: Any) -> list[Mapping[str, Any]]:
    raw = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(raw, dict):
        return [raw]
    return [s for s in raw or [] if isinstance(s, dict)]


def trust_names_audience(trust_policy: str) -> bool:
    """Whether an Allow statement of the trust policy for ``sts:AssumeRoleWithWebIdentity``
    has a condition on ``cognito-identity.amazonaws.com:aud``."""
    try:
        document = json.loads(trust_policy)
    except ValueError:
        return False
    for statement in _statements(document):
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action") or []
        actions = [actions] if isinstance(actions, str) else actions
        if not any(isinstance(a, str) and glob_match(a, ACTION, ignore_case=True) for a in actions):
            continue
        for block in (statement.get("Condition") or {}).values():
            if isinstance(block, dict) and any(str(k).lower() == f"{PRINCIPAL}:aud" for k in block):
                return True
    return False


# ----------------------------------------------------------------------------- credentials
def _amr(logins: Sequence[Login]) -> list[str]:
    if not logins:
        return ["unauthenticated"]
    out = ["authenticated"]
    for login in logins:
        out.extend(a for a in login.amr if a not in out)
    return out


def _principal_tags(pool: Row, logins: Sequence[Login]) -> dict[str, str]:
    for login in logins:
        if login.own_token is not None:
            raw = (login.own_token.get(pool_tokens.TAGS_CLAIM) or {}).get("principal_tags") or {}
            return {str(k): str(v[0] if isinstance(v, list) else v) for k, v in raw.items()}
        found = tag_map(pool, login.provider)
        if found is None:
            continue
        wanted = dict(DEFAULT_TAG_MAP) if found.get("UseDefaults") else {}
        wanted.update(found.get("PrincipalTags") or {})
        tags = {}
        for tag, claim in wanted.items():
            values = _claim_values(login.claims, claim)
            if values:
                tags[tag] = values[0]
        return tags
    return {}


def _assume(
    ctx: OperationContext, pool: Row, identity_id: str, logins: Sequence[Login], role: RoleRecord
) -> dict[str, Any]:
    if not trust_names_audience(role.trust_policy):
        raise configuration_error()
    login = FederatedLogin(
        action=ACTION,
        kind=PrincipalKind.WEB_IDENTITY_USER,
        provider=PRINCIPAL,
        session_keys={
            f"{PRINCIPAL}:aud": [str(pool["id"])],
            f"{PRINCIPAL}:sub": [identity_id],
            f"{PRINCIPAL}:amr": _amr(logins),
        },
        tags=_principal_tags(pool, logins),
    )
    params: Params = {"DurationSeconds": CREDENTIALS_SECONDS}
    if not logins:
        params["Policy"] = json.dumps(GUEST_SESSION_POLICY, separators=(",", ":"))
        params["PolicyArns"] = [{"arn": GUEST_MANAGED_POLICY}]
    try:
        session = assume_federated(ctx, params, login, role, SESSION_NAME)
    except AwsError as exc:
        # STS's refusal (the trust policy, a duration or session policy it will not take)
        # reaches the app as the pool's configuration error, as on AWS.
        if exc.code in ("AccessDenied", "ValidationError", "PackedPolicyTooLarge"):
            raise configuration_error() from None
        raise
    issued = session.issued
    return {
        "AccessKeyId": issued.access_key_id,
        "SecretKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": timestamp(issued.expires_at),
    }


@SERVICE.operation("GetCredentialsForIdentity", action=None, signed=False, writes=True, before=login_checks.prefetch)
def get_credentials_for_identity(ctx: OperationContext, params: Params) -> Result:
    custom = params.get("CustomRoleArn")
    if custom is not None and not isinstance(custom, str):
        raise invalid_parameter("CustomRoleArn must be a role ARN.")
    pool, identity_id, logins = identity_for(ctx, params)
    role_arn = choose_role(pool, logins, custom)
    role = find_role(ctx.tx, role_arn)
    if role is None:
        raise configuration_error()
    return {"IdentityId": identity_id, "Credentials": _assume(ctx, pool, identity_id, logins, role)}


@SERVICE.operation("GetOpenIdToken", action=None, signed=False, writes=True, before=login_checks.prefetch)
def get_open_id_token(ctx: OperationContext, params: Params) -> Result:
    pool, identity_id, logins = identity_for(ctx, params)
    if config_of(pool).get("AllowClassicFlow") is False:
        raise invalid_parameter(CLASSIC_OFF)
    token = pool_tokens.mint(
        ctx.tx,
        pool_id=str(pool["id"]),
        identity_id=identity_id,
        amr=_amr(logins),
        validity=OPEN_ID_TOKEN_SECONDS,
        now=ctx.clock(),
    )
    return {"IdentityId": identity_id, "Token": token}


def _developer_tags(params: Params) -> dict[str, str]:
    raw = params.get("PrincipalTags") or {}
    if not isinstance(raw, dict) or len(raw) > 50:
        raise invalid_parameter("PrincipalTags must map at most 50 tag keys to values.")
    return {str(k): str(v) for k, v in raw.items()}


@SERVICE.operation(
    "GetOpenIdTokenForDeveloperIdentity",
    action="cognito-identity:GetOpenIdTokenForDeveloperIdentity",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
    before=login_checks.prefetch,
)
def get_open_id_token_for_developer_identity(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, id_param(params, "IdentityPoolId"))
    developer = config_of(pool).get("DeveloperProviderName")
    raw = login_checks.logins_param(params)
    if developer is None or developer not in raw:
        raise not_authorized("The Logins map must contain the identity pool's developer provider name.")
    duration = params.get("TokenDuration", 900)
    if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= 86400:
        raise invalid_parameter("TokenDuration must be between 1 and 86400 seconds.")
    logins = login_checks.verify(ctx, pool, raw, developer_ok=True)
    identity_id = params.get("IdentityId")
    if identity_id is not None:
        identity_id = id_param(params, "IdentityId")
    identity_id = settle(ctx, str(pool["id"]), identity_id, logins)
    token = pool_tokens.mint(
        ctx.tx,
        pool_id=str(pool["id"]),
        identity_id=identity_id,
        amr=_amr(logins),
        validity=duration,
        principal_tags=_developer_tags(params),
        now=ctx.clock(),
    )
    return {"IdentityId": identity_id, "Token": token}
