"""Centralized root access for member accounts: ``EnableOrganizationsRootCredentialsManagement``,
``DisableOrganizationsRootCredentialsManagement``, ``EnableOrganizationsRootSessions``,
``DisableOrganizationsRootSessions`` and ``ListOrganizationsFeatures`` (IAM API Reference; IAM
User Guide ``id_root-user`` "Centrally manage root access for member accounts").

Only the organization's management account manages the features, and only in an
organization with all features (``OrganizationNotInAllFeaturesModeException``); an account in
no organization answers ``OrganizationNotFoundException``; another member,
``AccountNotManagementOrDelegatedAdministratorException``. These errors carry no code in the
model, so the wire code is the shape's name. ``RootSessions`` is what lets ``sts:AssumeRoot``
open a privileged session in a member account (``services/sts/assume_root.py``).
"""

from __future__ import annotations

from localiam.errors import client_error
from localiam.services.base import OperationContext, Params, Result
from localiam.services.iam.account_settings import save_setting, settings_of
from localiam.services.iam.common import SERVICE
from localiam.state.org_store import Organization, organization_of

FEATURES = {"RootCredentialsManagement": "root_credentials_management", "RootSessions": "root_sessions"}


def management_organization(ctx: OperationContext) -> Organization:
    org = organization_of(ctx.tx, ctx.account_id)
    if org is None:
        raise client_error(
            "OrganizationNotFoundException",
            "The request failed because your credentials do not belong to an organization.",
            400,
        )
    if org.management_account != ctx.account_id:
        raise client_error(
            "AccountNotManagementOrDelegatedAdministratorException",
            "The request failed because the account is not the management account or delegated administrator "
            "account of the organization.",
            400,
        )
    if org.feature_set != "ALL":
        raise client_error(
            "OrganizationNotInAllFeaturesModeException",
            "The request failed because your organization does not have all features enabled.",
            400,
        )
    return org


def enabled_features(ctx: OperationContext, account_id: str) -> list[str]:
    row = settings_of(ctx.tx, account_id)
    return [name for name, column in FEATURES.items() if row is not None and row[column]]


def _answer(ctx: OperationContext, org: Organization) -> Result:
    return {"OrganizationId": org.id, "EnabledFeatures": enabled_features(ctx, org.management_account)}


def _anywhere(_ctx: OperationContext, _params: Params) -> str:
    return "*"


def _register(feature: str) -> None:
    column = FEATURES[feature]

    def switch(on: bool) -> None:
        verb = "Enable" if on else "Disable"

        @SERVICE.operation(
            f"{verb}Organizations{feature}", action=f"iam:{verb}Organizations{feature}", resource=_anywhere, writes=True
        )
        def handler(ctx: OperationContext, params: Params) -> Result:
            org = management_organization(ctx)
            save_setting(ctx.tx, org.management_account, **{column: on})
            ctx.tx.touch(ctx.account_id)
            return _answer(ctx, org)

    switch(True)
    switch(False)


_register("RootCredentialsManagement")
_register("RootSessions")


@SERVICE.operation("ListOrganizationsFeatures", action="iam:ListOrganizationsFeatures", resource=_anywhere)
def list_organizations_features(ctx: OperationContext, params: Params) -> Result:
    return _answer(ctx, management_organization(ctx))
