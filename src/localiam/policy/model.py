"""The typed model of an IAM policy document.

Everything past the parser is one of these frozen objects; no raw dicts. Single values and
lists are normalised to tuples, and the ``Not*`` forms are folded into a ``negated`` flag.

AWS reference: IAM User Guide, ``reference_policies_elements`` (JSON element reference) and
``reference_policies_grammar``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from localiam.policy.conditions import CompiledCondition
    from localiam.policy.wildcard import Template


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class PolicyType(enum.Enum):
    """The kinds of policy AWS knows; each has its own required and forbidden elements.

    ``reference_policies_evaluation-logic`` lists them; the element rules come from
    ``reference_policies_elements_principal`` (identity policies must not name a principal,
    resource policies must), ``orgs_manage_policies_scps_syntax`` and ``..._rcps_syntax``.
    """

    IDENTITY = "identity"
    RESOURCE = "resource"
    TRUST = "trust"
    BOUNDARY = "boundary"
    SESSION = "session"
    SCP = "scp"
    RCP = "rcp"

    # Members are singletons compared by identity: hash them at C speed (dict keys on the
    # engine's hot path), not through Enum's Python-level __hash__.
    __hash__ = object.__hash__


VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"


@dataclass(frozen=True, slots=True)
class Principals:
    """A ``Principal`` or ``NotPrincipal`` block, normalised.

    ``"Principal": "*"`` and ``{"AWS": "*"}`` both set ``wildcard``. A bare 12-digit account
    id in ``AWS`` is kept as written in ``aws`` and also expanded to
    ``arn:aws:iam::ACCOUNT:root`` in ``aws_arns`` (``reference_policies_elements_principal``:
    "you can specify the account ID or the account ARN ... they are equivalent").
    """

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()

    @property
    def aws_arns(self) -> tuple[str, ...]:
        return tuple(_account_to_root(v) for v in self.aws)


def _account_to_root(value: str) -> str:
    if len(value) == 12 and value.isdigit():
        return f"arn:aws:iam::{value}:root"
    return value


@dataclass(frozen=True, slots=True)
class ActionBlock:
    """``Action`` or ``NotAction`` (``negated``): action patterns like ``s3:Get*`` or ``*``."""

    patterns: tuple[str, ...]
    negated: bool = False
    single: bool = False
    """Written as one string rather than an array (locations then have no index)."""

    def location(self, statement_location: str, i: int) -> str:
        element = "NotAction" if self.negated else "Action"
        return f"{statement_location}/{element}" + ("" if self.single else f"/{i}")


@dataclass(frozen=True, slots=True)
class ResourceBlock:
    """``Resource`` or ``NotResource`` (``negated``); ``templates`` are compiled patterns."""

    patterns: tuple[str, ...]
    negated: bool = False
    templates: tuple[Template, ...] = field(default=(), compare=False, repr=False)
    single: bool = False

    def location(self, statement_location: str, i: int) -> str:
        element = "NotResource" if self.negated else "Resource"
        return f"{statement_location}/{element}" + ("" if self.single else f"/{i}")


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``operator: {key: values}`` entry of a ``Condition`` block.

    ``operator`` is the name as written (``ForAnyValue:StringLikeIfExists``); ``base`` is the
    operator without qualifier and ``IfExists`` (``StringLike``); ``key`` keeps the author's
    spelling, lookups use ``key.lower()`` (condition key names are case-insensitive,
    ``reference_policies_elements_condition``). Values are strings: JSON numbers and
    booleans are converted the way AWS stores them (``true`` → ``"true"``).
    """

    operator: str
    base: str
    qualifier: str | None  # "ForAllValues" | "ForAnyValue" | None
    if_exists: bool
    key: str
    values: tuple[str, ...]
    location: str
    compiled: CompiledCondition | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    actions: ActionBlock
    resources: ResourceBlock | None
    principal: Principals | None
    not_principal: Principals | None
    conditions: tuple[Condition, ...]
    uses_variables: bool = False
    location: str = ""
    """JSON pointer of the statement: ``/Statement/2``, or ``/Statement`` when the
    document's Statement is a single object."""

    @property
    def label(self) -> str:
        """How explanations name the statement: its Sid, else its index."""
        return self.sid if self.sid else f"#{self.index}"

    @property
    def matched_elements(self) -> tuple[str, ...]:
        """The elements the statement has that decide whether it applies, by their names as
        written, in the order of the element reference: ``("Action", "Resource")`` for a
        typical identity statement, ``("Principal", "Action")`` for a trust statement."""
        out = []
        if self.principal is not None:
            out.append("Principal")
        if self.not_principal is not None:
            out.append("NotPrincipal")
        out.append("NotAction" if self.actions.negated else "Action")
        if self.resources is not None:
            out.append("NotResource" if self.resources.negated else "Resource")
        if self.conditions:
            out.append("Condition")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Policy:
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are only substituted under Version 2012-10-17
        (``reference_policies_variables``: "you must set the Version element to 2012-10-17")."""
        return self.version == VERSION_2012


@dataclass(frozen=True, slots=True)
class PartialStatement:
    """What the parser could read of one statement, errors or not.

    The parser builds one for every statement that is a JSON object, so that the rules of the
    policy's type and the lint still check every element they can read: a statement with
    ``"Effect": "Permit"`` still has its Principal and its actions checked, and a policy with
    six problems reports six findings in one run. ``elements`` names the elements written in
    the statement; a value is ``None`` when its element is absent or could not be read (the
    parser reported why). ``statement`` is the finished :class:`Statement`, or ``None`` when
    the statement has an error; only finished statements reach the engine.
    """

    index: int
    location: str
    elements: frozenset[str]
    sid: str | None
    effect: Effect | None
    actions: ActionBlock | None
    resources: ResourceBlock | None
    principal: Principals | None
    not_principal: Principals | None
    conditions: tuple[Condition, ...]
    statement: Statement | None = None

    @classmethod
    def of(cls, statement: Statement) -> PartialStatement:
        """The partial view of a finished statement (every element it has was read)."""
        written = {"Effect", *statement.matched_elements}
        if statement.sid is not None:
            written.add("Sid")
        return cls(
            index=statement.index,
            location=statement.location,
            elements=frozenset(written),
            sid=statement.sid,
            effect=statement.effect,
            actions=statement.actions,
            resources=statement.resources,
            principal=statement.principal,
            not_principal=statement.not_principal,
            conditions=statement.conditions,
            statement=statement,
        )


@dataclass(frozen=True, slots=True)
class PartialPolicy:
    """What the parser could read of a policy document (a JSON object), errors or not: the
    input of the type rules and the lint, which run on documents with errors too."""

    version: str | None
    id: str | None
    statements: tuple[PartialStatement, ...]

    @classmethod
    def of(cls, policy: Policy | PartialPolicy) -> PartialPolicy:
        if isinstance(policy, PartialPolicy):
            return policy
        return cls(policy.version, policy.id, tuple(PartialStatement.of(s) for s in policy.statements))

    @property
    def variables_enabled(self) -> bool:
        return self.version == VERSION_2012

    def complete(self) -> Policy | None:
        """The :class:`Policy`, or ``None`` when some statement has an error."""
        statements = tuple(s.statement for s in self.statements)
        if any(s is None for s in statements):
            return None
        return Policy(self.version, self.id, tuple(s for s in statements if s is not None))
