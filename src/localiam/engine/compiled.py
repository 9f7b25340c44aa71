"""Policies compiled once for fast evaluation.

A :class:`CompiledPolicy` remembers, per action, which of its statements can apply (the Action
and NotAction elements do not depend on anything but the action, so the answer is exact and
safe to cache), indexed by the resource keys their Resource elements can match. A request then
looks only at the statements for its action and its resource's key, checks their resource and
principal, and evaluates their conditions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from localiam.policy.match import (
    ALWAYS,
    NEVER,
    RequestFacts,
    action_matches,
    action_mismatch,
    action_resource_match,
    compile_principal,
    compile_resource,
    compile_statement,
    resource_keys,
    statement_shape,
)
from localiam.policy.model import Effect, Policy, PolicyType, Statement

Check = Callable[[RequestFacts], bool]
Entry = tuple[Check, "CompiledPolicy", int]


def default_label(policy_type: PolicyType, name: str) -> str:
    """How a policy is shown when whoever compiled it gave no label: ``identity policy NAME``."""
    return f"{policy_type.value} policy {name}"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """How a decision names a statement: the policy it sits in and its Sid or index.

    ``policy`` identifies the policy (an ARN, a name); ``label`` says what it is in the words
    a user knows it by ("bucket policy of amzn-s3-demo-bucket", "inline policy Read of user
    alice"), for the text of explanations. The label takes no part in comparisons, and
    :meth:`as_dict` keeps its four keys (the JSON of ``determining_statements``); explain
    mode's evaluations carry the label in JSON."""

    policy_type: PolicyType
    policy: str
    sid: str | None
    index: int
    label: str = field(default="", compare=False)

    @property
    def policy_label(self) -> str:
        return self.label or default_label(self.policy_type, self.policy)

    def as_dict(self) -> dict[str, object]:
        return {
            "policy_type": self.policy_type.value,
            "policy": self.policy,
            "sid": self.sid,
            "index": self.index,
        }

    def __str__(self) -> str:
        statement = self.sid if self.sid else f"statement #{self.index}"
        return f"{self.policy_label} ({statement})"


class Group(NamedTuple):
    """One policy's statements of one effect whose Action element matches one action, in
    order, ready for a scan.

    ``entries`` holds them all (a tracer sees every one). The engine scans only the statements
    whose Resource element can match the request's resource: ``by_key`` maps a
    :func:`~localiam.policy.match.resource_key` to them, and ``other`` is the list for a key
    that is not in ``by_key`` (the statements whose Resource element can match resources of
    any key, :func:`~localiam.policy.match.resource_keys`). Which statements those lists hold
    depends on the scan they are for (:meth:`CompiledPolicy.groups`). ``first``: the first
    statement that can apply (``None`` when no condition of them can ever hold)."""

    entries: tuple[Entry, ...]
    by_key: Mapping[str, tuple[Entry, ...]]
    other: tuple[Entry, ...]
    first: Entry | None


def _indexed(
    entries: Sequence[Entry], keys: Sequence[frozenset[str] | None]
) -> tuple[dict[str, tuple[Entry, ...]], tuple[Entry, ...]]:
    """``entries`` by resource key: for each key some statement names, the entries that can
    match a resource of that key, in order; and those that can match any (``keys[n]`` is
    ``None``), for the other keys."""
    named = sorted({k for ks in keys if ks is not None for k in ks})
    by_key = {k: tuple(e for e, ks in zip(entries, keys, strict=True) if ks is None or k in ks) for k in named}
    return by_key, tuple(e for e, ks in zip(entries, keys, strict=True) if ks is None)


_SHARED_CHECKS: dict[object, Check] = {}


def shared_check(statement: Statement, variables: bool) -> Check:
    """:func:`~localiam.policy.match.compile_statement`, one check for every statement of the
    same shape (:func:`~localiam.policy.match.statement_shape`: the same answer to every
    request), in any policy: a scan for the first statement that applies skips a check it has
    made already. (The table is emptied when large; a shape met again then gets a check of its
    own, which only costs a scan a duplicate.)"""
    shape = statement_shape(statement, variables)
    check = _SHARED_CHECKS.get(shape)
    if check is None:
        if len(_SHARED_CHECKS) >= 100_000:
            _SHARED_CHECKS.clear()
        check = _SHARED_CHECKS.setdefault(shape, compile_statement(statement))
    return check


class CompiledPolicy:
    """A parsed policy with a per-action index of its statements, split by effect, and each
    statement compiled to one check (:func:`localiam.policy.match.compile_statement`)."""

    __slots__ = (
        "_applicable",
        "_by_action",
        "_explain_by_action",
        "_explained",
        "_keys",
        "checks",
        "fixed_matches",
        "groups_made",
        "label",
        "match_keys",
        "mismatches",
        "name",
        "policy",
        "policy_type",
        "principal_kinds",
        "refs",
        "resource_checks",
        "unmatched",
    )

    def __init__(self, name: str, policy: Policy, policy_type: PolicyType, label: str | None = None) -> None:
        self.name = name
        self.label = label or default_label(policy_type, name)
        """What explanations call the policy: "bucket policy of BUCKET", "managed policy ARN"."""
        self.policy = policy
        self.policy_type = policy_type
        self.refs = tuple(StatementRef(policy_type, name, s.sid, s.index, self.label) for s in policy.statements)
        self.checks = tuple(shared_check(s, policy.variables_enabled) for s in policy.statements)
        self.resource_checks = tuple(compile_resource(s.resources) for s in policy.statements)
        # By which kind of identity each statement's Principal element names the caller
        # (resource-based policies: the same-account rules depend on it); None without one.
        self.principal_kinds = tuple(
            compile_principal(s.principal) if s.principal is not None else None for s in policy.statements
        )
        # Explain mode: how a statement whose Action element does not match is explained.
        self.mismatches = tuple(action_mismatch(s) for s in policy.statements)
        # Explain mode: a statement with no Condition, Principal or NotPrincipal element whose
        # Action matches is explained by its Resource element alone: (does not match, matches).
        self.fixed_matches = tuple(
            (action_resource_match(s, False), action_resource_match(s, True))
            if not s.conditions and s.principal is None and s.not_principal is None
            else None
            for s in policy.statements
        )
        # Explain mode: for a statement without Principal or NotPrincipal whose conditions
        # read only their own keys, the keys it reads (its explanation depends on nothing else
        # but its Resource element's answer); None for the others.
        self.match_keys = tuple(
            tuple(c.compiled.lookup for c in s.conditions)  # type: ignore[union-attr]
            if s.principal is None
            and s.not_principal is None
            and all(c.compiled is not None and c.compiled.reads_only_its_key for c in s.conditions)
            else None
            for s in policy.statements
        )
        self.unmatched: object | None = None
        """Explain mode's evaluation of this policy when no statement's Action matches (the
        engine fills it on first use)."""
        self._by_action: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._explain_by_action: dict[str, tuple[tuple[int, ...], bool]] = {}
        self._explained: dict[tuple[object, ...], object] = {}
        self.groups_made: dict[str, tuple[Group | None, Group | None]] = {}
        """What :meth:`groups` has made, by lower-cased action (read-only: the plan maker looks
        here first, one Python call less per policy of every new plan)."""
        self._applicable: dict[str, Group | None] = {}
        self._keys: tuple[frozenset[str] | None, ...] | None = None

    def __repr__(self) -> str:
        return f"CompiledPolicy({self.name!r}, {self.policy_type.value})"

    def candidates(self, action: str, key: str | None = None) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Indexes of the Deny and the Allow statements whose Action element matches
        ``action`` (``key`` is ``action.lower()`` when the caller has it already)."""
        key = action.lower() if key is None else key
        hit = self._by_action.get(key)
        if hit is None:
            deny: list[int] = []
            allow: list[int] = []
            for i, stmt in enumerate(self.policy.statements):
                if action_matches(stmt, action):
                    (deny if stmt.effect is Effect.DENY else allow).append(i)
            hit = (tuple(deny), tuple(allow))
            if len(self._by_action) < 4096:
                self._by_action[key] = hit
        return hit

    def groups(self, action: str, key: str) -> tuple[Group | None, Group | None]:
        """The Deny and the Allow :class:`Group` of this policy for ``action`` (``key``: its
        lower-cased form) for a scan that stops at the first statement that applies: a
        statement whose condition can never hold is left out, nothing after one that always
        applies is kept (it is never reached), nor one whose shape an earlier statement has
        (:func:`~localiam.policy.match.statement_shape`: the same answer, so it is never the
        first to apply). Made on first use and kept with the policy: a new version of a policy
        is a new :class:`CompiledPolicy`, with groups of its own. ``None`` for an effect none
        of whose statements' Action element matches."""
        hit = self.groups_made.get(key)
        if hit is None:
            denies, allows = self.candidates(action, key)
            hit = (self._first_group(denies), self._first_group(allows))
            if len(self.groups_made) < 4096:
                self.groups_made[key] = hit
        return hit

    def applicable(self, action: str, key: str) -> Group | None:
        """The Allow :class:`Group` of this policy for ``action`` for a scan of every
        statement that applies (a resource-based policy's: each one that names the caller
        counts): only the statements whose condition can never hold are left out."""
        applicable = self._applicable
        if key in applicable:
            return applicable[key]
        checks = self.checks
        entries = tuple((checks[i], self, i) for i in self.candidates(action, key)[1])
        hit = self._group(entries, [entry for entry in entries if entry[0] is not NEVER])
        if len(applicable) < 4096:
            applicable[key] = hit
        return hit

    def _first_group(self, indexes: tuple[int, ...]) -> Group | None:
        checks = self.checks
        entries = tuple((checks[i], self, i) for i in indexes)
        seen: set[Check] = set()
        scan: list[Entry] = []
        for entry in entries:
            check = entry[0]
            if check is NEVER or check in seen:
                continue
            seen.add(check)
            scan.append(entry)
            if check is ALWAYS:
                break  # nothing after it is ever reached
        return self._group(entries, scan)

    def _group(self, entries: tuple[Entry, ...], scan: list[Entry]) -> Group | None:
        if not entries:
            return None
        keys = self._keys
        if keys is None:
            keys = self._keys = tuple(resource_keys(s) for s in self.policy.statements)
        by_key, other = _indexed(scan, [keys[i] for _, _, i in scan])
        return Group(entries, by_key, other, scan[0] if scan else None)

    def explain_candidates(self, action: str, key: str) -> tuple[tuple[int, ...], bool]:
        """Explain mode: the indexes of :meth:`candidates` (Deny first), and whether this
        policy's evaluation can be reused for requests with the same answers and condition
        values (every candidate has :attr:`match_keys`)."""
        hit = self._explain_by_action.get(key)
        if hit is None:
            denies, allows = self.candidates(action, key)
            indexes = (*denies, *allows)
            hit = (indexes, all(self.match_keys[i] is not None for i in indexes))
            if len(self._explain_by_action) < 4096:
                self._explain_by_action[key] = hit
        return hit

    def explained(self, memo_key: tuple[object, ...]) -> object | None:
        """Explain mode: this policy's evaluation (and the condition keys it found missing)
        made earlier for the same action, Resource answers and condition values (the engine
        stores it with :meth:`remember`)."""
        return self._explained.get(memo_key)

    def forget_explanations(self) -> None:
        """Drop the evaluations :meth:`explained` keeps (benchmarks time explain mode on
        requests it has not seen)."""
        self._explained.clear()

    def remember(self, memo_key: tuple[object, ...], evaluation: object) -> None:
        if len(self._explained) >= 1024:  # a bound on memory: each holds a whole policy's evaluation
            self._explained.clear()
        self._explained[memo_key] = evaluation

    def statement(self, i: int) -> Statement:
        return self.policy.statements[i]


def compile_policy(name: str, policy: Policy, policy_type: PolicyType, label: str | None = None) -> CompiledPolicy:
    """``name`` identifies the policy in decisions; ``label`` is how explanations show it
    (by default ``"<type> policy <name>"``)."""
    return CompiledPolicy(name, policy, policy_type, label)


@dataclass(frozen=True, slots=True, eq=False)
class OrganizationPolicies:
    """The SCPs or RCPs that bind one account: one tuple of policies per level, from the
    root through each OU to the account itself; every level must allow
    (``orgs_manage_policies_inheritance_auth``). ``management_account`` marks the
    organization's management account, which neither SCPs nor RCPs restrict. Compared by
    identity: the engine caches evaluation plans per object."""

    levels: tuple[tuple[CompiledPolicy, ...], ...]
    management_account: bool = False
    organization_id: str | None = None
    paths: tuple[str, ...] = ()
    flat: tuple[CompiledPolicy, ...] = field(init=False, repr=False, compare=False)
    """Every level's policies in order (for the explicit-deny pass)."""
    denying: tuple[CompiledPolicy, ...] = field(init=False, repr=False, compare=False)
    """The policies of ``flat`` with a Deny statement (RCPs often have none: only
    RCPFullAWSAccess)."""

    allows_everything: tuple[StatementRef, ...] | None = field(init=False, repr=False, compare=False)
    """When the first Allow statement of each level (in the level's first policy that has
    one) allows every action on every resource, unconditionally (FullAWSAccess): those
    statements, each level's first that applies whatever the action; ``None`` otherwise."""

    def __post_init__(self) -> None:
        flat = tuple(p for level in self.levels for p in level)
        object.__setattr__(self, "flat", flat)
        denying = tuple(p for p in flat if any(s.effect is Effect.DENY for s in p.policy.statements))
        object.__setattr__(self, "denying", denying)
        object.__setattr__(self, "allows_everything", _allows_everything(self.levels))


def _allows_everything(levels: tuple[tuple[CompiledPolicy, ...], ...]) -> tuple[StatementRef, ...] | None:
    refs = []
    for level in levels:
        first = next(
            ((p, i) for p in level for i, s in enumerate(p.policy.statements) if s.effect is Effect.ALLOW), None
        )
        if first is None:
            return None
        policy, i = first
        actions = policy.statement(i).actions
        if actions.negated or "*" not in actions.patterns or policy.checks[i] is not ALWAYS:
            return None
        refs.append(policy.refs[i])
    return tuple(refs) if refs else None


# S3 ACL permissions and the actions each grants (``acl-overview``, "Mapping of ACL permissions
# and access policy permissions"). A bucket's WRITE lets the grantee create and delete objects.
ACL_ACTIONS: dict[str, dict[str, frozenset[str]]] = {
    "bucket": {
        "READ": frozenset({"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"}),
        "WRITE": frozenset({"s3:putobject", "s3:deleteobject", "s3:deleteobjectversion"}),
        "READ_ACP": frozenset({"s3:getbucketacl"}),
        "WRITE_ACP": frozenset({"s3:putbucketacl"}),
    },
    "object": {
        "READ": frozenset({"s3:getobject", "s3:getobjectversion", "s3:getobjecttorrent"}),
        "READ_ACP": frozenset({"s3:getobjectacl", "s3:getobjectversionacl"}),
        "WRITE_ACP": frozenset({"s3:putobjectacl", "s3:putobjectversionacl"}),
    },
}
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@dataclass(frozen=True, slots=True)
class AclGrant:
    """One S3 ACL grant: to a canonical user (an account) or a predefined group."""

    grantee: str
    permission: str
    level: str = "bucket"
    group: bool = False

    def grants(self, action: str) -> bool:
        if self.permission == "FULL_CONTROL":
            table = ACL_ACTIONS[self.level]
            return any(action.lower() in actions for actions in table.values())
        return action.lower() in ACL_ACTIONS[self.level].get(self.permission, frozenset())


@dataclass(frozen=True, slots=True)
class PolicyInputs:
    """Every policy that bears on one request, as plain data.

    - ``identity``: the user's policies and those of each of its groups, or the role's;
    - ``boundary``: the user's or role's permissions boundary;
    - ``session``: the session policies (inline and managed ARNs) of a role or federated
      session; empty for long-term credentials;
    - ``scps``: for the principal's account; ``rcps``: for the resource's account;
    - ``resource``: the resource-based policy (bucket policy, trust policy, function policy);
      ``resource_must_allow`` marks policies that must allow by themselves even in the same
      account: role trust policies and KMS key policies;
    - ``acl_grants``: S3 bucket and object ACL grants, which act as resource-side allows for
      the account (canonical user) or group they name;
    - ``resource_grants``: ``False`` when the resource policy may only deny: S3's bucket policy
      over an object another account owns ("If the bucket owner and object owner are
      different, the object owners must use an object ACL to grant permissions",
      ``access-control-auth-workflow-object-operation``), and a public bucket policy under
      RestrictPublicBuckets for callers outside the bucket owner's account;
    - ``owner_account``: the account whose principals need nothing but their own identity side
      (the same-account rule); by default the resource's account, for S3 objects the object
      owner's.
    """

    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] = ()
    scps: OrganizationPolicies | None = None
    rcps: OrganizationPolicies | None = None
    resource: CompiledPolicy | None = None
    resource_must_allow: bool = False
    acl_grants: tuple[AclGrant, ...] = ()
    resource_grants: bool = True
    owner_account: str | None = None
    scoped: tuple[CompiledPolicy, ...] = ()
    """The scope-down policies of a ``GetScopedCredentials`` session: each must also allow,
    whatever else allowed (the session's permissions are "the intersection of the calling
    session's existing permissions and this scope down policy")."""
