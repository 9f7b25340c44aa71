"""Per-action evaluation plans: for one set of policies and one action, the statements that
can apply, in AWS's evaluation order.

Which statements can apply to a request depends only on the Action element, so for a given
tuple of compiled policies and a given action the lists below never change. A plan is made of
the policies' own :class:`~localiam.engine.compiled.Piece` (each compiled once per policy and
action), one part per policy: making a plan for a new combination of policies compiles and
joins nothing. Plans are cached keyed by the policy objects themselves (identity hashing, and
the cache keeps them alive, so a key can never be confused with another set of policies, and a
changed policy, a new object, never meets the pieces of its earlier version) and the
lower-cased action.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

from localiam.engine.compiled import CompiledPolicy, Entry, Group, OrganizationPolicies, StatementRef
from localiam.policy.match import ALWAYS
from localiam.policy.model import PolicyType

Parts = tuple[Group, ...]
"""Groups scanned one after the other: a plan's statements of one kind, one group per policy
that has some (a statement of a policy's group is never the first to apply when one of the
same shape in an earlier group did not, so no shape needs to be skipped across groups)."""


class Plan(NamedTuple):
    """What one action needs from one request's policies, in evaluation order.

    - ``deny_parts``: the Deny statements of each policy that has some, with the policy type
      AWS reports a Deny found there as, in AWS's evaluation order (RCPs, SCPs, the
      resource-based policy, identity policies, the boundary, session policies);
    - ``scp_levels``: each level's Allow statements; ``scp_allowed``: when every SCP level's
      first statement allows the action everywhere, unconditionally (FullAWSAccess), the
      statements that allow: no check to run;
    - the Allow statements of the resource-based policy, identity policies, boundary and
      session policies."""

    deny_parts: tuple[tuple[PolicyType, Group], ...]
    scp_levels: tuple[Parts, ...]
    scp_allowed: tuple[StatementRef, ...] | None
    resource_allows: Parts
    identity_allows: Parts
    boundary_allows: Parts
    session_allows: Parts


Policies = tuple[CompiledPolicy, ...]
PlanKey = tuple[str, OrganizationPolicies | None, OrganizationPolicies | None, Policies, Policies, Policies, Policies]
"""What a plan is cached under: the lower-cased action, the RCPs and SCPs that apply (or
``None``), the resource-based policy, identity policies, boundary and session policies."""
# Bound once: reading an enum member from its class costs about 0.15 µs on Python 3.11.
_RCP, _SCP, _IDENTITY, _BOUNDARY, _SESSION = (
    PolicyType.RCP,
    PolicyType.SCP,
    PolicyType.IDENTITY,
    PolicyType.BOUNDARY,
    PolicyType.SESSION,
)


class Organization(NamedTuple):
    """What a plan takes from one account's SCPs or RCPs for one action: their Deny groups
    (each with the policy type they are reported as), each level's Allow groups and, when
    every level's first statement that can apply allows the action everywhere,
    unconditionally (FullAWSAccess), those statements (``allowed``; ``None`` otherwise)."""

    denies: tuple[tuple[PolicyType, Group], ...]
    levels: tuple[Parts, ...]
    allowed: tuple[StatementRef, ...] | None


def organization_part(org: OrganizationPolicies, policy_type: PolicyType, action: str, key: str) -> Organization:
    """The :class:`Organization` of ``org`` (SCPs or RCPs: ``policy_type``) for ``action``."""
    denies: list[tuple[PolicyType, Group]] = []
    levels: list[Parts] = []
    allowed: list[StatementRef] | None = []
    for level in org.levels:
        parts: list[Group] = []
        first: Entry | None = None
        for policy in level:
            deny, allow = policy.groups(action, key)
            if deny is not None:
                denies.append((policy_type, deny))
            if allow is not None:
                parts.append(allow)
                if first is None:
                    first = allow.first
        levels.append(tuple(parts))
        if allowed is not None:
            if first is None or first[0] is not ALWAYS:
                allowed = None
            else:
                allowed.append(first[1].refs[first[2]])
    return Organization(tuple(denies), tuple(levels), tuple(allowed) if allowed is not None and levels else None)


def _add(
    policy_type: PolicyType,
    policies: tuple[CompiledPolicy, ...],
    action: str,
    key: str,
    denies: list[tuple[PolicyType, Group]],
) -> Parts:
    """The Allow groups of ``policies``; their Deny groups are appended to ``denies``."""
    allows: list[Group] = []
    for policy in policies:
        deny, allow = policy.groups(action, key)
        if deny is not None:
            denies.append((policy_type, deny))
        if allow is not None:
            allows.append(allow)
    return tuple(allows)


_NO_ORGANIZATION = Organization((), (), None)


class PlanCache:
    """A bounded cache of plans, and of what they take from each account's SCPs and RCPs (the
    same for every principal of the account); the oldest entry goes first when one is full.
    No lock: two threads making the same plan at once both make it, and one is kept."""

    def __init__(self, size: int = 20_000) -> None:
        self._plans: dict[PlanKey, Plan] = {}
        self._organizations: dict[tuple[object, ...], Organization] = {}
        self._size = size
        self.cached = self._plans.get
        """The plan :meth:`get` made for the key ``(key, rcps, scps, resource, identity,
        boundary, session)`` (its arguments but ``action`` and ``resource_type``), or ``None``."""

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

    def get(
        self,
        action: str,
        key: str,
        rcps: OrganizationPolicies | None,
        scps: OrganizationPolicies | None,
        resource: tuple[CompiledPolicy, ...],
        resource_type: PolicyType,
        identity: tuple[CompiledPolicy, ...],
        boundary: tuple[CompiledPolicy, ...],
        session: tuple[CompiledPolicy, ...],
    ) -> Plan:
        """The plan for ``action`` (``key`` is its lower-cased form) over these policies:
        ``rcps`` and ``scps`` are the organization policies that apply to the request,
        ``None`` when none do."""
        cache_key: PlanKey = (key, rcps, scps, resource, identity, boundary, session)
        plan = self._plans.get(cache_key)
        return plan if plan is not None else self.make(cache_key, action, resource_type)

    def make(self, cache_key: PlanKey, action: str, resource_type: PolicyType) -> Plan:
        """A new plan for the key :meth:`get` builds (``authorize`` builds it inline, has
        found no plan under it with :attr:`cached`, and calls this): each policy's groups are
        looked up once (made once per policy and action: nothing is compiled or joined for a
        new combination of policies)."""
        key, rcps, scps, resource, identity, boundary, session = cache_key
        scp = self.organization(scps, _SCP, action, key)
        denies = [*self.organization(rcps, _RCP, action, key).denies, *scp.denies]
        resource_allows: Parts = ()
        for policy in resource:
            deny = policy.groups(action, key)[0]
            if deny is not None:
                denies.append((resource_type, deny))
            applicable = policy.applicable(action, key)
            if applicable is not None:
                resource_allows = (applicable,)
        # In AWS's order: each call appends the policies' Deny groups to ``denies``.
        identity_allows = _add(_IDENTITY, identity, action, key, denies)
        boundary_allows = _add(_BOUNDARY, boundary, action, key, denies) if boundary else ()
        session_allows = _add(_SESSION, session, action, key, denies) if session else ()
        # A named tuple's own constructor is a Python function; tuple.__new__ makes the same.
        plan = tuple.__new__(
            Plan,
            (
                tuple(denies),
                scp.levels,
                scp.allowed,
                resource_allows,
                identity_allows,
                boundary_allows,
                session_allows,
            ),
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
