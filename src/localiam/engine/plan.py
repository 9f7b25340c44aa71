"""Per-action evaluation plans: for one set of policies and one action, the statements that
can apply, flattened in AWS's evaluation order.

Which statements can apply to a request depends only on the Action element, so for a given
tuple of compiled policies and a given action the lists below never change. They are cached
keyed by the policy objects themselves (identity hashing, and the cache keeps them alive, so a
key can never be confused with another set of policies) and the lower-cased action.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from localiam.engine.compiled import CompiledPolicy, OrganizationPolicies, StatementRef
from localiam.policy.match import (
    ALWAYS,
    NEVER,
    RequestFacts,
    compile_resources_any,
    plain_resource_patterns,
    statement_shape,
)
from localiam.policy.model import PolicyType, Statement

Check = Callable[[RequestFacts], bool]
Entry = tuple[Check, CompiledPolicy, int]


class Group(NamedTuple):
    """Statements in evaluation order, ready for a scan that stops at the first one that
    applies.

    ``entries`` holds them all (a tracer sees every one). The engine scans ``scan`` instead:
    the same statements without the ones whose shape an earlier statement has already
    (:func:`statement_shape`: same answer, so a later one can never be the first to apply).
    Statements with nothing but a plain Resource block are usually most of a group and rarely
    apply: ``on_resource`` tells in one call whether the resource matches any of them; when it
    does not, ``conditional`` (``scan`` without them) is scanned. ``on_resource`` is ``None``
    when the group has none."""

    entries: tuple[Entry, ...]
    scan: tuple[Entry, ...]
    conditional: tuple[Entry, ...]
    on_resource: Callable[[str], bool] | None


def _group(entries: tuple[Entry, ...]) -> Group:
    scan: list[Entry] = []
    conditional: list[Entry] = []
    plain: list[Statement] = []
    seen: set[object] = set()
    for entry in entries:
        check, policy, i = entry
        statement = policy.policy.statements[i]
        shape = statement_shape(statement, policy.policy.variables_enabled)
        if shape in seen:
            continue
        seen.add(shape)
        if check is NEVER:
            continue
        scan.append(entry)
        if check is ALWAYS:
            conditional.append(entry)
            break  # nothing after it is ever reached
        if plain_resource_patterns(statement) is not None:
            plain.append(statement)
        else:
            conditional.append(entry)
    if not plain:
        return Group(entries, tuple(scan), tuple(scan), None)
    return Group(entries, tuple(scan), tuple(conditional), compile_resources_any(plain))


@dataclass(frozen=True, slots=True)
class Plan:
    """What one action needs from one request's policies, in evaluation order."""

    denies: tuple[tuple[PolicyType, Entry], ...]
    deny_group: Group
    """The Deny statements of ``denies``, grouped for a fast scan (each entry's policy type
    is its first position's in ``denies``, by ``id`` of the policy: :attr:`deny_types`; a
    policy attached twice, say as an identity policy and as the boundary, is reported where
    AWS meets it first, and the group keeps that first entry)."""
    deny_types: dict[int, PolicyType]
    scp_levels: tuple[Group, ...]
    scp_allowed: tuple[StatementRef, ...] | None
    """When every SCP level's first statement allows the action everywhere, unconditionally
    (FullAWSAccess), the statements that allow: no check to run."""
    resource_allows: Group
    identity_allows: Group
    boundary_allows: Group
    session_allows: Group


def _entries(policies: tuple[CompiledPolicy, ...], action: str, key: str, deny: bool) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for policy in policies:
        denies, allows = policy.candidates(action, key)
        checks = policy.checks
        out.extend((checks[i], policy, i) for i in (denies if deny else allows))
    return tuple(out)


def _allows(policies: tuple[CompiledPolicy, ...], action: str, key: str) -> Group:
    return _group(_entries(policies, action, key, False))


PlanKey = tuple[object, ...]


class PlanCache:
    """A bounded cache of plans; the oldest entry goes first when it is full."""

    def __init__(self, size: int = 20_000) -> None:
        self._plans: dict[PlanKey, Plan] = {}
        self._size = size
        self._lock = threading.Lock()
        self.cached = self._plans.get
        """The plan :meth:`get` made for the key ``(key, rcps, scps, resource, identity,
        boundary, session)`` (its arguments but ``action`` and ``resource_type``), or ``None``."""

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
        scp_levels = scps.levels if scps is not None else ()
        denies: list[tuple[PolicyType, Entry]] = []
        for policy_type, policies in (
            (PolicyType.RCP, rcps.flat if rcps is not None else ()),
            (PolicyType.SCP, scps.flat if scps is not None else ()),
            (resource_type, resource),
            (PolicyType.IDENTITY, identity),
            (PolicyType.BOUNDARY, boundary),
            (PolicyType.SESSION, session),
        ):
            denies.extend((policy_type, entry) for entry in _entries(policies, action, key, True))
        deny_types: dict[int, PolicyType] = {}
        for policy_type, (_, policy, _) in denies:
            deny_types.setdefault(id(policy), policy_type)
        levels = tuple(_allows(level, action, key) for level in scp_levels)
        firsts = [group.scan[0] if group.scan else None for group in levels]
        plan = Plan(
            denies=tuple(denies),
            deny_group=_group(tuple(entry for _, entry in denies)),
            deny_types=deny_types,
            scp_levels=levels,
            scp_allowed=(
                tuple(policy.refs[i] for _, policy, i in firsts)  # type: ignore[misc]
                if all(first is not None and first[0] is ALWAYS for first in firsts)
                else None
            ),
            resource_allows=_allows(resource, action, key),
            identity_allows=_allows(identity, action, key),
            boundary_allows=_allows(boundary, action, key),
            session_allows=_allows(session, action, key),
        )
        with self._lock:
            self._plans[cache_key] = plan
            if len(self._plans) > self._size:
                del self._plans[next(iter(self._plans))]
        return plan


PLANS = PlanCache()
