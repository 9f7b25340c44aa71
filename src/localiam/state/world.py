"""The world a decision is made in: accounts, their users, groups, roles and policies, the
organization tree, and resources with their resource-based policies.

These are plain in-memory objects. The scenario loader builds them from a file; the durable
store will build the same objects from its tables, so :mod:`localiam.state.resolve` serves both.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from localiam.policy.model import Policy

FULL_AWS_ACCESS = "FullAWSAccess"
RCP_FULL_AWS_ACCESS = "RCPFullAWSAccess"


@dataclass
class Group:
    name: str
    policies: list[str] = field(default_factory=list)
    inline: dict[str, Policy] = field(default_factory=dict)


@dataclass
class User:
    name: str
    path: str = "/"
    groups: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)
    inline: dict[str, Policy] = field(default_factory=dict)
    boundary: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Role:
    name: str
    path: str = "/"
    trust: Policy | None = None
    policies: list[str] = field(default_factory=list)
    inline: dict[str, Policy] = field(default_factory=dict)
    boundary: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    service_linked: bool = False


@dataclass
class Account:
    id: str
    name: str | None = None
    policies: dict[str, Policy] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)

    def user_arn(self, user: User) -> str:
        return f"arn:aws:iam::{self.id}:user{user.path}{user.name}"

    def role_arn(self, role: Role) -> str:
        return f"arn:aws:iam::{self.id}:role{role.path}{role.name}"

    def find_role(self, name: str) -> Role | None:
        return self.roles.get(name)


@dataclass
class OrganizationalUnit:
    name: str
    id: str = ""
    scps: list[str] = field(default_factory=list)
    rcps: list[str] = field(default_factory=list)
    accounts: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    """Account id → (SCPs, RCPs) attached directly to the account."""
    units: dict[str, OrganizationalUnit] = field(default_factory=dict)


@dataclass
class Organization:
    management_account: str
    root: OrganizationalUnit
    policies: dict[str, Policy] = field(default_factory=dict)

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.management_account.encode()).hexdigest()
        return f"o-{digest[:10]}"

    def path_to(self, account: str) -> list[OrganizationalUnit] | None:
        """The OUs from the root down to the one that holds ``account``."""

        def walk(unit: OrganizationalUnit, trail: list[OrganizationalUnit]) -> list[OrganizationalUnit] | None:
            trail = [*trail, unit]
            if account in unit.accounts:
                return trail
            for child in unit.units.values():
                found = walk(child, trail)
                if found is not None:
                    return found
            return None

        return walk(self.root, [])

    def org_path(self, account: str) -> str | None:
        """``aws:PrincipalOrgPaths`` form: ``o-id/r-id/ou-id/.../``."""
        trail = self.path_to(account)
        if trail is None:
            return None
        return "/".join([self.id, *(u.id for u in trail)]) + "/"


@functools.lru_cache(maxsize=4096)
def canonical_user_id(account_id: str) -> str:
    """The account's S3 canonical user id: 64 hex characters, stable for the account
    (``acl-overview``: "The canonical user ID is an alpha-numeric identifier")."""
    return hashlib.sha256(f"localiam canonical user {account_id}".encode()).hexdigest()


@dataclass
class AclEntry:
    """An S3 ACL grant: ``grantee`` is a canonical user id or a predefined group URI."""

    grantee: str
    permission: str
    group: bool = False


@dataclass
class ResourceEntry:
    """A resource (or, with an ARN ending in ``*``, every resource under a prefix)."""

    arn: str
    account: str | None = None
    policy: Policy | None = None
    tags: dict[str, str] = field(default_factory=dict)
    acl: list[AclEntry] = field(default_factory=list)


@dataclass
class World:
    accounts: dict[str, Account] = field(default_factory=dict)
    organization: Organization | None = None
    resources: list[ResourceEntry] = field(default_factory=list)

    def iter_users(self) -> Iterator[tuple[Account, User]]:
        for account in self.accounts.values():
            for user in account.users.values():
                yield account, user

    def resource_entry(self, arn: str) -> ResourceEntry | None:
        """The most specific entry describing ``arn``: an exact ARN beats a prefix ``*``
        entry, and a longer prefix beats a shorter one."""
        best: ResourceEntry | None = None
        best_len = -1
        for entry in self.resources:
            if entry.arn == arn:
                return entry
            if entry.arn.endswith("*") and arn.startswith(entry.arn[:-1]) and len(entry.arn) > best_len:
                best, best_len = entry, len(entry.arn)
        return best
