"""Amazon Resource Names, and the two ways a policy matches them.

An ARN is ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; region and account may be empty
(S3, IAM) and the resource part may itself hold colons (``log-group:name:log-stream:s``).
IAM User Guide, ``reference-arns``.

AWS compares ARNs in two different ways, and they disagree about colons:

* The ``Resource`` / ``NotResource`` element (``reference_policies_elements_resource``,
  "Using wildcards in resource ARNs"): "You can use wildcard characters (* and ?) within the
  individual segments of an ARN (the parts separated by colons)"; "If the * wildcard is the
  last character of a resource ARN segment, it can expand to match beyond the colon
  boundaries", so ``arn:aws:iam::*`` covers every IAM ARN and ``"Resource": "*"`` covers
  everything, while a ``?`` or a mid-segment ``*`` stays inside its segment. The page does not
  spell out the last point; it is what its wording implies (an earlier version of this module
  let every wildcard cross colons; the differential test made us re-read the page). See
  :func:`resource_matches`.
* The ARN condition operators (``reference_policies_elements_condition_operators``, section
  "Amazon Resource Name (ARN) condition operators") say "Each of the six colon-delimited
  components of the ARN is checked separately and each can include multi-character match
  wildcards (*) or single-character match wildcards (?)". So a pattern or value that is not a
  six-part ARN never matches, and a ``*`` stays inside its own component; the sixth
  (resource) component keeps its colons. See :func:`arn_like`.

Both reuse the matcher of :mod:`localiam.policy.wildcard`, so neither can backtrack
catastrophically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from localiam.policy.wildcard import (
    Context,
    Template,
    _compile_substituted,
    _Wild,
    compile_glob,
    compile_resource_pattern,
)

_PARTS = 6
"""``arn``, partition, service, region, account, resource."""


@dataclass(frozen=True, slots=True)
class Arn:
    """A parsed ARN; ``str(arn)`` gives the text back unchanged.

    Partition, service and resource must be non-empty; partition, service, region and account
    cannot hold a colon (the resource can). The constructor enforces this so that
    ``parse_arn(str(arn)) == arn`` always holds.
    """

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __post_init__(self) -> None:
        if not (self.partition and self.service and self.resource):
            raise ValueError("an ARN needs a partition, a service and a resource")
        if any(":" in part for part in (self.partition, self.service, self.region, self.account)):
            raise ValueError("only the resource part of an ARN may contain ':'")

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    def resource_type_and_id(self) -> tuple[str | None, str]:
        """Split the resource the way ``reference-arns`` writes it: ``resource-type/resource-id``
        or ``resource-type:resource-id`` at the first ``/`` or ``:``, else ``(None, resource)``.

        This is the generic reading only; a service whose resources have no type prefix (S3:
        ``bucket/key``) has to interpret its own ARNs.
        """
        cut = min((i for i in map(self.resource.find, "/:") if i >= 0), default=-1)
        if cut <= 0:
            return None, self.resource
        return self.resource[:cut], self.resource[cut + 1 :]


def parse_arn(text: str) -> Arn | None:
    """The :class:`Arn` for ``text``, or ``None`` if it is not
    ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`` (never raises)."""
    parts = text.split(":", _PARTS - 1)
    if len(parts) != _PARTS or parts[0] != "arn":
        return None
    _, partition, service, region, account, resource = parts
    if not (partition and service and resource):
        return None
    return Arn(partition, service, region, account, resource)


def resource_matches(pattern: str, resource: str) -> bool:
    """Whether a ``Resource`` / ``NotResource`` entry covers ``resource``.

    Case-sensitive (``reference_policies_elements_resource``: "In the Resource element, the
    IAM user name is case sensitive"); ``*`` is any run of characters including ``/``, and
    also ``:`` when it ends a segment of the pattern; ``?`` is exactly one character other
    than ``:``. Policy variables are substituted before this, by ``Template.resource_matcher``;
    this function sees plain text.
    """
    return bool(compile_resource_pattern(pattern)(resource))


def arn_like(pattern: str, value: str) -> bool:
    """``ArnLike``: each of the six colon-delimited components matched on its own.

    ``value`` must be an ARN (:func:`parse_arn`) and ``pattern`` must have six components,
    else nothing matches: ``arn:aws:iam::*`` (five) or ``*`` (one) match no value, unlike in
    the ``Resource`` element. Case-sensitive. ``reference_policies_elements_condition_operators``.
    """
    components = pattern.split(":", _PARTS - 1)
    if len(components) != _PARTS or parse_arn(value) is None:
        return False
    values = value.split(":", _PARTS - 1)
    return all(compile_glob(p)(v) for p, v in zip(components, values, strict=True))


arn_equals = arn_like
"""``ArnEquals``: the condition-operators page describes ``ArnEquals`` and ``ArnLike`` in one
row with one meaning, wildcards included, so they are the same function."""


def arn_like_template(template: Template, value: str, context: Context) -> bool:
    """:func:`arn_like` for a condition value that may hold policy variables.

    Variables are substituted first (a variable with no value matches nothing). Colons in
    substituted text still separate components, so ``${aws:PrincipalArn}`` works as a whole
    ARN; ``*`` and ``?`` in substituted text stay literal, as do the ``${*}`` and ``${?}``
    escapes (``reference_policies_variables``).
    """
    tokens = template.substitute(context)
    if tokens is None or parse_arn(value) is None:
        return False
    components = _split_components(tokens)
    if len(components) != _PARTS:
        return False
    values = value.split(":", _PARTS - 1)
    return all(_compile_substituted(c, False)(v) for c, v in zip(components, values, strict=True))


arn_equals_template = arn_like_template


def _split_components(
    tokens: Sequence[str | _Wild],
) -> list[tuple[str | _Wild, ...]]:
    """Cut substituted tokens at the first five colons of their literal text."""
    components: list[tuple[str | _Wild, ...]] = []
    current: list[str | _Wild] = []
    for tok in tokens:
        if isinstance(tok, _Wild) or len(components) == _PARTS - 1:
            current.append(tok)
            continue
        pieces = tok.split(":", _PARTS - 1 - len(components))
        for piece in pieces[:-1]:
            if piece:
                current.append(piece)
            components.append(tuple(current))
            current = []
        if pieces[-1]:
            current.append(pieces[-1])
    components.append(tuple(current))
    return components
