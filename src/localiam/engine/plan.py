"""Per-action evaluation plans: for one set of policies and one action, the statements that
can apply, flattened in AWS's evaluation order.

Which statements can apply to a request depends only on the Action element, so for a given
tuple of compiled policies and a given action the lists below never change. They are cached
keyed by the policy objects themselves (identity hashing, and the cache keeps them alive, so a
key can never be confused with another set of policies) and the lower-cased action.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from localiam.engine.compiled import CompiledPolicy, OrganizationPolicies
from localiam.policy.match import RequestFacts
from localiam.policy.model import PolicyType

Check = Callable[[RequestFacts], bool]
Entry = tuple[Check, CompiledPolicy, int]


@dataclass(frozen=True, slots=True)
class Plan:
    """What one action needs from one request's policies, in evaluation order."""

    denies: tuple[tuple[PolicyType, Entry], ...]
    scp_levels: tuple[tuple[Entry, ...], ...]
    resource_allows: tuple[Entry, ...]
    identity_allows: tuple[Entry, ...]
    boundary_allows: tuple[Entry, ...]
    session_allows: tuple[Entry, ...]


def _entries(policies: tuple[CompiledPolicy, ...], action: str, key: str, deny: bool) -> tuple[Entry, ...]:
    out: list[Entry] = []
    for policy in policies:
        denies, allows = policy.candidates(action, key)
        checks = policy.checks
        out.extend((checks[i], policy, i) for i in (denies if deny else allows))
    return tuple(out)


PlanKey = tuple[object, ...]


class PlanCache:
    """A bounded cache of plans; the oldest entry goes first when it is full."""

    def __init__(self, size: int = 20_000) -> None:
        self._plans: OrderedDict[PlanKey, Plan] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

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
        plan = Plan(
            denies=tuple(denies),
            scp_levels=tuple(_entries(level, action, key, False) for level in scp_levels),
            resource_allows=_entries(resource, action, key, False),
            identity_allows=_entries(identity, action, key, False),
            boundary_allows=_entries(boundary, action, key, False),
            session_allows=_entries(session, action, key, False),
        )
        with self._lock:
            self._plans[cache_key] = plan
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)
        return plan


PLANS = PlanCache()
