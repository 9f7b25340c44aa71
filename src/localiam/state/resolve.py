"""The one bridge from the world to the engine: a principal, an action and a resource in,
:class:`~localiam.engine.PolicyInputs` and a :class:`~localiam.engine.Request` out.

- An IAM user's identity policies are its managed and inline policies and those of every
  group it belongs to; a role session's are its role's (``access_policies_identity-vs-resource``).
- A role session's principal tags are the role's tags overridden by the session tags
  (``id_session-tags``: "session tags override a role tag with the same key").
- SCPs come from the principal's account, RCPs from the resource's account, each as a chain
  of levels: the root, every OU down to the account, the account itself.
- The resource-based policy of a role ARN is its trust policy, which must allow by itself; so
  must a KMS key policy (``reference_policies_evaluation-logic_policy-eval-basics``).
- A resource no entry describes belongs to the principal's account (``docs/scenarios.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import NamedTuple

from localiam.engine import (
    AclGrant,
    CompiledPolicy,
    OrganizationPolicies,
    PolicyInputs,
    Principal,
    PrincipalKind,
    Request,
    ResourceFacts,
    compile_policy,
    principal_from_arn,
    session_principal,
)
from localiam.engine.federation import federation_keys, is_saml_provider
from localiam.policy.model import Policy, PolicyType
from localiam.policy.parse import parse_policy
from localiam.state.aws_managed import AWS_MANAGED_PREFIX
from localiam.state.scenario import BUILTIN_ORGANIZATION_POLICIES, RequestSpec, Scenario
from localiam.state.world import (
    RCP_FULL_AWS_ACCESS,
    Account,
    Organization,
    ResourceEntry,
    Role,
    User,
    World,
    canonical_user_id,
)

_NO_SESSION_POLICY_DOCUMENT = parse_policy(
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "*", "Resource": "*"}]}'
).value
assert _NO_SESSION_POLICY_DOCUMENT is not None
_NO_SESSION_POLICY: Policy = _NO_SESSION_POLICY_DOCUMENT
"""A federated user's session policy when none was passed: it allows nothing, so only a
resource-based policy naming the session grants (``API_GetFederationToken``)."""


class ResolveError(ValueError):
    """A request that names something the world does not have.

    ``field`` is the request field at fault, as a JSON-pointer suffix (``principal``,
    ``session/role``), so callers can point at it; empty when the fault is not in one field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


_PrincipalSide = tuple[
    Principal,
    tuple[CompiledPolicy, ...],
    CompiledPolicy | None,
    tuple[CompiledPolicy, ...],
    OrganizationPolicies | None,
]
_ResourceSide = tuple[CompiledPolicy | None, bool, ResourceFacts, tuple[AclGrant, ...], OrganizationPolicies | None]


_RESOURCES_KEPT = 16_384
"""How many resources' resolutions a :class:`Resolver` keeps (the oldest goes first)."""


class Resolved(NamedTuple):
    """A request ready for :func:`~localiam.engine.authorize` (a tuple: one is made for every
    request decided, and a tuple is made faster than a frozen dataclass)."""

    inputs: PolicyInputs
    request: Request


class Resolver:
    """Turns requests into engine inputs for one world, compiling each policy once."""

    def __init__(self, world: World, aws_managed: Mapping[str, Policy]) -> None:
        self.world = world
        self.aws_managed = aws_managed
        self._compiled: dict[tuple[int, PolicyType], CompiledPolicy] = {}
        self._builtin: dict[str, Policy] = {}
        for name, doc in BUILTIN_ORGANIZATION_POLICIES.items():
            parsed = parse_policy(doc).value
            assert parsed is not None
            self._builtin[name] = parsed
        # What was resolved for a principal (by ARN, for requests without a session) and for a
        # resource (by ARN and the account it belongs to when the world does not say), so a
        # request for one seen before does not walk groups, boundaries and the organization
        # again. A Resolver is made for one world that does not change while it is used
        # (``localiam simulate``), as the compiled policies above assume too.
        self._principals: dict[str, _PrincipalSide] = {}
        self._resources: dict[tuple[str, str | None], _ResourceSide] = {}
        self._shared: dict[tuple[object, ...], _ResourceSide] = {}
        self._facts: dict[tuple[object, ...], ResourceFacts] = {}
        """Resources with the same owner, organization and tags share their facts (all the
        objects of a bucket, say)."""
        self._chains: dict[tuple[str, str], OrganizationPolicies | None] = {}
        self._orgs: dict[str | None, tuple[str | None, tuple[str, ...]]] = {}
        self._inputs: dict[tuple[int, int], tuple[PolicyInputs, _PrincipalSide, _ResourceSide]] = {}
        """The engine's inputs for a principal's side and a resource's side (by identity; the
        sides are kept with them, so that their ids are not reused while they are keys)."""
        self._exact: dict[str, ResourceEntry] | None = None
        self._prefixes: list[tuple[int, dict[str, ResourceEntry]]] = []

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> Resolver:
        return cls(scenario.world, scenario.aws_managed)

    def compiled(self, name: str, policy: Policy, policy_type: PolicyType, label: str | None = None) -> CompiledPolicy:
        """``policy`` compiled once; ``name`` identifies it in decisions, ``label`` names it
        for explanations as the user knows it (the labels below)."""
        key = (id(policy), policy_type)
        hit = self._compiled.get(key)
        if hit is None:
            hit = self._compiled[key] = compile_policy(name, policy, policy_type, label)
        return hit

    # ----------------------------------------------------------------- managed policies
    def managed(self, account: Account, ref: str, policy_type: PolicyType = PolicyType.IDENTITY) -> CompiledPolicy:
        if ref.startswith(AWS_MANAGED_PREFIX):
            policy = self.aws_managed.get(ref)
            if policy is None:
                raise ResolveError(f"AWS managed policy {ref} is not bundled with localiam")
            return self.compiled(ref, policy, policy_type, managed_label(ref, policy_type))
        if ref.startswith("arn:"):
            parts = ref.split(":", 5)
            owner = self.world.accounts.get(parts[4]) if len(parts) == 6 else None
            name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else ""
            if owner is None or name not in owner.policies:
                raise ResolveError(f"no customer managed policy {ref}")
            return self.compiled(ref, owner.policies[name], policy_type, managed_label(ref, policy_type))
        if ref not in account.policies:
            raise ResolveError(f"account {account.id} has no customer managed policy named {ref!r}")
        arn = f"arn:aws:iam::{account.id}:policy/{ref}"
        return self.compiled(arn, account.policies[ref], policy_type, managed_label(arn, policy_type))

    def _inline(self, owner_arn: str, inline: Mapping[str, Policy]) -> list[CompiledPolicy]:
        kind, _, path = owner_arn.split(":", 5)[5].partition("/")
        owner = f"{kind} {path.rsplit('/', 1)[-1]}"
        return [
            self.compiled(
                f"{owner_arn} inline policy {name}", p, PolicyType.IDENTITY, f"inline policy {name} of {owner}"
            )
            for name, p in inline.items()
        ]

    # ----------------------------------------------------------------- organizations
    def _org_chain(self, account_id: str, kind: str) -> OrganizationPolicies | None:
        key = (account_id, kind)
        if key in self._chains:
            return self._chains[key]
        chain = self._chains[key] = self._make_org_chain(account_id, kind)
        return chain

    def _make_org_chain(self, account_id: str, kind: str) -> OrganizationPolicies | None:
        org = self.world.organization
        if org is None:
            return None
        trail = org.path_to(account_id)
        if trail is None:
            return None
        policy_type = PolicyType.SCP if kind == "scps" else PolicyType.RCP
        levels: list[tuple[CompiledPolicy, ...]] = []
        for unit in trail:
            levels.append(self._org_level(org, getattr(unit, kind), policy_type))
        scps, rcps = trail[-1].accounts[account_id]
        levels.append(self._org_level(org, scps if kind == "scps" else rcps, policy_type))
        path = org.org_path(account_id)
        return OrganizationPolicies(
            tuple(levels),
            management_account=account_id == org.management_account,
            organization_id=org.id,
            paths=(path,) if path else (),
        )

    def _org_level(self, org: Organization, names: list[str], policy_type: PolicyType) -> tuple[CompiledPolicy, ...]:
        out = []
        if policy_type is PolicyType.RCP and RCP_FULL_AWS_ACCESS not in names:
            names = [RCP_FULL_AWS_ACCESS, *names]
        for name in names:
            policy = org.policies.get(name) or self._builtin.get(name)
            if policy is None:
                raise ResolveError(f"the organization has no policy named {name!r}")
            kind = "service control policy" if policy_type is PolicyType.SCP else "resource control policy"
            out.append(self.compiled(name, policy, policy_type, f"{kind} {name}"))
        return tuple(out)

    def _org_of(self, account_id: str | None) -> tuple[str | None, tuple[str, ...]]:
        found = self._orgs.get(account_id)
        if found is None:
            found = self._orgs[account_id] = self._make_org_of(account_id)
        return found

    def _make_org_of(self, account_id: str | None) -> tuple[str | None, tuple[str, ...]]:
        org = self.world.organization
        if org is None or account_id is None or org.path_to(account_id) is None:
            return None, ()
        path = org.org_path(account_id)
        return org.id, (path,) if path else ()

    # ----------------------------------------------------------------- principals
    def _account(self, account_id: str | None, what: str, field: str = "principal") -> Account:
        account = self.world.accounts.get(account_id or "")
        if account is None:
            raise ResolveError(f"{what}: account {account_id} is not in the scenario", field)
        return account

    def _role(self, role_arn: str, field: str) -> tuple[Account, Role]:
        parts = role_arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise ResolveError(f"{role_arn!r} is not a role ARN", field)
        account = self._account(parts[4], role_arn, field)
        name = parts[5].rsplit("/", 1)[-1]
        role = account.roles.get(name)
        if role is None:
            raise ResolveError(f"account {account.id} has no role named {name!r}", field)
        return account, role

    def _user(self, user_arn: str, field: str) -> tuple[Account, User]:
        try:
            parsed = principal_from_arn(user_arn)
        except ValueError as exc:
            raise ResolveError(str(exc), field) from None
        if parsed.kind is not PrincipalKind.USER:
            raise ResolveError(f"{user_arn!r} is not an IAM user ARN", field)
        account = self._account(parsed.account, user_arn, field)
        user = account.users.get(user_arn.rsplit("/", 1)[-1])
        if user is None or account.user_arn(user) != user_arn:
            raise ResolveError(f"account {account.id} has no user {user_arn}", field)
        return account, user

    def _user_policies(
        self, account: Account, user: User, arn: str
    ) -> tuple[list[CompiledPolicy], CompiledPolicy | None]:
        identity = [self.managed(account, ref) for ref in user.policies]
        identity += self._inline(arn, user.inline)
        for gname in user.groups:
            group = account.groups[gname]
            group_arn = f"arn:aws:iam::{account.id}:group/{gname}"
            identity += [self.managed(account, ref) for ref in group.policies]
            identity += self._inline(group_arn, group.inline)
        boundary = self.managed(account, user.boundary, PolicyType.BOUNDARY) if user.boundary else None
        return identity, boundary

    def _federated_user(
        self, spec: RequestSpec, broker_arn: str
    ) -> tuple[Principal, list[CompiledPolicy], CompiledPolicy | None, list[CompiledPolicy]]:
        """A ``GetFederationToken`` session: the broker user's policies, the session's policies
        (none passed: no permissions, ``API_GetFederationToken``) and tags."""
        assert spec.session is not None
        account, user = self._user(broker_arn, "session/user")
        try:
            principal = principal_from_arn(spec.principal, tags=spec.session.tags)
        except ValueError as exc:
            raise ResolveError(str(exc), "principal") from None
        if principal.kind is not PrincipalKind.FEDERATED_USER or principal.account != account.id:
            raise ResolveError(
                f"a session with a user is that user's federated user: the principal must be "
                f"arn:aws:sts::{account.id}:federated-user/NAME",
                "principal",
            )
        identity, boundary = self._user_policies(account, user, broker_arn)
        session: list[CompiledPolicy] = []
        if spec.session.policy is not None:
            session.append(
                self.compiled(
                    f"{spec.name} session policy", spec.session.policy, PolicyType.SESSION, INLINE_SESSION_POLICY
                )
            )
        for i, ref in enumerate(spec.session.policy_arns):
            try:
                session.append(self.managed(account, ref, PolicyType.SESSION))
            except ResolveError as exc:
                raise ResolveError(str(exc), f"session/policy_arns/{i}") from None
        if not session:
            session.append(
                self.compiled(
                    f"{spec.name} no session policy",
                    _NO_SESSION_POLICY,
                    PolicyType.SESSION,
                    "no session policy passed (allows nothing)",
                )
            )
        org_id, org_paths = self._org_of(account.id)
        return _with_org(principal, org_id, org_paths), identity, boundary, session

    def check(self, spec: RequestSpec) -> None:
        """Raise what :meth:`resolve` would raise for ``spec`` (:class:`ResolveError`),
        filling the same caches, without building the request. (The loader has checked the
        request's context.)"""
        self._sides(spec)

    def _sides(self, spec: RequestSpec) -> tuple[_PrincipalSide, _ResourceSide]:
        if spec.session is None and spec.federated is None:
            side = self._principals.get(spec.principal)
            if side is None:
                side = self._principals[spec.principal] = self._principal_side(spec)
        else:
            side = self._principal_side(spec)
        resource_key = (spec.resource, side[0].account)
        found = self._resources.get(resource_key)
        if found is None:
            found = self._resource_side(spec.resource, side[0])
            if len(self._resources) >= _RESOURCES_KEPT:  # many distinct objects: keep the latest
                del self._resources[next(iter(self._resources))]
            self._resources[resource_key] = found
        return side, found

    def _resource_side(self, arn: str, principal: Principal) -> _ResourceSide:
        # The objects of a bucket that a prefix entry (or none) describes all resolve alike:
        # their entry, their bucket's entry (its ACL), the caller's account (the owner when
        # no entry names one), and whether the ARN reads as a role's (the policy's type).
        shared: tuple[object, ...] | None = None
        if arn.startswith("arn:aws:s3:::") and "/" in arn[13:]:
            entry = self.resource_entry(arn)
            if entry is None or entry.arn.endswith("*"):
                shared = (id(entry), arn.split("/", 1)[0], principal.account, ":role/" in arn)
                hit = self._shared.get(shared)
                if hit is not None:
                    return hit
        resource_policy, must_allow, facts, grants = self._resource(arn, principal)
        rcps = self._org_chain(facts.account, "rcps") if facts.account else None
        found = (resource_policy, must_allow, facts, grants, rcps)
        if shared is not None:
            if len(self._shared) >= _RESOURCES_KEPT:
                del self._shared[next(iter(self._shared))]
            self._shared[shared] = found
        return found

    def resolve(self, spec: RequestSpec) -> Resolved:
        side, found = self._sides(spec)
        request = Request(
            principal=side[0],
            action=spec.action,
            resource=spec.resource,
            resource_facts=found[2],
            context=spec.context,
        )
        kept = self._inputs.get((id(side), id(found)))
        if kept is not None:
            return Resolved(kept[0], request)
        inputs = _policy_inputs(side, found)
        if spec.session is None and spec.federated is None:  # a side kept in _principals
            if len(self._inputs) >= _RESOURCES_KEPT:
                del self._inputs[next(iter(self._inputs))]
            self._inputs[(id(side), id(found))] = (inputs, side, found)
        return Resolved(inputs, request)

    def _principal_side(self, spec: RequestSpec) -> _PrincipalSide:
        """The caller of ``spec`` and its policies: everything about a request that depends
        on its principal (and session) alone."""
        identity: list[CompiledPolicy] = []
        boundary: CompiledPolicy | None = None
        session: list[CompiledPolicy] = []
        if spec.session is not None and spec.session.user is not None:
            principal, identity, boundary, session = self._federated_user(spec, spec.session.user)
        elif spec.session is not None or (spec.principal.startswith("arn:") and ":role/" in spec.principal):
            role_arn = spec.session.role if spec.session is not None and spec.session.role else spec.principal
            account, role = self._role(role_arn, "session/role" if spec.session is not None else "principal")
            tags = dict(role.tags)
            session_name = "session"
            if spec.session is not None:
                tags.update(spec.session.tags)
                session_name = spec.session.name
                if spec.session.policy is not None:
                    session.append(
                        self.compiled(
                            f"{spec.name} session policy",
                            spec.session.policy,
                            PolicyType.SESSION,
                            INLINE_SESSION_POLICY,
                        )
                    )
                for i, ref in enumerate(spec.session.policy_arns):
                    try:
                        session.append(self.managed(account, ref, PolicyType.SESSION))
                    except ResolveError as exc:
                        raise ResolveError(str(exc), f"session/policy_arns/{i}") from None
            org_id, org_paths = self._org_of(account.id)
            principal = session_principal(
                account.role_arn(role),
                session_name,
                tags=tags,
                role_id=f"AROA{account.id}",
                service_linked=role.service_linked,
            )
            principal = _with_org(principal, org_id, org_paths)
            if spec.session is not None and spec.session.federated is not None:
                login = spec.session.federated
                kept, _trust_only = federation_keys(login.provider, login.claims)
                federation = {k.lower(): tuple(v) for k, v in kept.items()}
                principal = replace(principal, provider=login.provider, federation=federation)
            arn = account.role_arn(role)
            identity += [self.managed(account, ref) for ref in role.policies]
            identity += self._inline(arn, role.inline)
            if role.boundary:
                boundary = self.managed(account, role.boundary, PolicyType.BOUNDARY)
        elif spec.federated is not None:
            login = spec.federated
            kind = PrincipalKind.SAML_USER if is_saml_provider(login.provider) else PrincipalKind.WEB_IDENTITY_USER
            principal = Principal(kind, login.provider, provider=login.provider)
        else:
            try:
                principal = principal_from_arn(spec.principal)
            except ValueError as exc:
                raise ResolveError(str(exc), "principal") from None
            if principal.kind is PrincipalKind.USER:
                account = self._account(principal.account, spec.principal)
                name = spec.principal.rsplit("/", 1)[-1]
                user = account.users.get(name)
                if user is None or account.user_arn(user) != spec.principal:
                    raise ResolveError(f"account {account.id} has no user {spec.principal}", "principal")
                principal = principal_from_arn(
                    spec.principal, tags=user.tags, user_id=f"AIDA{account.id}{name.upper()}"[:21]
                )
                identity, boundary = self._user_policies(account, user, spec.principal)
            elif principal.kind is PrincipalKind.ROOT:
                self._account(principal.account, spec.principal)
            if principal.account is not None:
                org_id, org_paths = self._org_of(principal.account)
                principal = _with_org(principal, org_id, org_paths)

        if principal.account is not None:
            principal = replace(principal, canonical_user=canonical_user_id(principal.account))
        scps = self._org_chain(principal.account, "scps") if principal.account else None
        return principal, tuple(identity), boundary, tuple(session), scps

    def resource_entry(self, arn: str) -> ResourceEntry | None:
        """:meth:`World.resource_entry`, through an index: a dict of exact ARNs, and one dict
        of prefixes per prefix length, longest first (the most specific entry wins; among
        entries of the same ARN, the first)."""
        exact = self._exact
        if exact is None:
            exact = {}
            by_length: dict[int, dict[str, ResourceEntry]] = {}
            for entry in self.world.resources:
                exact.setdefault(entry.arn, entry)
                if entry.arn.endswith("*"):
                    prefix = entry.arn[:-1]
                    by_length.setdefault(len(prefix), {}).setdefault(prefix, entry)
            self._prefixes = sorted(by_length.items(), reverse=True)
            self._exact = exact
        found = exact.get(arn)
        if found is not None:
            return found
        for length, prefixes in self._prefixes:
            if length <= len(arn):
                found = prefixes.get(arn[:length])
                if found is not None:
                    return found
        return None

    def _resource(
        self, arn: str, principal: Principal
    ) -> tuple[CompiledPolicy | None, bool, ResourceFacts, tuple[AclGrant, ...]]:
        entry = self.resource_entry(arn)
        parts = arn.split(":", 5)
        arn_account = parts[4] if len(parts) == 6 and len(parts[4]) == 12 and parts[4].isdigit() else None
        account = (entry.account if entry else None) or arn_account or principal.account
        tags: dict[str, str] = dict(entry.tags) if entry else {}
        policy: CompiledPolicy | None = None
        must_allow = False
        if entry is not None and entry.policy is not None:
            policy_type = PolicyType.TRUST if ":role/" in arn else PolicyType.RESOURCE
            name = arn if not entry.arn.endswith("*") else entry.arn
            policy = self.compiled(name, entry.policy, policy_type, resource_policy_label(entry.arn))
        if (
            len(parts) == 6
            and parts[2] == "iam"
            and parts[5].startswith("role/")
            and arn_account in self.world.accounts
        ):
            role = self.world.accounts[arn_account].roles.get(parts[5].rsplit("/", 1)[-1])
            if role is not None:
                tags = {**role.tags, **tags}
                if policy is None and role.trust is not None:
                    policy = self.compiled(
                        f"{arn} trust policy", role.trust, PolicyType.TRUST, resource_policy_label(arn)
                    )
                must_allow = True
        if len(parts) == 6 and parts[2] == "kms" and parts[5].startswith("key/"):
            must_allow = True
        org_id, org_paths = self._org_of(account)
        facts_key = (account, org_id, org_paths, tuple(sorted(tags.items())))
        facts = self._facts.get(facts_key)
        if facts is None:
            facts = self._facts[facts_key] = ResourceFacts(account, org_id, org_paths, tags)
        return policy, must_allow, facts, self._acl(arn, entry)

    def _acl(self, arn: str, entry: ResourceEntry | None) -> tuple[AclGrant, ...]:
        """The object's own ACL, plus the bucket's ACL (a bucket WRITE grant covers putting
        objects)."""
        if not arn.startswith("arn:aws:s3:::"):
            return ()
        level = "object" if "/" in arn[len("arn:aws:s3:::") :] else "bucket"
        grants = [AclGrant(g.grantee, g.permission, level, g.group) for g in entry.acl] if entry else []
        if level == "object":
            bucket_arn = arn.split("/", 1)[0]
            bucket = self.resource_entry(bucket_arn)
            if bucket is not None and bucket is not entry:
                grants += [AclGrant(g.grantee, g.permission, "bucket", g.group) for g in bucket.acl]
        return tuple(grants)


def _policy_inputs(side: _PrincipalSide, found: _ResourceSide) -> PolicyInputs:
    _, identity, boundary, session, scps = side
    resource_policy, must_allow, _, grants, rcps = found
    return PolicyInputs(
        identity=identity,
        boundary=boundary,
        session=session,
        scps=scps,
        rcps=rcps,
        resource=resource_policy,
        resource_must_allow=must_allow,
        acl_grants=grants,
    )


INLINE_SESSION_POLICY = "inline session policy"
"""AWS's name for the ``Policy`` parameter of ``AssumeRole`` and ``GetFederationToken``
(``API_AssumeRole``: "an inline session policy"); ``PolicyArns`` are managed session policies."""

_MANAGED_LABELS = {
    PolicyType.IDENTITY: "managed policy",
    PolicyType.BOUNDARY: "permissions boundary",
    PolicyType.SESSION: "managed session policy",
}


def managed_label(arn: str, policy_type: PolicyType) -> str:
    """``managed policy ARN``, ``permissions boundary ARN`` or ``managed session policy ARN``."""
    return f"{_MANAGED_LABELS.get(policy_type, 'managed policy')} {arn}"


def resource_policy_label(arn: str) -> str:
    """A resource-based policy named as its service names it, after the resource it is on:
    ``bucket policy of BUCKET`` (also when the scenario attaches it to ``BUCKET/*``),
    ``function policy of FUNCTION`` (``FUNCTION:QUALIFIER`` for a version or alias),
    ``trust policy of ROLE``, ``key policy of KEY``; otherwise ``resource policy of ARN``.
    A name with a wildcard is shown as the ARN pattern it came from."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return f"resource policy of {arn}"
    service, resource = parts[2], parts[5]
    if service == "s3":
        bucket = resource.split("/", 1)[0]
        return f"bucket policy of {bucket if bucket and not _wild(bucket) else arn}"
    if service == "lambda" and resource.startswith("function:"):
        function = resource.removeprefix("function:")
        return f"function policy of {function if function and not _wild(function) else arn}"
    if service == "iam" and resource.startswith("role/"):
        role = resource.rsplit("/", 1)[-1]
        return f"trust policy of {role if role and not _wild(role) else arn}"
    if service == "kms" and resource.startswith("key/"):
        key = resource.removeprefix("key/")
        return f"key policy of {key if key and not _wild(key) else arn}"
    return f"resource policy of {arn}"


def _wild(name: str) -> bool:
    return "*" in name or "?" in name


def _with_org(principal: Principal, org_id: str | None, paths: tuple[str, ...]) -> Principal:
    if org_id is None:
        return principal
    return replace(principal, organization_id=org_id, organization_paths=paths)
