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
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Plan:
    """What one action needs from one request's policies, in evaluation order."""

    deny_parts: tuple[tuple[PolicyType, Group], ...]
    """The Deny statements of each policy type that has some, in AWS's evaluation order (a
    tracer sees every one)."""
    deny_group: Group
    """The Deny statements of ``deny_parts``, joined for a fast scan (each entry's policy type
    is its first position's in ``deny_parts``, by ``id`` of the policy: :attr:`deny_types`; a
    policy attached twice, say as an identity policy and as the boundary, is reported where
    AWS meets it first)."""
    deny_types: dict[int, PolicyType]
    scp_levels: tuple[Group, ...]
    scp_allowed: tuple[StatementRef, ...] | None
    """When every SCP level's first statement allows the action everywhere, unconditionally
    (FullAWSAccess), the statements that allow: no check to run."""
    resource_allows: Group
    identity_allows: Group
    boundary_allows: Group
    session_allows: Group


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
        the organization policies that apply to this request, ``None`` when none do."""
        # The same key as :attr:`cached` takes (authorize builds it inline).
        cache_key: PlanKey = (key, rcps, scps, resource, identity, boundary, session)
        plan = self._plans.get(cache_key)
        if plan is not None:
            return plan
        groups = self.groups
        rcp_denies = groups(rcps.flat, action, key)[0] if rcps is not None else EMPTY
        scp_denies = groups(scps.flat, action, key)[0] if scps is not None else EMPTY
        resource_denies, resource_allows = groups(resource, action, key)
        identity_denies, identity_allows = groups(identity, action, key)
        boundary_denies, boundary_allows = groups(boundary, action, key)
        session_denies, session_allows = groups(session, action, key)
        deny_parts: list[tuple[PolicyType, Group]] = []
        deny_types: dict[int, PolicyType] = {}
        for policy_type, denies, policies in (
            (PolicyType.RCP, rcp_denies, rcps.flat if rcps is not None else ()),
            (PolicyType.SCP, scp_denies, scps.flat if scps is not None else ()),
            (resource_type, resource_denies, resource),
            (PolicyType.IDENTITY, identity_denies, identity),
            (PolicyType.BOUNDARY, boundary_denies, boundary),
            (PolicyType.SESSION, session_denies, session),
        ):
            if denies.entries:
                deny_parts.append((policy_type, denies))
                for policy in policies:
                    deny_types.setdefault(id(policy), policy_type)
        levels = tuple(groups(level, action, key)[1] for level in (scps.levels if scps is not None else ()))
        firsts = [level.scan[0] if level.scan else None for level in levels]
        plan = Plan(
            deny_parts=tuple(deny_parts),
            deny_group=_join([g for _, g in deny_parts]),
            deny_types=deny_types,
            scp_levels=levels,
            scp_allowed=(
                tuple(policy.refs[i] for _, policy, i in firsts)  # type: ignore[misc]
                if all(first is not None and first[0] is ALWAYS for first in firsts)
                else None
            ),
            resource_allows=resource_allows,
            identity_allows=identity_allows,
            boundary_allows=boundary_allows,
            session_allows=session_allows,
        )
        with self._lock:
            self._plans[cache_key] = plan
            if len(self._plans) > self._size:
                del self._plans[next(iter(self._plans))]
        return plan


PLANS = PlanCache()
