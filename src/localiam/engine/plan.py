"""Per-action evaluation plans: for one set of policies and one action, the statements that
can apply, flattened in AWS's evaluation order.

Which statements can apply to a request depends only on the Action element, so for a given
tuple of compiled policies and a given action the lists below never change. They are cached
keyed by the policy objects themselves (identity hashing, and the cache keeps them alive, so a
key can never be confused with another set of policies) and the lower-cased action.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from localiam.engine.compiled import EMPTY, CompiledPolicy, Entry, Group, OrganizationPolicies, StatementRef, compose
from localiam.policy.match import ALWAYS, PlainPatterns, resources_any
from localiam.policy.model import PolicyType


def _join(groups: Sequence[Group]) -> Group:
    """Groups one after the other (the explicit-deny pass over every policy type)."""
    nonempty = [g for g in groups if g.entries]
    if not nonempty:
        return EMPTY
    if len(nonempty) == 1:
        return nonempty[0]
    entries: tuple[Entry, ...] = ()
    scan: tuple[Entry, ...] = ()
    conditional: tuple[Entry, ...] = ()
    patterns: tuple[PlainPatterns, ...] = ()
    for g in nonempty:
        entries += g.entries
        scan += g.scan
        conditional += g.conditional
        patterns += g.patterns
    return Group(entries, scan, conditional, resources_any(patterns) if patterns else None, patterns)


class Plan:
    """What one action needs from one request's policies, in evaluation order.

    - ``deny_parts``: the Deny statements of each policy type that has some, in AWS's
      evaluation order (a tracer sees every one); ``deny_group``: the same joined for a fast
      scan (:meth:`joined_denies`); :meth:`deny_type` tells which type a Deny found there is
      reported as.
    - ``scp_levels``; ``scp_allowed``: when every SCP level's first statement allows the
      action everywhere, unconditionally (FullAWSAccess), the statements that allow: no check
      to run.
    - the Allow groups of the resource-based policy, identity policies, boundary and session
      policies."""

    __slots__ = (
        "boundary_allows",
        "decided",
        "deny_group",
        "deny_owners",
        "deny_parts",
        "identity_allows",
        "resource_allows",
        "scp_allowed",
        "scp_levels",
        "session_allows",
    )

    def __init__(
        self,
        deny_parts: tuple[tuple[PolicyType, Group], ...],
        deny_owners: tuple[tuple[PolicyType, tuple[CompiledPolicy, ...]], ...],
        scp_levels: tuple[Group, ...],
        scp_allowed: tuple[StatementRef, ...] | None,
        resource_allows: Group,
        identity_allows: Group,
        boundary_allows: Group,
        session_allows: Group,
    ) -> None:
        self.deny_parts = deny_parts
        self.deny_group: Group | None = deny_parts[0][1] if len(deny_parts) == 1 else EMPTY if not deny_parts else None
        self.decided = False
        self.deny_owners = deny_owners
        self.scp_levels = scp_levels
        self.scp_allowed = scp_allowed
        self.resource_allows = resource_allows
        self.identity_allows = identity_allows
        self.boundary_allows = boundary_allows
        self.session_allows = session_allows

    def joined_denies(self) -> Group | None:
        """``deny_group``: ``None`` for the first decision of a plan whose Deny statements
        come from several policy types (the engine then scans ``deny_parts`` one by one: a
        plan used once is not worth joining them), joined from the second on."""
        group = self.deny_group
        if group is None:
            if not self.decided:
                self.decided = True
                return None
            group = self.deny_group = _join([part for _, part in self.deny_parts])
        return group

    def deny_type(self, policy: CompiledPolicy) -> PolicyType:
        """The policy type a Deny of ``policy`` found by the fast scan is reported as: the
        first where AWS meets the policy (a policy attached twice, say as an identity policy
        and as the boundary, is reported as an identity policy)."""
        for policy_type, policies in self.deny_owners:
            if policy in policies:
                return policy_type
        raise LookupError(policy)  # pragma: no cover - every entry comes from an owner


class _PrincipalHalf(NamedTuple):
    """What a plan takes from the caller's side: SCPs, identity, boundary, session."""

    scp_denies: Group
    identity_denies: Group
    boundary_denies: Group
    session_denies: Group
    scp_levels: tuple[Group, ...]
    scp_allowed: tuple[StatementRef, ...] | None
    identity_allows: Group
    boundary_allows: Group
    session_allows: Group


class _ResourceHalf(NamedTuple):
    """What a plan takes from the resource's side: RCPs and the resource-based policy."""

    rcp_denies: Group
    resource_denies: Group
    resource_allows: Group


PlanKey = tuple[object, ...]
_NONE = (EMPTY, EMPTY)


class PlanCache:
    """Bounded caches of plans and of the groups they are made of (one group per tuple of
    policies, action and effect, so that a plan for a new combination of policies reuses the
    groups of the parts it shares with plans made before, and a new group is composed from
    the policies' :class:`~localiam.engine.compiled.Piece`); the oldest entry goes first when
    one is full. Keys hold the policy objects themselves (identity hashing; the cache keeps
    them alive, so a key can never be confused with another set of policies, and a changed
    policy, a new object, never meets the groups of its earlier version)."""

    def __init__(self, size: int = 20_000, groups: int = 20_000) -> None:
        self._plans: dict[PlanKey, Plan] = {}
        self._groups: dict[tuple[object, ...], tuple[Group, Group]] = {}
        self._halves: dict[tuple[object, ...], _PrincipalHalf | _ResourceHalf] = {}
        self._size = size
        self._group_size = groups
        self._lock = threading.Lock()
        self.cached = self._plans.get
        """The plan :meth:`get` made for the key ``(key, rcps, scps, resource, identity,
        boundary, session)`` (its arguments but ``action`` and ``resource_type``), or ``None``."""

    def clear(self) -> None:
        """Forget every plan and group (benchmarks time plans made anew)."""
        with self._lock:
            self._plans.clear()
            self._groups.clear()
            self._halves.clear()

    def groups(self, policies: tuple[CompiledPolicy, ...], action: str, key: str) -> tuple[Group, Group]:
        """The Deny and the Allow statements of ``policies`` for ``action``, grouped (a lone
        policy's are its own pieces' groups)."""
        if len(policies) == 1:
            deny, allow = policies[0].pieces(action, key)
            return deny.group, allow.group
        if not policies:
            return _NONE
        group_key = (policies, key)
        pair = self._groups.get(group_key)
        if pair is None:
            pieces = [policy.pieces(action, key) for policy in policies]
            pair = (compose([p[0] for p in pieces]), compose([p[1] for p in pieces]))
            with self._lock:
                self._groups[group_key] = pair
                if len(self._groups) > self._group_size:
                    del self._groups[next(iter(self._groups))]
        return pair

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
        """The plan for ``action`` (``key`` is its lower-cased form); ``rcps`` and ``scps`` are
        the organization policies that apply to this request, ``None`` when none do. A new
        plan joins two halves, each cached: the caller's (SCPs, identity policies, boundary,
        session policies) and the resource's (RCPs, resource-based policy)."""
        # The same key as :attr:`cached` takes (authorize builds it inline).
        cache_key: PlanKey = (key, rcps, scps, resource, identity, boundary, session)
        plan = self._plans.get(cache_key)
        if plan is not None:
            return plan
        caller_key = (key, scps, identity, boundary, session)
        caller = self._halves.get(caller_key)
        if caller is None:
            caller = self._principal_half(action, key, scps, identity, boundary, session)
            self._keep(self._halves, caller_key, caller)
        resource_key = (key, rcps, resource)
        target = self._halves.get(resource_key)
        if target is None:
            rcp_denies = self.groups(rcps.flat, action, key)[0] if rcps is not None else EMPTY
            target = _ResourceHalf(rcp_denies, *self.groups(resource, action, key))
            self._keep(self._halves, resource_key, target)
        assert isinstance(caller, _PrincipalHalf) and isinstance(target, _ResourceHalf)
        deny_parts = tuple(
            (policy_type, group)
            for policy_type, group in (
                (PolicyType.RCP, target.rcp_denies),
                (PolicyType.SCP, caller.scp_denies),
                (resource_type, target.resource_denies),
                (PolicyType.IDENTITY, caller.identity_denies),
                (PolicyType.BOUNDARY, caller.boundary_denies),
                (PolicyType.SESSION, caller.session_denies),
            )
            if group.entries
        )
        plan = Plan(
            deny_parts,
            (
                (PolicyType.RCP, rcps.flat if rcps is not None else ()),
                (PolicyType.SCP, scps.flat if scps is not None else ()),
                (resource_type, resource),
                (PolicyType.IDENTITY, identity),
                (PolicyType.BOUNDARY, boundary),
                (PolicyType.SESSION, session),
            ),
            caller.scp_levels,
            caller.scp_allowed,
            target.resource_allows,
            caller.identity_allows,
            caller.boundary_allows,
            caller.session_allows,
        )
        self._keep(self._plans, cache_key, plan)
        return plan

    def _principal_half(
        self,
        action: str,
        key: str,
        scps: OrganizationPolicies | None,
        identity: tuple[CompiledPolicy, ...],
        boundary: tuple[CompiledPolicy, ...],
        session: tuple[CompiledPolicy, ...],
    ) -> _PrincipalHalf:
        groups = self.groups
        levels = tuple(groups(level, action, key)[1] for level in (scps.levels if scps is not None else ()))
        firsts = [level.scan[0] if level.scan else None for level in levels]
        identity_denies, identity_allows = groups(identity, action, key)
        boundary_denies, boundary_allows = groups(boundary, action, key)
        session_denies, session_allows = groups(session, action, key)
        return _PrincipalHalf(
            groups(scps.flat, action, key)[0] if scps is not None else EMPTY,
            identity_denies,
            boundary_denies,
            session_denies,
            levels,
            (
                tuple(policy.refs[i] for _, policy, i in firsts)  # type: ignore[misc]
                if all(first is not None and first[0] is ALWAYS for first in firsts)
                else None
            ),
            identity_allows,
            boundary_allows,
            session_allows,
        )

    def _keep(self, cache: dict[Any, Any], key: object, value: object) -> None:
        with self._lock:
            cache[key] = value
            if len(cache) > self._size:
                del cache[next(iter(cache))]


PLANS = PlanCache()
