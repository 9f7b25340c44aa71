"""Evaluation plans: for one set of policies, one action and one resource key, the statements
that can apply, in AWS's evaluation order.

Which statements can apply to a request depends on the Action element and, for a statement
whose Resource element names its resources, on the resource's key
(:func:`~localiam.policy.match.resource_key`: for S3, the bucket). Each policy keeps, per
action, its statements indexed by resource key (:meth:`CompiledPolicy.groups`, made once per
policy and action), so a plan for a new combination of policies is one lookup per policy:
nothing is compiled or joined. Plans are cached keyed by the policy objects themselves
(identity hashing, and the cache keeps them alive, so a key can never be confused with another
set of policies, and a changed policy, a new object, never meets the groups of its earlier
version), the lower-cased action and the resource key.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

from localiam.engine.compiled import CompiledPolicy, Entry, Group, OrganizationPolicies, StatementRef
from localiam.policy.match import ALWAYS
from localiam.policy.model import PolicyType

Entries = tuple[Entry, ...]
Policies = tuple[CompiledPolicy, ...]


class Plan(NamedTuple):
    """What one action on resources of one key needs from one request's policies, each kind
    of statement in one list, in evaluation order.

    - ``denies``: the Deny statements, with the policy type AWS reports a Deny found there
      as, in AWS's order (RCPs, SCPs, the resource-based policy, identity policies, the
      boundary, session policies), one list per policy;
    - ``scp_allowed``: when every SCP level's first statement that can apply allows the
      action everywhere, unconditionally (FullAWSAccess), those statements: no check to run;
      ``scp_levels``: each level's Allow statements (empty when ``scp_allowed`` decides);
    - the Allow statements of the resource-based policy (every one that can apply: each that
      names the caller counts), identity policies, boundary and session policies (for a scan
      that stops at the first that applies)."""

    denies: tuple[tuple[PolicyType, Entries], ...]
    scp_allowed: tuple[StatementRef, ...] | None
    scp_levels: tuple[Entries, ...]
    resource_allows: Entries
    identity_allows: Entries
    boundary_allows: Entries
    session_allows: Entries


PlanKey = tuple[
    str, str | None, OrganizationPolicies | None, OrganizationPolicies | None, Policies, Policies, Policies, Policies
]
"""What a plan is cached under: the lower-cased action; the resource key, or ``None`` for a
plan of every statement whose Action element matches (a tracer sees every one); the RCPs and
SCPs that apply (or ``None``); the resource-based policy, identity policies, boundary and
session policies."""

# Bound once: reading an enum member from its class costs about 0.15 µs on Python 3.11.
_RCP, _SCP, _IDENTITY, _BOUNDARY, _SESSION = (
    PolicyType.RCP,
    PolicyType.SCP,
    PolicyType.IDENTITY,
    PolicyType.BOUNDARY,
    PolicyType.SESSION,
)


def _entries(group: Group, target: str | None) -> Entries:
    """The statements of ``group`` a plan for resource key ``target`` scans."""
    return group.entries if target is None else group.by_key.get(target, group.other)


class Organization(NamedTuple):
    """What a plan takes from one account's SCPs or RCPs for one action: their Deny groups
    (each with the policy type they are reported as) and, for SCPs, when every level's first
    statement that can apply allows the action everywhere, unconditionally (FullAWSAccess),
    those statements (``allowed``; ``None`` otherwise)."""

    denies: tuple[tuple[PolicyType, Group], ...]
    allowed: tuple[StatementRef, ...] | None


def organization_part(org: OrganizationPolicies, policy_type: PolicyType, action: str, key: str) -> Organization:
    """The :class:`Organization` of ``org`` (SCPs or RCPs: ``policy_type``) for ``action``
    (RCPs only deny: RCPFullAWSAccess sits on every level)."""
    found = ((policy.groups_made.get(key) or policy.groups(action, key))[0] for policy in org.denying)
    denies = tuple((policy_type, deny) for deny in found if deny is not None)
    if policy_type is not _SCP or org.allows_everything is not None:
        return Organization(denies, org.allows_everything)
    allowed: list[StatementRef] = []
    for level in org.levels:
        first = next((allow.first for allow in _allow_groups(level, action, key) if allow.first is not None), None)
        if first is None or first[0] is not ALWAYS:
            return Organization(denies, None)
        allowed.append(first[1].refs[first[2]])
    return Organization(denies, tuple(allowed) if allowed else None)


def _allow_groups(policies: Policies, action: str, key: str) -> list[Group]:
    """The Allow groups of ``policies`` for ``action``, in order."""
    return [allow for p in policies if (allow := (p.groups_made.get(key) or p.groups(action, key))[1]) is not None]


def _add(
    policy_type: PolicyType,
    policies: Policies,
    action: str,
    key: str,
    target: str | None,
    denies: list[tuple[PolicyType, Entries]],
) -> Entries:
    """The Allow statements of ``policies`` for resource key ``target``; their Deny
    statements are appended to ``denies``."""
    allows: list[Entry] = []
    for policy in policies:
        deny, allow = policy.groups_made.get(key) or policy.groups(action, key)
        # _entries inline: one call less per group, on the path of every new plan.
        if deny is not None:
            entries = deny.entries if target is None else deny.by_key.get(target, deny.other)
            if entries:
                denies.append((policy_type, entries))
        if allow is not None:
            allows += allow.entries if target is None else allow.by_key.get(target, allow.other)
    return tuple(allows)


_NO_ORGANIZATION = Organization((), None)


class PlanCache:
    """A bounded cache of plans, and of what they take from each account's SCPs and RCPs (the
    same for every principal of the account); the oldest entry goes first when one is full.
    No lock: two threads making the same plan at once both make it, and one is kept."""

    def __init__(self, size: int = 20_000) -> None:
        self._plans: dict[PlanKey, Plan] = {}
        self._organizations: dict[tuple[object, ...], Organization] = {}
        self._size = size
        self.cached = self._plans.get
        """The plan :meth:`make` made for a :data:`PlanKey`, or ``None``."""

    def clear(self) -> None:
        """Forget every plan (benchmarks time plans made anew)."""
        self._plans.clear()
        self._organizations.clear()

    def organization(
        self, org: OrganizationPolicies | None, policy_type: PolicyType, action: str, key: str
    ) -> Organization:
        """:func:`organization_part`, kept (an empty one for ``None``)."""
        if org is None:
            return _NO_ORGANIZATION
        cache_key = (org, key)
        part = self._organizations.get(cache_key)
        if part is None:
            part = organization_part(org, policy_type, action, key)
            self._keep(self._organizations, cache_key, part)
        return part

    def get(self, cache_key: PlanKey, action: str, resource_type: PolicyType) -> Plan:
        """The plan for ``cache_key`` (``action``: the action as written; ``resource_type``:
        the type a Deny of the resource-based policy is reported as)."""
        plan = self._plans.get(cache_key)
        return plan if plan is not None else self.make(cache_key, action, resource_type)

    def make(self, cache_key: PlanKey, action: str, resource_type: PolicyType) -> Plan:
        """A new plan for ``cache_key`` (``authorize`` found none with :attr:`cached`), kept:
        each policy's groups are looked up once."""
        key, target, rcps, scps, resource, identity, boundary, session = cache_key
        scp = self.organization(scps, _SCP, action, key)
        denies: list[tuple[PolicyType, Entries]] = []
        rcp = self.organization(rcps, _RCP, action, key) if rcps is not None and rcps.denying else _NO_ORGANIZATION
        for org in (rcp, scp):
            for policy_type, group in org.denies:
                entries = group.entries if target is None else group.by_key.get(target, group.other)
                if entries:
                    denies.append((policy_type, entries))
        resource_allows: Entries = ()
        if resource:
            policy = resource[0]
            deny = policy.groups(action, key)[0]
            if deny is not None and (entries := _entries(deny, target)):
                denies.append((resource_type, entries))
            applicable = policy.applicable(action, key)
            if applicable is not None:
                resource_allows = _entries(applicable, target)
        # In AWS's order: each call appends the policies' Deny statements to ``denies``.
        identity_allows = _add(_IDENTITY, identity, action, key, target, denies)
        boundary_allows = _add(_BOUNDARY, boundary, action, key, target, denies) if boundary else ()
        session_allows = _add(_SESSION, session, action, key, target, denies) if session else ()
        levels: tuple[Entries, ...] = ()
        if scps is not None and (scp.allowed is None or target is None):
            levels = tuple(
                tuple(e for group in _allow_groups(level, action, key) for e in _entries(group, target))
                for level in scps.levels
            )
        # A named tuple's own constructor is a Python function; tuple.__new__ makes the same.
        plan = tuple.__new__(
            Plan,
            (tuple(denies), scp.allowed, levels, resource_allows, identity_allows, boundary_allows, session_allows),
        )
        self._keep(self._plans, cache_key, plan)
        return plan

    def _keep(self, cache: dict[Any, Any], key: object, value: object) -> None:
        cache[key] = value
        if len(cache) > self._size:
            # Another thread may change it meanwhile (then a later call evicts).
            with contextlib.suppress(KeyError, RuntimeError):
                del cache[next(iter(cache))]


PLANS = PlanCache()
