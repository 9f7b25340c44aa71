"""S3 access control lists: the grants of a bucket or object, built from a canned ACL, from the
``x-amz-grant-*`` headers or from an ``AccessControlPolicy`` document, stored as compact JSON,
and answered as ``GetBucketAcl``/``GetObjectAcl`` output. Pure: no I/O; the caller supplies the
account look-ups (an e-mail address or a canonical user id) as functions.

Sources:

- Amazon S3 User Guide ``acl-overview``: "Each bucket and object has an ACL attached to it as a
  subresource"; the grantee is an account's canonical user id or one of the predefined groups
  (``http://acs.amazonaws.com/groups/global/AllUsers``, ``.../global/AuthenticatedUsers``,
  ``.../s3/LogDelivery``); the permissions are ``READ``, ``WRITE``, ``READ_ACP``, ``WRITE_ACP``
  and ``FULL_CONTROL``; "An ACL can have up to 100 grants"; the default ACL of a new bucket or
  object "grants the resource owner full control"; and the canned ACL table (see :func:`canned`).
- API Reference ``API_PutBucketAcl`` / ``API_PutObjectAcl``: grantees given as ``type=value``
  pairs, "where the type is one of the following: id, uri, emailAddress", several separated by
  commas (``x-amz-grant-write: uri="http://acs.amazonaws.com/groups/s3/LogDelivery",
  id="111122223333", id="555566667777"``); "If you use this header [``x-amz-acl``], you cannot
  use other access control-specific headers in your request"; in a document, a grantee by
  e-mail "is resolved to the CanonicalUser and, in a response to a GET Object acl request,
  appears as the CanonicalUser"; a grantee's ``DisplayName`` "is optional and ignored in the
  request".
- API Reference ``ErrorResponses``: ``MalformedACLError`` ("The XML you provided was not
  well-formed or did not validate against our published schema"), ``UnresolvableGrantByEmailAddress``
  and ``InvalidArgument``, all 400.
- User Guide ``object-ownership-error-responses`` and API Reference
  ``API_OwnershipControlsRule``: what a bucket with ACLs disabled accepts
  (:func:`acl_allowed_when_enforced`).
- User Guide ``access-control-block-public-access`` ("The meaning of public"): "Amazon S3
  considers a bucket or object ACL public if it grants any permissions to members of the
  predefined AllUsers or AuthenticatedUsers groups."
- Service Authorization Reference ``list_amazons3``: the condition keys ``s3:x-amz-acl`` and
  ``s3:x-amz-grant-*`` (:func:`grant_context_keys`).

Where AWS's pages are silent, S3's observed answers decide; each such case says so where it is
implemented.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from typing import Any

from localiam.engine.compiled import AclGrant
from localiam.errors import AccessDenied, AwsError

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
GROUPS = (ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY)
PUBLIC_GROUPS = frozenset({ALL_USERS, AUTHENTICATED_USERS})
"""The groups that make an ACL public in Block Public Access's sense."""

PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
CANNED_ACLS = (
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
)
ACL_DISABLED_CANNED = "bucket-owner-full-control"
"""The one canned ACL a bucket with ACLs disabled (``BucketOwnerEnforced``) accepts."""

EC2_CANONICAL_ID = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
"""The canonical user that ``aws-exec-read`` grants ``READ``. ``acl-overview`` says only "Amazon
EC2 gets READ access to GET an Amazon Machine Image (AMI) bundle"; it names no id. This is the
id S3 is observed to store for that grant (the EC2 AMI tools' "za-team" account)."""

MAX_GRANTS = 100
GRANTEE_TYPES = ("CanonicalUser", "AmazonCustomerByEmail", "Group")
CANNED_ACL_HEADER = "x-amz-acl"
GRANT_HEADERS: Mapping[str, str] = {
    "x-amz-grant-full-control": "FULL_CONTROL",
    "x-amz-grant-read": "READ",
    "x-amz-grant-read-acp": "READ_ACP",
    "x-amz-grant-write": "WRITE",
    "x-amz-grant-write-acp": "WRITE_ACP",
}
"""Each grant header and the permission it grants, in the order grants are built."""

LEVELS = ("bucket", "object")

ResolveEmail = Callable[[str], str | None]
"""An e-mail address to the canonical id of the one account that has it, or ``None``. It may
raise its own :class:`AwsError` (S3 answers 405 to e-mail grantees since October 2025, and
never accepted them outside eight Regions)."""
KnownCanonical = Callable[[str], bool]


# --------------------------------------------------------------------------- errors
MALFORMED_ACL_MESSAGE = "The XML you provided was not well-formed or did not validate against our published schema"
UNRESOLVABLE_EMAIL_MESSAGE = "The e-mail address you provided does not match any account on record."


def _invalid_argument(message: str, name: str, value: str) -> AwsError:
    return AwsError(message, code="InvalidArgument", status=400, fields={"ArgumentName": name, "ArgumentValue": value})


def _malformed() -> AwsError:
    return AwsError(MALFORMED_ACL_MESSAGE, code="MalformedACLError", status=400)


def _unresolvable_email() -> AwsError:
    return AwsError(UNRESOLVABLE_EMAIL_MESSAGE, code="UnresolvableGrantByEmailAddress", status=400)


def acls_not_supported() -> AwsError:
    """What a bucket with ACLs disabled answers to an ACL it does not accept
    (``object-ownership-error-responses``: "fail with a 400 error and return the
    AccessControlListNotSupported error code"; the message as S3 prints it)."""
    return AwsError("The bucket does not allow ACLs", code="AccessControlListNotSupported", status=400)


# --------------------------------------------------------------------------- model
@dataclass(frozen=True, slots=True)
class Grant:
    """One grant: a permission to an account (its canonical user id) or a predefined group
    (its URI). Exactly one of ``canonical_id`` and ``uri`` is set; a grant by e-mail address is
    resolved to the account's canonical id before it becomes a :class:`Grant`."""

    permission: str
    canonical_id: str | None = None
    uri: str | None = None

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise ValueError(f"not an S3 ACL permission: {self.permission!r}")
        if (self.canonical_id is None) == (self.uri is None):
            raise ValueError("a grant names exactly one of canonical_id and uri")

    @property
    def group(self) -> bool:
        return self.uri is not None

    @property
    def grantee(self) -> str:
        """The canonical id or the group URI."""
        return self.uri if self.uri is not None else str(self.canonical_id)

    def to_json(self) -> dict[str, str]:
        if self.uri is not None:
            return {"permission": self.permission, "uri": self.uri}
        return {"permission": self.permission, "id": str(self.canonical_id)}

    @classmethod
    def from_json(cls, data: Any) -> Grant:
        if not isinstance(data, Mapping) or not all(
            isinstance(data.get(k, ""), str) for k in ("permission", "id", "uri")
        ):
            raise ValueError(f"not a stored grant: {data!r}")
        return cls(permission=data.get("permission", ""), canonical_id=data.get("id"), uri=data.get("uri"))


@dataclass(frozen=True, slots=True)
class Acl:
    """A bucket's or object's ACL: its owner's canonical id and its grants, in order. The owner
    is not implicitly granted anything here: only the grants listed are."""

    owner: str
    grants: tuple[Grant, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.grants, tuple):
            object.__setattr__(self, "grants", tuple(self.grants))

    def to_json(self) -> str:
        """Compact JSON text for a database column."""
        document = {"owner": self.owner, "grants": [grant.to_json() for grant in self.grants]}
        return json.dumps(document, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Acl:
        """The ACL stored as ``text`` (decoded once per distinct text: ACLs are immutable)."""
        return _acl_from_json(text) if cls is Acl else cls._decode(text)

    @classmethod
    def _decode(cls, text: str) -> Acl:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("owner"), str):
            raise ValueError("not a stored ACL")
        grants = data.get("grants", [])
        if not isinstance(grants, list):
            raise ValueError("not a stored ACL")
        return cls(data["owner"], tuple(Grant.from_json(g) for g in grants))

    def is_public(self) -> bool:
        """Whether any grant goes to AllUsers or AuthenticatedUsers (``access-control-block-
        public-access``, "The meaning of public"); LogDelivery does not count."""
        return any(grant.uri in PUBLIC_GROUPS for grant in self.grants)

    def without_public(self) -> Acl:
        """This ACL as S3 reads it under ``IgnorePublicAcls`` ("causes Amazon S3 to ignore all
        public ACLs on this bucket and objects in this bucket"): the grants to AllUsers and
        AuthenticatedUsers dropped, every other grant kept."""
        return Acl(self.owner, tuple(g for g in self.grants if g.uri not in PUBLIC_GROUPS))

    def engine_grants(self, level: str) -> tuple[AclGrant, ...]:
        """The grants as the engine evaluates them, on a ``"bucket"`` or an ``"object"``."""
        if level not in LEVELS:
            raise ValueError(f"level is 'bucket' or 'object', not {level!r}")
        return tuple(AclGrant(g.grantee, g.permission, level, g.group) for g in self.grants)


@functools.lru_cache(maxsize=4096)
def _acl_from_json(text: str) -> Acl:
    return Acl._decode(text)


def owner_full_control(owner: str) -> Acl:
    """The default ACL (``acl-overview``, "Default ACL"): "When you create a bucket or an
    object, Amazon S3 creates a default ACL that grants the resource owner full control over the
    resource." The same as the ``private`` canned ACL."""
    return Acl(owner, (Grant("FULL_CONTROL", canonical_id=owner),))


# --------------------------------------------------------------------------- canned ACLs
_CANNED_GRANTS: Mapping[str, tuple[Grant, ...]] = {
    "private": (),
    "public-read": (Grant("READ", uri=ALL_USERS),),
    "public-read-write": (Grant("READ", uri=ALL_USERS), Grant("WRITE", uri=ALL_USERS)),
    "authenticated-read": (Grant("READ", uri=AUTHENTICATED_USERS),),
    "aws-exec-read": (Grant("READ", canonical_id=EC2_CANONICAL_ID),),
    "log-delivery-write": (Grant("WRITE", uri=LOG_DELIVERY), Grant("READ_ACP", uri=LOG_DELIVERY)),
}
_BUCKET_OWNER_CANNED: Mapping[str, str] = {"bucket-owner-read": "READ", "bucket-owner-full-control": "FULL_CONTROL"}


def canned(acl: str, owner: str, *, bucket_owner: str | None = None, level: str = "object") -> Acl:
    """The ACL a canned ACL stands for (``acl-overview``, "Canned ACL"): the owner gets
    ``FULL_CONTROL``, plus

    - ``private``: nothing ("No one else has access rights");
    - ``public-read``: AllUsers ``READ``; ``public-read-write``: AllUsers ``READ`` and ``WRITE``;
    - ``authenticated-read``: AuthenticatedUsers ``READ``;
    - ``aws-exec-read``: "Amazon EC2 gets READ access", to :data:`EC2_CANONICAL_ID`;
    - ``bucket-owner-read`` / ``bucket-owner-full-control``: the bucket owner gets ``READ`` /
      ``FULL_CONTROL`` on an object; nothing extra when the bucket owner is the object owner (or
      unknown), and nothing on a bucket: "If you specify this canned ACL when creating a bucket,
      Amazon S3 ignores it";
    - ``log-delivery-write``: "The LogDelivery group gets WRITE and READ_ACP permissions" (the
      table lists it for buckets only; on an object it gives the same grants).

    An unknown name (names are case-sensitive) is ``InvalidArgument`` with an empty message,
    naming the header, as S3 answers.
    """
    if level not in LEVELS:
        raise ValueError(f"level is 'bucket' or 'object', not {level!r}")
    if acl in _BUCKET_OWNER_CANNED:
        extra: tuple[Grant, ...] = ()
        if level == "object" and bucket_owner is not None and bucket_owner != owner:
            extra = (Grant(_BUCKET_OWNER_CANNED[acl], canonical_id=bucket_owner),)
    elif acl in _CANNED_GRANTS:
        extra = _CANNED_GRANTS[acl]
    else:
        raise _invalid_argument("", CANNED_ACL_HEADER, acl)
    return Acl(owner, (Grant("FULL_CONTROL", canonical_id=owner), *extra))


# --------------------------------------------------------------------------- grant headers
# One ``type=value`` pair and what follows it: a comma or the end. The value is quoted or bare.
_GRANTEE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^\s,"]+))\s*(,|\Z)')
_GRANTEE_KINDS = {"id": "id", "uri": "uri", "emailaddress": "emailAddress"}


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _parse_grantees(header: str, value: str) -> list[tuple[str, str]]:
    """``id="..."``, ``uri="..."``, ``emailAddress="..."`` separated by commas, as
    ``(kind, value)`` pairs. The type names are case-insensitive and the quotes optional (S3
    accepts ``id=...`` and ``emailaddress=...``); anything else is S3's "Argument format not
    recognized", naming the header and its value."""
    pairs = []
    position = 0
    while True:
        m = _GRANTEE.match(value, position)
        if m is None:
            raise _invalid_argument("Argument format not recognized", header, value)
        name, quoted, bare, separator = m.groups()
        kind = _GRANTEE_KINDS.get(name.lower())
        grantee = (quoted if quoted is not None else bare).strip()
        if kind is None or not grantee:
            raise _invalid_argument("Argument format not recognized", header, value)
        pairs.append((kind, grantee))
        if not separator:
            return pairs
        position = m.end()


def _check_id(canonical_id: str, known_canonical: KnownCanonical | None, argument: str) -> None:
    if known_canonical is not None and not known_canonical(canonical_id):
        raise _invalid_argument("Invalid id", argument, canonical_id)


def _check_uri(uri: str, argument: str) -> None:
    if uri not in GROUPS:
        raise _invalid_argument("Invalid group uri", argument, uri)


def _resolve(email: str, resolve_email: ResolveEmail) -> str:
    canonical_id = resolve_email(email)
    if canonical_id is None:
        raise _unresolvable_email()
    return canonical_id


def _check_count(grants: Sized) -> None:
    """ "An ACL can have up to 100 grants" (``acl-overview``); S3 answers more in a document
    with ``MalformedACLError``. Header grants get the same answer (not observed)."""
    if len(grants) > MAX_GRANTS:
        raise _malformed()


def from_grant_headers(
    headers: Mapping[str, str],
    owner: str,
    resolve_email: ResolveEmail,
    *,
    known_canonical: KnownCanonical | None = None,
) -> Acl | None:
    """The ACL the ``x-amz-grant-*`` headers spell, or ``None`` when none is present. The grants
    replace the ACL entirely: the owner gets no implicit ``FULL_CONTROL``.

    Errors, as S3 answers them: a value that is not ``type=value`` pairs is ``InvalidArgument``
    "Argument format not recognized" (``ArgumentName`` the header); a URI that is not one of the
    three groups is "Invalid group uri" (``ArgumentName`` ``uri``); a canonical id that
    ``known_canonical`` rejects is "Invalid id" (``ArgumentName`` ``id``); an e-mail address
    ``resolve_email`` cannot resolve is ``UnresolvableGrantByEmailAddress``.
    """
    lowered = _lower(headers)
    present = [(header, permission) for header, permission in GRANT_HEADERS.items() if header in lowered]
    if not present:
        return None
    grants = []
    for header, permission in present:
        for kind, value in _parse_grantees(header, lowered[header]):
            if kind == "uri":
                _check_uri(value, "uri")
                grants.append(Grant(permission, uri=value))
                continue
            if kind == "emailAddress":
                value = _resolve(value, resolve_email)
            else:
                _check_id(value, known_canonical, "id")
            grants.append(Grant(permission, canonical_id=value))
    _check_count(grants)
    return Acl(owner, tuple(grants))


def from_headers(
    headers: Mapping[str, str],
    owner: str,
    resolve_email: ResolveEmail,
    *,
    bucket_owner: str | None = None,
    level: str = "object",
    known_canonical: KnownCanonical | None = None,
) -> Acl | None:
    """The ACL a request's headers set: the canned ACL of ``x-amz-acl`` (:func:`canned`) or the
    grant headers (:func:`from_grant_headers`); ``None`` when it has neither. Both at once is
    ``InvalidRequest``: "You can use either a canned ACL or specify access permissions
    explicitly. You cannot do both." (``API_PutBucketAcl``; the message as S3 prints it)."""
    lowered = _lower(headers)
    canned_acl = lowered.get(CANNED_ACL_HEADER)
    if canned_acl is None:
        return from_grant_headers(lowered, owner, resolve_email, known_canonical=known_canonical)
    if any(header in lowered for header in GRANT_HEADERS):
        raise AwsError(
            "Specifying both Canned ACLs and Header Grants is not allowed", code="InvalidRequest", status=400
        )
    return canned(canned_acl, owner, bucket_owner=bucket_owner, level=level)


def grant_context_keys(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """The request's ACL condition keys (Service Authorization Reference, ``list_amazons3``):
    ``s3:x-amz-acl`` with the canned ACL, and ``s3:x-amz-grant-full-control``,
    ``s3:x-amz-grant-read``, ``s3:x-amz-grant-read-acp``, ``s3:x-amz-grant-write`` and
    ``s3:x-amz-grant-write-acp`` with the headers' raw values, as ``StringEquals`` compares them
    (``example-bucket-policies-condition-keys``: ``"s3:x-amz-grant-full-control":
    "id=AccountA-CanonicalUserID"``). Keys whose header is absent are left out."""
    lowered = _lower(headers)
    return {f"s3:{header}": [lowered[header]] for header in (CANNED_ACL_HEADER, *GRANT_HEADERS) if header in lowered}


# --------------------------------------------------------------------------- AccessControlPolicy
def _grant_from_document(item: Any) -> tuple[str, str, str]:
    """One ``Grant`` of a document checked against the schema: ``(permission, type, value)``."""
    if not isinstance(item, Mapping):
        raise _malformed()
    grantee, permission = item.get("Grantee"), item.get("Permission")
    if not isinstance(grantee, Mapping) or permission not in PERMISSIONS:
        raise _malformed()
    kind = grantee.get("Type")
    member = {"CanonicalUser": "ID", "Group": "URI", "AmazonCustomerByEmail": "EmailAddress"}.get(str(kind))
    value = grantee.get(member) if member else None
    if not isinstance(value, str) or not value:
        raise _malformed()
    return str(permission), str(kind), value


def from_access_control_policy(
    policy: Mapping[str, Any],
    owner: str,
    resolve_email: ResolveEmail,
    *,
    known_canonical: KnownCanonical | None = None,
) -> Acl:
    """The ACL of a ``PutBucketAcl``/``PutObjectAcl`` request body, botocore-shaped
    (``{"Owner": {"ID": ...}, "Grants": [{"Grantee": {"Type": ..., ...}, "Permission": ...}]}``),
    checked as S3 checks it:

    - the schema: an ``Owner`` with an ``ID``; each grant a ``Permission`` of
      :data:`PERMISSIONS` and a ``Grantee`` whose ``Type`` is ``CanonicalUser`` (with ``ID``),
      ``Group`` (with ``URI``) or ``AmazonCustomerByEmail`` (with ``EmailAddress``); at most 100
      grants. Anything else is ``MalformedACLError``;
    - an ``Owner`` ``ID`` other than the resource's owner is ``AccessDenied`` (403);
    - a group URI that is not one of the three groups is ``InvalidArgument`` "Invalid group uri"
      (``ArgumentName`` ``Group/URI``); a canonical id ``known_canonical`` rejects is
      ``InvalidArgument`` "Invalid id" (``ArgumentName`` ``CanonicalUser/ID``);
    - an e-mail grantee becomes the account's canonical id, or
      ``UnresolvableGrantByEmailAddress``.

    ``DisplayName`` is ignored. A missing ``Grants`` is an ACL with no grants.
    """
    stated_owner = policy.get("Owner")
    if not isinstance(stated_owner, Mapping) or not isinstance(stated_owner.get("ID"), str):
        raise _malformed()
    items = policy.get("Grants", [])
    if not isinstance(items, list):
        raise _malformed()
    checked = [_grant_from_document(item) for item in items]
    _check_count(checked)
    if stated_owner["ID"] != owner:
        raise AccessDenied("Access Denied")
    grants = []
    for permission, kind, value in checked:
        if kind == "Group":
            _check_uri(value, "Group/URI")
            grants.append(Grant(permission, uri=value))
        elif kind == "CanonicalUser":
            _check_id(value, known_canonical, "CanonicalUser/ID")
            grants.append(Grant(permission, canonical_id=value))
        else:
            grants.append(Grant(permission, canonical_id=_resolve(value, resolve_email)))
    return Acl(owner, tuple(grants))


def to_access_control_policy(acl: Acl, display_name: Callable[[str], str | None] = lambda _: None) -> dict[str, Any]:
    """``GetBucketAcl``/``GetObjectAcl`` output, botocore-shaped: the ``Owner`` and each grant,
    accounts as ``CanonicalUser`` (e-mail grantees were resolved when set) and groups as
    ``Group``. ``DisplayName`` appears where ``display_name`` gives one."""

    def person(canonical_id: str) -> dict[str, str]:
        name = display_name(canonical_id)
        return {"ID": canonical_id} if name is None else {"ID": canonical_id, "DisplayName": name}

    grants = []
    for grant in acl.grants:
        if grant.uri is not None:
            grantee = {"Type": "Group", "URI": grant.uri}
        else:
            grantee = {"Type": "CanonicalUser", **person(str(grant.canonical_id))}
        grants.append({"Grantee": grantee, "Permission": grant.permission})
    return {"Owner": person(acl.owner), "Grants": grants}


# --------------------------------------------------------------------------- ACLs disabled
def acl_allowed_when_enforced(canned_acl: str | None, grants: Acl | None, *, bucket_owner: str | None = None) -> bool:
    """Whether a ``PUT`` that sets an ACL is accepted by a bucket whose Object Ownership is
    ``BucketOwnerEnforced`` (ACLs disabled). ``API_OwnershipControlsRule``: "The bucket only
    accepts PUT requests that don't specify an ACL or specify bucket owner full control ACLs
    (such as the predefined bucket-owner-full-control canned ACL or a custom ACL in XML format
    that grants the same permissions)"; ``object-ownership-error-responses``: "All S3 PUT
    requests must either specify the bucket-owner-full-control canned ACL or not specify an
    ACL"; otherwise ``AccessControlListNotSupported`` (:func:`acls_not_supported`).

    So: no ACL, the ``bucket-owner-full-control`` canned ACL, or explicit grants (headers or a
    document) that are all ``FULL_CONTROL`` to the bucket owner (``bucket_owner``, or the ACL's
    owner when not given). Every other canned ACL is refused, ``private`` included (S3 answers
    ``PutBucketAcl`` with ``x-amz-acl: private`` on such a bucket with
    ``AccessControlListNotSupported``). ``PutBucketAcl``/``PutObjectAcl`` themselves are refused
    whatever they carry ("Requests to set ACLs or update ACLs fail"): that is the caller's rule.
    """
    if canned_acl is not None:
        return canned_acl == ACL_DISABLED_CANNED
    if grants is None:
        return True
    owner = grants.owner if bucket_owner is None else bucket_owner
    return bool(grants.grants) and all(
        g.permission == "FULL_CONTROL" and g.canonical_id == owner for g in grants.grants
    )
