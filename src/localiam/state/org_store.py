"""The organization tree as Organizations writes it, in the tables
:mod:`localiam.state.authz` reads SCP and RCP chains from:

- ``organizations``: one row per organization (``root_id``, ``management_account``);
- ``org_units``: the root (``parent_id`` ``NULL``) and every OU under it;
- ``org_accounts``: every account of the organization, the management account included, with
  its parent (the root or an OU);
- ``org_policies``: SCPs and RCPs (``type`` ``SERVICE_CONTROL_POLICY`` or
  ``RESOURCE_CONTROL_POLICY``); the AWS managed ``FullAWSAccess`` (``p-FullAWSAccess``) and
  ``RCPFullAWSAccess`` (``p-RCPFullAWSAccess``) exist once for every organization, with
  ``org_id`` :data:`AWS_MANAGED_ORG`;
- ``org_policy_attachments``: policy → target (a root, OU or account id);
- ``org_policy_types``: the policy types enabled on a root.

Identifier formats (Organizations API Reference, ``API_Organization``, ``API_Root``,
``API_OrganizationalUnit``, ``API_Policy``, ``API_CreateAccountStatus``): ``o-`` and 10 lower-case
letters or digits; ``r-`` and 4; ``ou-`` then the root's 4, a dash and 8; ``p-`` and 8;
``car-`` and 32. Every writer here changes the SCP or RCP chain of some account: the service
calls :func:`touch_organization` after it.
"""

from __future__ import annotations

import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from localiam.state import schema
from localiam.state.accounts import create_account
from localiam.state.aws_managed import FULL_AWS_ACCESS, RCP_FULL_AWS_ACCESS
from localiam.state.store import Tx

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_TYPES = (SCP, RCP)
AWS_MANAGED_ORG = "aws"
FULL_AWS_ACCESS_ID = "p-FullAWSAccess"
RCP_FULL_AWS_ACCESS_ID = "p-RCPFullAWSAccess"
DEFAULT_POLICY = {SCP: FULL_AWS_ACCESS_ID, RCP: RCP_FULL_AWS_ACCESS_ID}
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"

_LOWER = string.ascii_lowercase + string.digits


def _random(n: int, alphabet: str = _LOWER) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass(frozen=True, slots=True)
class Organization:
    id: str
    management_account: str
    feature_set: str
    root_id: str
    created_at: float


# --------------------------------------------------------------------------- organizations
def organization_of(tx: Tx, account_id: str) -> Organization | None:
    """The organization ``account_id`` belongs to (as a member or its management account)."""
    oa, org = schema.org_accounts, schema.organizations
    row = tx.one_or_none(
        select(org).select_from(oa.join(org, oa.c.org_id == org.c.id)).where(oa.c.account_id == account_id)
    )
    if row is None:
        return None
    return Organization(row.id, row.management_account, row.feature_set, row.root_id, row.created_at)


def create_organization(tx: Tx, management_account: str) -> Organization:
    """A new organization with all features, its root, and ``management_account`` in it."""
    ensure_aws_managed_policies(tx)
    org = Organization(f"o-{_random(10)}", management_account, "ALL", f"r-{_random(4)}", tx.now)
    tx.execute(
        schema.organizations.insert().values(
            id=org.id,
            management_account=management_account,
            feature_set=org.feature_set,
            root_id=org.root_id,
            created_at=tx.now,
        )
    )
    tx.execute(schema.org_units.insert().values(id=org.root_id, org_id=org.id, parent_id=None, name="Root"))
    add_account(tx, org, management_account, org.root_id, "INVITED")
    return org


def set_feature_set(tx: Tx, org: Organization, feature_set: str) -> Organization:
    table = schema.organizations
    tx.execute(table.update().where(table.c.id == org.id).values(feature_set=feature_set))
    return Organization(org.id, org.management_account, feature_set, org.root_id, org.created_at)


def account_email(tx: Tx, account_id: str) -> str:
    acc = schema.accounts
    row = tx.one_or_none(select(acc.c.email).where(acc.c.id == account_id))
    return str(row.email) if row is not None else ""


def ensure_aws_managed_policies(tx: Tx) -> None:
    op = schema.org_policies
    for policy_id, policy_type, name, description, document in (
        (FULL_AWS_ACCESS_ID, SCP, "FullAWSAccess", "Allows access to every operation", FULL_AWS_ACCESS),
        (
            RCP_FULL_AWS_ACCESS_ID,
            RCP,
            "RCPFullAWSAccess",
            "Allows access to every resource",
            RCP_FULL_AWS_ACCESS,
        ),
    ):
        if tx.one_or_none(select(op.c.id).where(op.c.id == policy_id)) is None:
            tx.execute(
                op.insert().values(
                    id=policy_id,
                    org_id=AWS_MANAGED_ORG,
                    type=policy_type,
                    name=name,
                    description=description,
                    document=json.dumps(document, indent=4),
                    aws_managed=True,
                )
            )


def account_ids(tx: Tx, org_id: str) -> list[str]:
    oa = schema.org_accounts
    return [r.account_id for r in tx.execute(select(oa.c.account_id).where(oa.c.org_id == org_id))]


def touch_organization(tx: Tx, org: Organization) -> None:
    """Record a change to the SCP/RCP chains of every account of the organization."""
    tx.touch(org.management_account)
    for account in account_ids(tx, org.id):
        tx.touch(account)


# --------------------------------------------------------------------------- the tree
def account_row(tx: Tx, org: Organization, account_id: str) -> Any:
    oa, acc = schema.org_accounts, schema.accounts
    return tx.one_or_none(
        select(oa, acc.c.name, acc.c.email)
        .select_from(oa.join(acc, oa.c.account_id == acc.c.id))
        .where(oa.c.org_id == org.id, oa.c.account_id == account_id)
    )


def accounts_of(tx: Tx, org: Organization, parent_id: str | None = None) -> list[Any]:
    oa, acc = schema.org_accounts, schema.accounts
    stmt = (
        select(oa, acc.c.name, acc.c.email)
        .select_from(oa.join(acc, oa.c.account_id == acc.c.id))
        .where(oa.c.org_id == org.id)
        .order_by(oa.c.joined_at, oa.c.account_id)
    )
    if parent_id is not None:
        stmt = stmt.where(oa.c.parent_id == parent_id)
    return list(tx.execute(stmt))


def unit_row(tx: Tx, org: Organization, unit_id: str) -> Any:
    """A root or OU of ``org``."""
    ou = schema.org_units
    return tx.one_or_none(select(ou).where(ou.c.org_id == org.id, ou.c.id == unit_id))


def units_under(tx: Tx, org: Organization, parent_id: str) -> list[Any]:
    ou = schema.org_units
    return list(tx.execute(select(ou).where(ou.c.org_id == org.id, ou.c.parent_id == parent_id).order_by(ou.c.id)))


def add_account(tx: Tx, org: Organization, account_id: str, parent_id: str, joined_method: str) -> None:
    tx.execute(
        schema.org_accounts.insert().values(
            account_id=account_id,
            org_id=org.id,
            parent_id=parent_id,
            joined_method=joined_method,
            joined_at=tx.now,
            status="ACTIVE",
        )
    )
    attach_defaults(tx, org, account_id)


def move_account(tx: Tx, account_id: str, parent_id: str) -> None:
    oa = schema.org_accounts
    tx.execute(oa.update().where(oa.c.account_id == account_id).values(parent_id=parent_id))


def add_unit(tx: Tx, org: Organization, parent_id: str, name: str) -> str:
    unit_id = f"ou-{org.root_id[2:]}-{_random(8)}"
    tx.execute(schema.org_units.insert().values(id=unit_id, org_id=org.id, parent_id=parent_id, name=name))
    attach_defaults(tx, org, unit_id)
    return unit_id


def rename_unit(tx: Tx, unit_id: str, name: str) -> None:
    ou = schema.org_units
    tx.execute(ou.update().where(ou.c.id == unit_id).values(name=name))


def remove_unit(tx: Tx, unit_id: str) -> None:
    tx.execute(delete(schema.org_units).where(schema.org_units.c.id == unit_id))
    tx.execute(delete(schema.org_policy_attachments).where(schema.org_policy_attachments.c.target_id == unit_id))


def all_targets(tx: Tx, org: Organization) -> list[str]:
    """The root, every OU and every account."""
    ou = schema.org_units
    units = [r.id for r in tx.execute(select(ou.c.id).where(ou.c.org_id == org.id))]
    return units + account_ids(tx, org.id)


# --------------------------------------------------------------------------- policies
def enabled_types(tx: Tx, org: Organization) -> list[str]:
    pt = schema.org_policy_types
    return sorted(r.type for r in tx.execute(select(pt.c.type).where(pt.c.root_id == org.root_id)))


def enable_type(tx: Tx, org: Organization, policy_type: str) -> None:
    """Enable a policy type; its AWS managed full-access policy goes on every target
    (``orgs_manage_policies_enable-disable``)."""
    tx.execute(schema.org_policy_types.insert().values(root_id=org.root_id, type=policy_type))
    for target in all_targets(tx, org):
        attach(tx, DEFAULT_POLICY[policy_type], target)


def disable_type(tx: Tx, org: Organization, policy_type: str) -> None:
    """Disable a policy type: every policy of that type is detached from every target."""
    pt, op, att = schema.org_policy_types, schema.org_policies, schema.org_policy_attachments
    tx.execute(delete(pt).where(pt.c.root_id == org.root_id, pt.c.type == policy_type))
    ids = select(op.c.id).where(op.c.type == policy_type)
    tx.execute(delete(att).where(att.c.policy_id.in_(ids), att.c.target_id.in_(all_targets(tx, org))))


def attach_defaults(tx: Tx, org: Organization, target_id: str) -> None:
    for policy_type in enabled_types(tx, org):
        attach(tx, DEFAULT_POLICY[policy_type], target_id)


def policy_row(tx: Tx, org: Organization, policy_id: str) -> Any:
    """A policy of ``org`` or an AWS managed one."""
    op = schema.org_policies
    return tx.one_or_none(select(op).where(op.c.id == policy_id, op.c.org_id.in_([org.id, AWS_MANAGED_ORG])))


def policies_of(tx: Tx, org: Organization, policy_type: str) -> list[Any]:
    op = schema.org_policies
    return list(
        tx.execute(
            select(op)
            .where(op.c.type == policy_type, op.c.org_id.in_([org.id, AWS_MANAGED_ORG]))
            .order_by(op.c.aws_managed.desc(), op.c.name)
        )
    )


def add_policy(tx: Tx, org: Organization, policy_type: str, name: str, description: str, document: str) -> str:
    policy_id = f"p-{_random(8)}"
    tx.execute(
        schema.org_policies.insert().values(
            id=policy_id,
            org_id=org.id,
            type=policy_type,
            name=name,
            description=description,
            document=document,
            aws_managed=False,
        )
    )
    return policy_id


def change_policy(tx: Tx, policy_id: str, **values: Any) -> None:
    op = schema.org_policies
    tx.execute(op.update().where(op.c.id == policy_id).values(**values))


def remove_policy(tx: Tx, policy_id: str) -> None:
    tx.execute(delete(schema.org_policies).where(schema.org_policies.c.id == policy_id))


def attach(tx: Tx, policy_id: str, target_id: str) -> None:
    att = schema.org_policy_attachments
    found = tx.one_or_none(select(att).where(att.c.policy_id == policy_id, att.c.target_id == target_id))
    if found is None:
        tx.execute(att.insert().values(policy_id=policy_id, target_id=target_id))


def detach(tx: Tx, policy_id: str, target_id: str) -> None:
    att = schema.org_policy_attachments
    tx.execute(delete(att).where(att.c.policy_id == policy_id, att.c.target_id == target_id))


def attached_policies(tx: Tx, target_id: str, policy_type: str) -> list[Any]:
    op, att = schema.org_policies, schema.org_policy_attachments
    return list(
        tx.execute(
            select(op)
            .select_from(att.join(op, att.c.policy_id == op.c.id))
            .where(att.c.target_id == target_id, op.c.type == policy_type)
            .order_by(op.c.name)
        )
    )


def targets_of(tx: Tx, org: Organization, policy_id: str) -> list[str]:
    att = schema.org_policy_attachments
    targets = set(all_targets(tx, org))
    rows = tx.execute(select(att.c.target_id).where(att.c.policy_id == policy_id).order_by(att.c.target_id))
    return [r.target_id for r in rows if r.target_id in targets]


def attachment_count(tx: Tx, policy_id: str) -> int:
    att = schema.org_policy_attachments
    return int(tx.execute(select(func.count()).select_from(att).where(att.c.policy_id == policy_id)).scalar_one())


# --------------------------------------------------------------------------- CreateAccount
def email_in_use(tx: Tx, email: str) -> bool:
    acc = schema.accounts
    return tx.one_or_none(select(acc.c.id).where(func.lower(acc.c.email) == email.lower())) is not None


def record_create_account(
    tx: Tx, org: Organization, name: str, state: str, account_id: str | None, failure: str | None
) -> str:
    request_id = f"car-{secrets.token_hex(16)}"
    tx.execute(
        schema.create_account_status.insert().values(
            id=request_id,
            org_id=org.id,
            account_id=account_id,
            account_name=name,
            state=state,
            requested_at=tx.now,
            completed_at=tx.now,
            failure_reason=failure,
        )
    )
    return request_id


def create_account_statuses(tx: Tx, org: Organization, request_id: str | None = None) -> list[Any]:
    cas = schema.create_account_status
    stmt = select(cas).where(cas.c.org_id == org.id).order_by(cas.c.requested_at, cas.c.id)
    if request_id is not None:
        stmt = stmt.where(cas.c.id == request_id)
    return list(tx.execute(stmt))


def create_member_account(tx: Tx, org: Organization, name: str, email: str, role_name: str) -> str:
    """A new account under the root, with ``role_name`` in it trusting the management
    account and holding ``AdministratorAccess`` (``orgs_manage_accounts_create-account``,
    "OrganizationAccountAccessRole")."""
    credentials = create_account(tx, name=name, email=email)
    account_id = credentials.account_id
    add_account(tx, org, account_id, org.root_id, "CREATED")
    create_access_role(tx, account_id, org.management_account, role_name)
    return account_id


def create_access_role(tx: Tx, account_id: str, management_account: str, role_name: str) -> None:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{management_account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    key = role_name.lower()
    tx.execute(
        schema.roles.insert().values(
            account_id=account_id,
            name_key=key,
            name=role_name,
            role_id="AROA" + _random(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
            path="/",
            trust_policy=json.dumps(trust),
            max_session_duration=3600,
            service_linked=False,
            created_at=tx.now,
        )
    )
    tx.execute(
        schema.attachments.insert().values(
            account_id=account_id,
            principal_type="role",
            principal_key=key,
            policy_arn=ADMINISTRATOR_ACCESS,
            attached_at=tx.now,
        )
    )
    tx.touch(account_id)
