"""Identities: the ids an identity pool hands out, the logins linked to each, and how they merge
("Identity pools authentication flow": GetId, linking logins, merging identities;
``API_ListIdentities``, ``API_DescribeIdentity``, ``API_DeleteIdentities``, ``API_UnlinkIdentity``,
and the developer-authenticated identity operations).

- ``GetId`` without logins makes a new guest identity each time (when the pool allows guests);
  with logins it returns the identity a login is already linked to, or a new one.
- A login not linked anywhere is linked to the identity it came with; a login linked to another
  identity merges the two: the identity the login belonged to keeps every login, the other is
  deleted, and the surviving id is returned. An identity links one login per provider
  (``ResourceConflictException`` otherwise).
- An identity with logins is authenticated: asking for its token or credentials without one of
  its logins answers ``NotAuthorizedException`` "Logins don't match...".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from localiam.services.base import OperationContext, Params, Result
from localiam.services.cognito_identity import logins as login_checks
from localiam.services.cognito_identity._service import (
    SERVICE,
    config_of,
    error,
    find_pool,
    id_param,
    identity_row,
    invalid_parameter,
    new_id,
    not_authorized,
    page,
    pool_arn,
    pool_resource,
    pool_row,
    pool_tags,
    region_of,
    timestamp,
)
from localiam.services.cognito_identity.logins import Login
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

LOGINS_DONT_MATCH = "Logins don't match. Please include at least one valid login for this identity or identity pool."
GUESTS_OFF = "Unauthenticated access is not supported for this identity pool."


def links_of(ctx: OperationContext, identity_id: str) -> list[Row]:
    return iam_store.rows(ctx.tx, schema.cognito_identity_logins, order_by=("provider",), identity_id=identity_id)


def new_identity(ctx: OperationContext, pool_id: str) -> str:
    identity_id = new_id(region_of(pool_id))
    iam_store.add(
        ctx.tx, schema.cognito_identities, id=identity_id, pool_id=pool_id, created_at=ctx.now, updated_at=ctx.now
    )
    return identity_id


def _link(ctx: OperationContext, pool_id: str, identity_id: str, login: Login) -> None:
    for row in links_of(ctx, identity_id):
        if row["provider"] == login.provider and row["subject"] != login.subject and not login.developer:
            raise error(
                "ResourceConflictException",
                f"This identity is already linked to another login of {login.provider}.",
            )
    iam_store.add(
        ctx.tx,
        schema.cognito_identity_logins,
        pool_id=pool_id,
        provider=login.provider,
        subject=login.subject,
        identity_id=identity_id,
        developer=login.developer,
    )


def merge(ctx: OperationContext, source: str, destination: str) -> None:
    """Move every login of ``source`` to ``destination`` and delete ``source``."""
    if source == destination:
        return
    iam_store.change(ctx.tx, schema.cognito_identity_logins, {"identity_id": source}, identity_id=destination)
    iam_store.remove(ctx.tx, schema.cognito_identities, id=source)
    iam_store.change(ctx.tx, schema.cognito_identities, {"id": destination}, updated_at=ctx.now)


def settle(ctx: OperationContext, pool_id: str, identity_id: str | None, logins: Sequence[Login]) -> str:
    """The identity ``logins`` belong to once linked and merged; ``identity_id`` is the one the
    caller named (``None``: find or make one)."""
    current = identity_id
    for login in logins:
        if login.own_token is not None:
            owner = str(login.own_token["sub"])
            if iam_store.one(ctx.tx, schema.cognito_identities, id=owner) is None:
                raise not_authorized("Invalid login token. The identity of this token no longer exists.")
            if current is not None and current != owner:
                merge(ctx, current, owner)
            current = owner
            continue
        linked = iam_store.one(
            ctx.tx, schema.cognito_identity_logins, pool_id=pool_id, provider=login.provider, subject=login.subject
        )
        if linked is not None:
            owner = str(linked["identity_id"])
            if current is not None and current != owner:
                merge(ctx, current, owner)
            current = owner
    if current is None:
        current = new_identity(ctx, pool_id)
    for login in logins:
        if login.own_token is not None:
            continue
        linked = iam_store.one(
            ctx.tx, schema.cognito_identity_logins, pool_id=pool_id, provider=login.provider, subject=login.subject
        )
        if linked is None:
            _link(ctx, pool_id, current, login)
    return current


def authenticated(ctx: OperationContext, identity_id: str) -> bool:
    return bool(links_of(ctx, identity_id))


def identity_for(ctx: OperationContext, params: Params, *, developer_ok: bool = False) -> tuple[Row, str, list[Login]]:
    """(pool, identity id, verified logins) of a token or credentials request naming an
    ``IdentityId``: logins linked or merged; an authenticated identity needs one of its logins."""
    identity_id = id_param(params, "IdentityId")
    identity = identity_row(ctx, identity_id)
    pool = pool_row(ctx, str(identity["pool_id"]))
    logins = login_checks.verify(ctx, pool, login_checks.logins_param(params), developer_ok=developer_ok)
    links = links_of(ctx, identity_id)
    if not logins:
        if links:
            raise not_authorized(LOGINS_DONT_MATCH)
        if not config_of(pool).get("AllowUnauthenticatedIdentities"):
            raise not_authorized(GUESTS_OFF)
        return pool, identity_id, logins
    if links and not _proves(identity_id, links, logins):
        # An authenticated identity is used only with one of its own logins ("you must pass at
        # least one valid token for a login already associated with that identity"): knowing
        # its id is not enough to link or merge anything into it.
        raise not_authorized(LOGINS_DONT_MATCH)
    return pool, settle(ctx, str(pool["id"]), identity_id, logins), logins


def _proves(identity_id: str, links: Sequence[Row], logins: Sequence[Login]) -> bool:
    owned = {(str(link["provider"]), str(link["subject"])) for link in links}
    for login in logins:
        if login.own_token is not None and login.own_token.get("sub") == identity_id:
            return True
        if (login.provider, login.subject) in owned:
            return True
    return False


# ------------------------------------------------------------------------------- data plane
@SERVICE.operation("GetId", action=None, signed=False, writes=True, before=login_checks.prefetch)
def get_id(ctx: OperationContext, params: Params) -> Result:
    pool = pool_row(ctx, id_param(params, "IdentityPoolId"))
    account = params.get("AccountId")
    if account is not None and account != pool["account_id"]:
        raise not_authorized("Invalid AccountId for this identity pool.")
    logins = login_checks.verify(ctx, pool, login_checks.logins_param(params))
    if not logins:
        if not config_of(pool).get("AllowUnauthenticatedIdentities"):
            raise not_authorized(GUESTS_OFF)
        return {"IdentityId": new_identity(ctx, str(pool["id"]))}
    return {"IdentityId": settle(ctx, str(pool["id"]), None, logins)}


@SERVICE.operation("UnlinkIdentity", action=None, signed=False, writes=True, before=login_checks.prefetch)
def unlink_identity(ctx: OperationContext, params: Params) -> Result:
    pool, identity_id, _logins = identity_for(ctx, params)
    remove = params.get("LoginsToRemove") or []
    if not isinstance(remove, list):
        raise invalid_parameter("LoginsToRemove must be a list of provider names.")
    for provider in remove:
        iam_store.remove(
            ctx.tx, schema.cognito_identity_logins, pool_id=pool["id"], identity_id=identity_id, provider=str(provider)
        )
    return {}


# ----------------------------------------------------------------------------- control plane
def _describe(ctx: OperationContext, row: Row) -> dict[str, Any]:
    links = links_of(ctx, str(row["id"]))
    out: dict[str, Any] = {
        "IdentityId": row["id"],
        "CreationDate": timestamp(float(row["created_at"])),
        "LastModifiedDate": timestamp(float(row["updated_at"])),
    }
    public = sorted({str(link["provider"]) for link in links if not link["developer"]})
    if public:
        out["Logins"] = public
    return out


@SERVICE.operation(
    "ListIdentities", action="cognito-identity:ListIdentities", resource=pool_resource, resource_policy=pool_tags
)
def list_identities(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, id_param(params, "IdentityPoolId"))
    rows = iam_store.rows(ctx.tx, schema.cognito_identities, order_by=("created_at", "id"), pool_id=pool["id"])
    chunk, following = page(rows, params)
    out: Result = {"IdentityPoolId": pool["id"], "Identities": [_describe(ctx, r) for r in chunk]}
    if following:
        out["NextToken"] = following
    return out


def _identity_pool_arn_key(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    """``cognito-identity:IdentityPoolArn``: the pool of the identity the request names."""
    ids = params.get("IdentityIdsToDelete") or [params.get("IdentityId")]
    for identity_id in ids:
        if isinstance(identity_id, str):
            row = iam_store.one(ctx.tx, schema.cognito_identities, id=identity_id)
            if row is not None:
                pool = iam_store.one(ctx.tx, schema.cognito_identity_pools, id=row["pool_id"])
                if pool is not None:
                    arn = pool_arn(str(pool["region"]), str(pool["account_id"]), str(pool["id"]))
                    return {"cognito-identity:IdentityPoolArn": arn}
    return {}


def _own_identity(ctx: OperationContext, identity_id: str) -> Row:
    row = identity_row(ctx, identity_id)
    find_pool(ctx, str(row["pool_id"]))
    return row


@SERVICE.operation(
    "DescribeIdentity", action="cognito-identity:DescribeIdentity", condition_keys=_identity_pool_arn_key
)
def describe_identity(ctx: OperationContext, params: Params) -> Result:
    return _describe(ctx, _own_identity(ctx, id_param(params, "IdentityId")))


@SERVICE.operation(
    "DeleteIdentities",
    action="cognito-identity:DeleteIdentities",
    condition_keys=_identity_pool_arn_key,
    writes=True,
)
def delete_identities(ctx: OperationContext, params: Params) -> Result:
    ids = params.get("IdentityIdsToDelete") or []
    if not isinstance(ids, list) or not 1 <= len(ids) <= 60:
        raise invalid_parameter("IdentityIdsToDelete must list 1 to 60 identity ids.")
    unprocessed = []
    for identity_id in ids:
        row = iam_store.one(ctx.tx, schema.cognito_identities, id=str(identity_id))
        pool = iam_store.one(ctx.tx, schema.cognito_identity_pools, id=row["pool_id"]) if row else None
        if row is None or pool is None or pool["account_id"] != ctx.account_id:
            unprocessed.append({"IdentityId": identity_id, "ErrorCode": "AccessDenied"})
            continue
        iam_store.remove(ctx.tx, schema.cognito_identity_logins, identity_id=row["id"])
        iam_store.remove(ctx.tx, schema.cognito_identities, id=row["id"])
    return {"UnprocessedIdentityIds": unprocessed}


# -------------------------------------------------------------- developer-authenticated identities
def developer_name(pool: Row, given: Any = None) -> str:
    name = config_of(pool).get("DeveloperProviderName")
    if name is None or (given is not None and given != name):
        raise not_authorized(f"The identity pool has no developer provider {given or ''}".rstrip() + ".")
    return str(name)


@SERVICE.operation(
    "LookupDeveloperIdentity",
    action="cognito-identity:LookupDeveloperIdentity",
    resource=pool_resource,
    resource_policy=pool_tags,
)
def lookup_developer_identity(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, id_param(params, "IdentityPoolId"))
    name = developer_name(pool)
    identity_id = params.get("IdentityId")
    user = params.get("DeveloperUserIdentifier")
    if identity_id is None and user is None:
        raise invalid_parameter("Either IdentityId or DeveloperUserIdentifier must be given.")
    if identity_id is None:
        link = iam_store.one(ctx.tx, schema.cognito_identity_logins, pool_id=pool["id"], provider=name, subject=user)
        if link is None:
            raise error("ResourceNotFoundException", f"DeveloperUserIdentifier '{user}' not found.")
        identity_id = link["identity_id"]
    links = [r for r in links_of(ctx, str(identity_id)) if r["provider"] == name]
    if not links and user is None:
        raise error("ResourceNotFoundException", f"Identity '{identity_id}' not found.")
    identifiers = [str(r["subject"]) for r in links]
    if user is not None and user not in identifiers:
        raise error("ResourceNotFoundException", f"DeveloperUserIdentifier '{user}' not found.")
    chunk, following = page(identifiers, {**params, "MaxResults": params.get("MaxResults") or 60})
    out: Result = {"IdentityId": identity_id, "DeveloperUserIdentifierList": chunk}
    if following:
        out["NextToken"] = following
    return out


@SERVICE.operation(
    "MergeDeveloperIdentities",
    action="cognito-identity:MergeDeveloperIdentities",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def merge_developer_identities(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, id_param(params, "IdentityPoolId"))
    name = developer_name(pool, params.get("DeveloperProviderName"))

    def owner(member: str) -> str:
        user = params.get(member)
        link = iam_store.one(ctx.tx, schema.cognito_identity_logins, pool_id=pool["id"], provider=name, subject=user)
        if link is None:
            raise error("ResourceNotFoundException", f"DeveloperUserIdentifier '{user}' not found.")
        return str(link["identity_id"])

    source, destination = owner("SourceUserIdentifier"), owner("DestinationUserIdentifier")
    merge(ctx, source, destination)
    return {"IdentityId": destination}


@SERVICE.operation(
    "UnlinkDeveloperIdentity",
    action="cognito-identity:UnlinkDeveloperIdentity",
    resource=pool_resource,
    resource_policy=pool_tags,
    writes=True,
)
def unlink_developer_identity(ctx: OperationContext, params: Params) -> Result:
    pool = find_pool(ctx, id_param(params, "IdentityPoolId"))
    name = developer_name(pool, params.get("DeveloperProviderName"))
    identity_id = id_param(params, "IdentityId")
    removed = iam_store.remove(
        ctx.tx,
        schema.cognito_identity_logins,
        pool_id=pool["id"],
        provider=name,
        subject=params.get("DeveloperUserIdentifier"),
        identity_id=identity_id,
    )
    if not removed:
        raise error(
            "ResourceNotFoundException", f"DeveloperUserIdentifier '{params.get('DeveloperUserIdentifier')}' not found."
        )
    return {}
