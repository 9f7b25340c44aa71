"""Who makes a request: the principal kinds AWS distinguishes, and what each looks like to a
``Principal`` element and to the global condition keys.

``reference_policies_condition-keys`` (``aws:PrincipalType``: Account, User, FederatedUser,
AssumedRole, Anonymous) and ``reference_policies_elements_principal`` (account, IAM user, role,
role session, federated user session, service and federated principals).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from localiam.policy.match import (
    ACCOUNT,
    FEDERATED_USER,
    ROLE,
    SESSION,
    USER,
    PrincipalFacts,
)


class PrincipalKind(enum.Enum):
    """The value AWS puts in ``aws:PrincipalType`` (``Service`` for service principals, and
    the two federated callers of ``AssumeRoleWithWebIdentity``/``AssumeRoleWithSAML``)."""

    ROOT = "Account"
    USER = "User"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    ANONYMOUS = "Anonymous"
    SERVICE = "Service"
    WEB_IDENTITY_USER = "WebIdentityUser"
    SAML_USER = "SAMLUser"

    __hash__ = object.__hash__  # singletons: hash at C speed (set lookups on the hot path)


class PrincipalError(ValueError):
    """An ARN that names no principal AWS knows."""


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller. ``arn`` is what AWS prints after ``User:`` in a denial: the user ARN, the
    session ARN (``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``), ``anonymous``, or the
    service name."""

    kind: PrincipalKind
    arn: str
    account: str | None = None
    name: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    service_linked: bool = False
    provider: str | None = None
    canonical_user: str | None = None
    organization_id: str | None = None
    organization_paths: tuple[str, ...] = ()
    token_issue_time: str | None = None
    multi_factor_auth: bool | None = None
    multi_factor_auth_time: int | None = None
    """When the session's MFA code was verified (epoch seconds); the request's
    ``aws:MultiFactorAuthAge`` counts from it (:func:`localiam.engine.context.build_context`)."""
    source_identity: str | None = None
    federation: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """A web identity or SAML role session's keys from its token or assertion that AWS keeps
    for the session's requests (``accounts.google.com:sub``, ``saml:sub`` ...), lower-cased
    names; ``provider`` is then the session's ``aws:FederatedProvider``."""
    facts: PrincipalFacts = field(init=False, compare=False, repr=False)
    bounded_facts: PrincipalFacts = field(init=False, compare=False, repr=False)
    """``facts`` for when the request's policies include a permissions boundary."""
    context: dict[str, tuple[str, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        facts = _facts(self)
        object.__setattr__(self, "facts", facts)
        object.__setattr__(self, "bounded_facts", dataclasses.replace(facts, permissions_boundary=True))
        object.__setattr__(self, "context", principal_context(self))

    @property
    def root_arn(self) -> str | None:
        return f"arn:aws:iam::{self.account}:root" if self.account else None

    @property
    def principal_arn(self) -> str:
        """``aws:PrincipalArn``: for a role session it is the role's ARN, not the session's
        (``reference_policies_condition-keys``)."""
        if self.kind is PrincipalKind.ASSUMED_ROLE and self.role_arn:
            return self.role_arn
        return self.arn

    @property
    def is_aws_service(self) -> bool:
        return self.kind is PrincipalKind.SERVICE


def _facts(p: Principal) -> PrincipalFacts:
    root = p.root_arn
    ids: tuple[tuple[str | None, str], ...]
    if p.kind is PrincipalKind.USER:
        ids = ((p.arn, USER), (root, ACCOUNT))
    elif p.kind is PrincipalKind.ASSUMED_ROLE:
        ids = ((p.arn, SESSION), (p.role_arn or p.arn, ROLE), (root, ACCOUNT))
    elif p.kind is PrincipalKind.FEDERATED_USER:
        ids = ((p.arn, FEDERATED_USER), (root, ACCOUNT))
    elif p.kind is PrincipalKind.ROOT:
        ids = ((p.arn, ACCOUNT),)
    else:
        ids = ()
    identities = tuple((arn, kind) for arn, kind in ids if arn)
    return PrincipalFacts(
        identities=identities,
        service=p.arn if p.kind is PrincipalKind.SERVICE else None,
        federated=p.provider if p.kind in (PrincipalKind.WEB_IDENTITY_USER, PrincipalKind.SAML_USER) else None,
        canonical_user=p.canonical_user,
        anonymous=p.kind is PrincipalKind.ANONYMOUS,
    )


def principal_context(p: Principal) -> dict[str, tuple[str, ...]]:
    """The global condition keys that depend only on the principal (``reference_policies_condition-keys``);
    computed once per principal, kept in :attr:`Principal.context`."""
    ctx: dict[str, tuple[str, ...]] = {"aws:principaltype": (p.kind.value,)}
    if p.kind is PrincipalKind.ANONYMOUS:
        # "For anonymous requests, the request context returns anonymous" (aws:PrincipalAccount;
        # aws:userid is "anonymous" too, reference_policies_variables); aws:PrincipalIsAWSService
        # is only in signed requests.
        ctx["aws:principalaccount"] = ("anonymous",)
        ctx["aws:userid"] = ("anonymous",)
        return ctx
    ctx["aws:principalisawsservice"] = ("true" if p.kind is PrincipalKind.SERVICE else "false",)
    if p.kind is PrincipalKind.SERVICE:
        ctx["aws:principalservicename"] = (p.arn,)
        return ctx
    if p.kind in (PrincipalKind.WEB_IDENTITY_USER, PrincipalKind.SAML_USER):
        if p.provider:
            ctx["aws:federatedprovider"] = (p.provider,)
        return ctx
    ctx["aws:principalarn"] = (p.principal_arn,)
    if p.account:
        ctx["aws:principalaccount"] = (p.account,)
    if p.kind is PrincipalKind.USER and p.name:
        ctx["aws:username"] = (p.name,)
    if p.user_id:
        ctx["aws:userid"] = (p.user_id,)
    elif p.kind is PrincipalKind.ROOT and p.account:
        ctx["aws:userid"] = (p.account,)
    elif p.kind is PrincipalKind.FEDERATED_USER and p.account and p.name:
        # reference_policies_variables, "Principal key values": account:caller-specified-name.
        ctx["aws:userid"] = (f"{p.account}:{p.name}",)
    if p.organization_id:
        ctx["aws:principalorgid"] = (p.organization_id,)
        if p.organization_paths:
            ctx["aws:principalorgpaths"] = p.organization_paths
    for key, value in p.tags.items():
        ctx[f"aws:principaltag/{key.lower()}"] = (value,)
    if p.kind in (PrincipalKind.ASSUMED_ROLE, PrincipalKind.FEDERATED_USER):
        if p.token_issue_time:
            ctx["aws:tokenissuetime"] = (p.token_issue_time,)
        if p.multi_factor_auth is not None:
            ctx["aws:multifactorauthpresent"] = ("true" if p.multi_factor_auth else "false",)
        if p.source_identity:
            ctx["aws:sourceidentity"] = (p.source_identity,)
        if p.provider:
            ctx["aws:federatedprovider"] = (p.provider,)
        for key, values in p.federation.items():
            ctx[key.lower()] = tuple(values)
    elif p.multi_factor_auth is not None:
        ctx["aws:multifactorauthpresent"] = ("true" if p.multi_factor_auth else "false",)
    return ctx


ANONYMOUS = Principal(PrincipalKind.ANONYMOUS, "anonymous")


def principal_from_arn(
    arn: str,
    *,
    tags: Mapping[str, str] | None = None,
    user_id: str | None = None,
    service_linked: bool = False,
) -> Principal:
    """A principal from the ARN AWS would show for it.

    Accepts ``arn:aws:iam::ACCT:user/[path/]NAME``, ``arn:aws:iam::ACCT:root``,
    ``arn:aws:sts::ACCT:assumed-role/ROLE/SESSION``, ``arn:aws:sts::ACCT:federated-user/NAME``,
    ``anonymous`` and service principals (``lambda.amazonaws.com``). A role ARN is not a
    caller: a role acts through sessions.
    """
    tags = dict(tags or {})
    if arn == "anonymous" or arn == "*":
        return ANONYMOUS
    if not arn.startswith("arn:"):
        if "." in arn and " " not in arn and "/" not in arn:
            return Principal(PrincipalKind.SERVICE, arn)
        raise PrincipalError(f"{arn!r} is not a principal ARN, 'anonymous' or a service principal")
    parts = arn.split(":", 5)
    if len(parts) != 6:
        raise PrincipalError(f"{arn!r} is not a valid ARN")
    _, _partition, service, _region, account, resource = parts
    if not (len(account) == 12 and account.isdigit()):
        raise PrincipalError(f"{arn!r} has no 12-digit account id")
    if service == "iam" and resource == "root":
        return Principal(PrincipalKind.ROOT, arn, account, user_id=user_id or account, tags=tags)
    if service == "iam" and resource.startswith("user/"):
        name = resource.rsplit("/", 1)[-1]
        if not name:
            raise PrincipalError(f"{arn!r} names no user")
        return Principal(PrincipalKind.USER, arn, account, name=name, user_id=user_id, tags=tags)
    if service == "sts" and resource.startswith("assumed-role/"):
        pieces = resource.split("/")
        if len(pieces) != 3 or not pieces[1] or not pieces[2]:
            raise PrincipalError(f"{arn!r} must look like arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION")
        role_arn = f"arn:{_partition}:iam::{account}:role/{pieces[1]}"
        return Principal(
            PrincipalKind.ASSUMED_ROLE,
            arn,
            account,
            name=pieces[1],
            role_arn=role_arn,
            session_name=pieces[2],
            user_id=user_id,
            tags=tags,
            service_linked=service_linked,
        )
    if service == "sts" and resource.startswith("federated-user/"):
        name = resource.split("/", 1)[1]
        return Principal(PrincipalKind.FEDERATED_USER, arn, account, name=name, user_id=user_id, tags=tags)
    if service == "iam" and resource.startswith("role/"):
        raise PrincipalError(
            f"{arn!r} is a role; a role makes requests through a session "
            "(arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION)"
        )
    raise PrincipalError(f"{arn!r} is not a user, root, assumed-role session or federated user ARN")


def session_principal(
    role_arn: str,
    session_name: str,
    *,
    tags: Mapping[str, str] | None = None,
    role_id: str | None = None,
    service_linked: bool = False,
) -> Principal:
    """The session a role's ``AssumeRole`` creates: ``arn:aws:sts::ACCT:assumed-role/ROLE/NAME``;
    its ``aws:userid`` is ``ROLE-ID:SESSION-NAME``. The role name in the session ARN drops the
    role's path."""
    parts = role_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise PrincipalError(f"{role_arn!r} is not a role ARN")
    role_name = parts[5].rsplit("/", 1)[-1]
    account = parts[4]
    arn = f"arn:{parts[1]}:sts::{account}:assumed-role/{role_name}/{session_name}"
    return Principal(
        PrincipalKind.ASSUMED_ROLE,
        arn,
        account,
        name=role_name,
        role_arn=role_arn,
        session_name=session_name,
        user_id=f"{role_id}:{session_name}" if role_id else None,
        tags=dict(tags or {}),
        service_linked=service_linked,
    )
