"""The account as IAM sees it: its alias (``CreateAccountAlias``, ``DeleteAccountAlias``,
``ListAccountAliases``), ``GetAccountSummary`` and ``SetSecurityTokenServicePreferences``
(IAM API Reference).

An account has at most one alias, unique across AWS (``API_CreateAccountAlias``;
``console_account-alias``); creating another replaces it, and an alias another account holds
answers ``EntityAlreadyExists``. ``GetAccountSummary`` counts the account's entities and
reports IAM's default quotas (``reference_iam-quotas``). Account-level actions take no
resource ARN, so only ``"Resource": "*"`` allows them.
"""

from __future__ import annotations

from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.account_settings import save_setting, settings_of
from localiam.services.iam.common import SERVICE, Pattern, Rule, already_exists, no_such_entity, paginate, validate
from localiam.state import iam_store, schema

ALIAS_RULE = Rule(
    "AccountAlias",
    True,
    Pattern.regex(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", r"[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]"),
    3,
    63,
)
QUOTAS = {
    "UsersQuota": 5000,
    "GroupsQuota": 300,
    "RolesQuota": 1000,
    "PoliciesQuota": 1500,
    "InstanceProfilesQuota": 1000,
    "ServerCertificatesQuota": 20,
    "AccessKeysPerUserQuota": 2,
    "SigningCertificatesPerUserQuota": 2,
    "GroupsPerUserQuota": 10,
    "AttachedPoliciesPerUserQuota": 10,
    "AttachedPoliciesPerGroupQuota": 10,
    "AttachedPoliciesPerRoleQuota": 10,
    "PolicySizeQuota": 6144,
    "PolicyVersionsInUseQuota": 10000,
    "VersionsPerPolicyQuota": 5,
    "UserPolicySizeQuota": 2048,
    "GroupPolicySizeQuota": 5120,
    "RolePolicySizeQuota": 10240,
    "AssumeRolePolicySizeQuota": 2048,
}


def _anywhere(_ctx: OperationContext, _params: Params) -> str:
    return "*"


@SERVICE.operation("CreateAccountAlias", action="iam:CreateAccountAlias", resource=_anywhere, writes=True)
def create_account_alias(ctx: OperationContext, params: Params) -> Result:
    validate(params, ALIAS_RULE)
    alias = str(params["AccountAlias"])
    holder = iam_store.one(ctx.tx, schema.iam_account_settings, alias=alias)
    if holder is not None:
        if holder["account_id"] == ctx.account_id:
            return {}
        raise already_exists(f"The account alias {alias} already exists.")
    save_setting(ctx.tx, ctx.account_id, alias=alias)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("DeleteAccountAlias", action="iam:DeleteAccountAlias", resource=_anywhere, writes=True)
def delete_account_alias(ctx: OperationContext, params: Params) -> Result:
    validate(params, ALIAS_RULE)
    alias = str(params["AccountAlias"])
    row = settings_of(ctx.tx, ctx.account_id)
    if row is None or row["alias"] != alias:
        raise no_such_entity(f"The account alias {alias} cannot be found.")
    save_setting(ctx.tx, ctx.account_id, alias=None)
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("ListAccountAliases", action="iam:ListAccountAliases", resource=_anywhere)
def list_account_aliases(ctx: OperationContext, params: Params) -> Result:
    row = settings_of(ctx.tx, ctx.account_id)
    aliases = [row["alias"]] if row is not None and row["alias"] else []
    page, more = paginate(aliases, params)
    return {"AccountAliases": page, **more}


@SERVICE.operation("GetAccountSummary", action="iam:GetAccountSummary", resource=_anywhere)
def get_account_summary(ctx: OperationContext, params: Params) -> Result:
    """``API_GetAccountSummary``'s ``SummaryMap``: counts, quotas and the root user's
    facts (``AccountMFAEnabled``, ``AccountAccessKeysPresent`` ...; 0 or 1)."""
    tx, account = ctx.tx, ctx.account_id

    def count(table: object, **where: object) -> int:
        return iam_store.count(tx, table, account_id=account, **where)  # type: ignore[arg-type]

    policies = [p["arn"] for p in iam_store.rows(tx, schema.managed_policies, account_id=account)]
    versions = iam_store.count(tx, schema.policy_versions, policy_arn=tuple(policies)) if policies else 0
    devices = iam_store.rows(tx, schema.mfa_devices, account_id=account)
    settings = settings_of(tx, account)
    providers = count(schema.saml_providers) + count(schema.oidc_providers)
    summary = {
        "Users": count(schema.users),
        "Groups": count(schema.groups),
        "Roles": count(schema.roles),
        "Policies": len(policies),
        "PolicyVersionsInUse": versions,
        "InstanceProfiles": count(schema.instance_profiles),
        "ServerCertificates": count(schema.server_certificates),
        "MFADevices": len(devices),
        "MFADevicesInUse": sum(1 for d in devices if d["user_key"] is not None),
        "AccountMFAEnabled": 0,
        "AccountAccessKeysPresent": int(count(schema.access_keys, user_key=None) > 0),
        "AccountPasswordPresent": 1,
        "AccountSigningCertificatesPresent": int(count(schema.signing_certificates, user_key=None) > 0),
        "Providers": providers,
        "GlobalEndpointTokenVersion": 2 if settings and settings["global_endpoint_token_version"] == "v2Token" else 1,
        **QUOTAS,
    }
    return {"SummaryMap": summary}


@SERVICE.operation(
    "SetSecurityTokenServicePreferences",
    action="iam:SetSecurityTokenServicePreferences",
    resource=_anywhere,
    writes=True,
)
def set_security_token_service_preferences(ctx: OperationContext, params: Params) -> Result:
    """The version of session tokens the global STS endpoint issues (``id_credentials_temp_
    region-endpoints``); recorded and reported by ``GetAccountSummary``."""
    validate(params, Rule("GlobalEndpointTokenVersion", True, enum=("v1Token", "v2Token")))
    save_setting(ctx.tx, ctx.account_id, global_endpoint_token_version=str(params["GlobalEndpointTokenVersion"]))
    ctx.tx.touch(ctx.account_id)
    return {}
