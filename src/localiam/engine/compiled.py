"""Policies compiled once for fast evaluation.

A :class:`CompiledPolicy` remembers, per action, which of its statements can apply (the Action
and NotAction elements do not depend on anything but the action, so the answer is exact and
safe to cache). A request then looks only at those statements, checks their resource and
principal, and evaluates their conditions.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from localiam.policy.match import (
    ALWAYS,
    NEVER,
    PlainPatterns,
    RequestFacts,
    action_matches,
    action_mismatch,
    action_resource_match,
    compile_resource,
    compile_statement,
    plain_patterns,
    plain_resource_patterns,
    resources_any,
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
    """Statements in evaluation order, ready for a scan that stops at the first one that
    applies.

    ``entries`` holds them all (a tracer sees every one). The engine scans ``scan`` instead:
    the same statements without the ones whose shape an earlier statement has already
    (:func:`~localiam.policy.match.statement_shape`: same answer, so a later one can never be
    the first to apply). Statements with nothing but a plain Resource block are usually most
    of a group and rarely apply: ``on_resource`` tells in one call whether the resource
    matches any of them; when it does not, ``conditional`` (``scan`` without them) is
    scanned. ``on_resource`` is ``None`` when the group has none. ``patterns``: the compiled
    patterns ``on_resource`` checks, one per policy (:attr:`Piece.patterns`), so that groups
    are joined without compiling anything."""

    entries: tuple[Entry, ...]
    scan: tuple[Entry, ...]
    conditional: tuple[Entry, ...]
    on_resource: Callable[[str], bool] | None
    patterns: tuple[PlainPatterns, ...] = ()


EMPTY = Group((), (), (), None)


def compose(pieces: Sequence[Piece]) -> Group:
    """One group from policies' pieces, in order: no statement is compiled again (a single
    policy's group is its piece's own)."""
    nonempty = [piece for piece in pieces if piece.entries]
    if not nonempty:
        return EMPTY
    if len(nonempty) == 1:
        return nonempty[0].group
    return _compose(nonempty)


def _compose(pieces: Sequence[Piece]) -> Group:
    entries: list[Entry] = []
    scan: list[Entry] = []
    conditional: list[Entry] = []
    patterns: list[PlainPatterns] = []
    seen: set[int] = set()
    for piece in pieces:
        entries.extend(piece.entries)
        if piece.patterns is not None:
            patterns.append(piece.patterns)
        shared = seen.intersection(piece.shapes)
        if not shared:
            # Nothing in common with the policies before it: its own group, as it is.
            scan.extend(piece.group.scan)
            conditional.extend(piece.group.conditional)
        else:
            kept = [triple for triple in piece.unique if triple[0] not in shared]
            scan.extend([entry for _, entry, _ in kept])
            conditional.extend([entry for _, entry, is_conditional in kept if is_conditional])
        seen.update(piece.shapes)
        if piece.final:
            break  # nothing after a statement that always applies is ever reached
    if not entries:
        return EMPTY
    if not patterns:
        return Group(tuple(entries), tuple(scan), tuple(scan), None)
    return Group(tuple(entries), tuple(scan), tuple(conditional), resources_any(patterns), tuple(patterns))


class Piece(NamedTuple):
    """What one policy gives a plan for one action and one effect, compiled once: the
    statements whose Action element matches, in order (``entries``), and for the fast scan
    ``scan``: ``(shape id, entry, conditional)`` for each that can apply (a statement whose
    condition can never hold is left out, and nothing after one that always applies is
    reached), where ``conditional`` is false for a statement with nothing to check but a
    plain Resource block (:func:`~localiam.policy.match.plain_resource_patterns`), whose
    patterns ``patterns`` holds, compiled (``None`` when there are none). Statements of the
    same shape (:func:`~localiam.policy.match.statement_shape`) have the same shape id,
    in every policy: a plan keeps the first."""

    entries: tuple[Entry, ...]
    scan: tuple[tuple[int, Entry, bool], ...]
    patterns: PlainPatterns | None
    group: Group = EMPTY
    """The policy's statements alone, as a :class:`Group`."""
    unique: tuple[tuple[int, Entry, bool], ...] = ()
    """``scan`` without the statements whose shape an earlier one of it has."""
    shapes: frozenset[int] = frozenset()
    """The shape ids of ``scan``."""
    final: bool = False
    """Whether ``scan`` ends with a statement that always applies."""


_shape_ids: dict[object, int] = {}
_next_shape_id = itertools.count()
_shape_lock = threading.Lock()


def shape_id(shape: object) -> int:
    """A number for a statement shape, the same for equal shapes while the table holds them
    (it is emptied when large; a shape met again then gets a new number, which only costs a
    plan a skipped duplicate: numbers are never reused, so two different shapes never share
    one)."""
    found = _shape_ids.get(shape)
    if found is None:
        with _shape_lock:
            if len(_shape_ids) >= 200_000:
                _shape_ids.clear()
            found = _shape_ids.setdefault(shape, next(_next_shape_id))
    return found


class CompiledPolicy:
    """A parsed policy with a per-action index of its statements, split by effect, and each
    statement compiled to one check (:func:`localiam.policy.match.compile_statement`)."""

    __slots__ = (
        "_by_action",
        "_explain_by_action",
        "_explained",
        "_pieces",
        "_shapes",
        "checks",
        "fixed_matches",
        "label",
        "match_keys",
        "mismatches",
        "name",
        "policy",
        "policy_type",
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
        self.checks = tuple(compile_statement(s) for s in policy.statements)
        self.resource_checks = tuple(compile_resource(s.resources) for s in policy.statements)
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
        self._pieces: dict[str, tuple[Piece, Piece]] = {}
        self._shapes: tuple[tuple[int, bool], ...] | None = None

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

    def pieces(self, action: str, key: str) -> tuple[Piece, Piece]:
        """The Deny and the Allow :class:`Piece` of this policy for ``action`` (``key``: its
        lower-cased form), made on first use and kept with the policy: a new version of a
        policy is a new :class:`CompiledPolicy`, with pieces of its own."""
        hit = self._pieces.get(key)
        if hit is None:
            denies, allows = self.candidates(action, key)
            hit = (self._piece(denies), self._piece(allows))
            if len(self._pieces) < 4096:
                self._pieces[key] = hit
        return hit

    def _piece(self, indexes: tuple[int, ...]) -> Piece:
        shapes = self._shapes
        statements = self.policy.statements
        if shapes is None:
            variables = self.policy.variables_enabled
            shapes = self._shapes = tuple(
                (shape_id(statement_shape(s, variables)), plain_resource_patterns(s) is not None) for s in statements
            )
        checks = self.checks
        entries = tuple((checks[i], self, i) for i in indexes)
        scan: list[tuple[int, Entry, bool]] = []
        plain: list[Statement] = []
        for entry in entries:
            check, _, i = entry
            if check is NEVER:
                continue
            shape, is_plain = shapes[i]
            if check is ALWAYS:
                scan.append((shape, entry, True))
                break  # nothing after it is ever reached
            scan.append((shape, entry, not is_plain))
            if is_plain:
                plain.append(statements[i])
        unique: dict[int, tuple[int, Entry, bool]] = {}
        for triple in scan:
            unique.setdefault(triple[0], triple)
        kept = tuple(unique.values())
        group = (
            Group(entries, tuple(e for _, e, _ in kept), tuple(e for _, e, c in kept if c), None) if entries else EMPTY
        )
        if plain:
            patterns = plain_patterns(plain)
            group = group._replace(on_resource=resources_any([patterns]), patterns=(patterns,))
        else:
            patterns = None
            group = group._replace(conditional=group.scan)
        return Piece(
            entries,
            tuple(scan),
            patterns,
            group,
            kept,
            frozenset(unique),
            bool(scan) and scan[-1][1][0] is ALWAYS,
        )

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

    def __post_init__(self) -> None:
        object.__setattr__(self, "flat", tuple(p for level in self.levels for p in level))


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
