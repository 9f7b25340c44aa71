"""What every S3 operation shares: the bucket as the authorization workflow sees it, S3's
errors, ARNs, and the JSON columns of :mod:`localiam.state.s3_store`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localiam.engine import CompiledPolicy
from localiam.errors import AwsError
from localiam.policy.model import PolicyType
from localiam.services.base import OperationContext, Params
from localiam.services.s3.acl import Acl
from localiam.services.s3.public import PublicAccessBlock
from localiam.state import s3_store
from localiam.state.world import canonical_user_id

BUCKET_OWNER_ENFORCED = "BucketOwnerEnforced"
BUCKET_OWNER_PREFERRED = "BucketOwnerPreferred"
OBJECT_WRITER = "ObjectWriter"
OWNERSHIPS = (BUCKET_OWNER_ENFORCED, BUCKET_OWNER_PREFERRED, OBJECT_WRITER)

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_LIKE = re.compile(r"\d+\.\d+\.\d+\.\d+")


def bucket_arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def error(code: str, message: str, status: int = 400, **fields: str) -> AwsError:
    return AwsError(message, code=code, status=status, fields=fields)


def no_such_bucket(name: str) -> AwsError:
    return error("NoSuchBucket", "The specified bucket does not exist", 404, BucketName=name)


def no_such_key(key: str) -> AwsError:
    return error("NoSuchKey", "The specified key does not exist.", 404, Key=key)


def invalid_bucket_name(name: str) -> AwsError:
    return error("InvalidBucketName", "The specified bucket is not valid.", 400, BucketName=name)


def check_bucket_name(name: str) -> None:
    """``bucketnamingrules``: 3-63 characters of lower-case letters, digits, dots and hyphens,
    starting and ending with a letter or digit; no adjacent dots; not an IP address; not the
    reserved ``xn--`` / ``sthree-`` prefixes or ``-s3alias`` / ``--ol-s3`` suffixes."""
    if (
        not _BUCKET_NAME.fullmatch(name)
        or ".." in name
        or _IP_LIKE.fullmatch(name)
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3"))
    ):
        raise invalid_bucket_name(name)


def loads(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket row, decoded: what the authorization workflow needs of the bucket context."""

    name: str
    owner: str
    region: str
    ownership: str
    acl: Acl
    policy_text: str | None
    block: PublicAccessBlock | None
    created_at: float
    ownership_controls: bool = True
    """Whether the bucket has ownership controls (``DeleteBucketOwnershipControls`` removes
    them; the bucket then behaves as ``ObjectWriter``)."""
    versioning: str | None = None
    """``Enabled``, ``Suspended``, or ``None`` for a bucket that was never versioned."""
    tags_text: str | None = None
    lifecycle_text: str | None = None
    cors_text: str | None = None
    encryption_text: str | None = None
    settings_text: str | None = None
    """The other stored settings (website, logging ...), by name (:mod:`.bucket_settings`)."""

    @property
    def arn(self) -> str:
        return bucket_arn(self.name)

    @property
    def acls_enabled(self) -> bool:
        """``about-object-ownership``: with BucketOwnerEnforced "ACLs are disabled and no longer
        affect permissions"."""
        return self.ownership != BUCKET_OWNER_ENFORCED

    def policy(self, ctx: OperationContext) -> CompiledPolicy | None:
        if self.policy_text is None:
            return None
        return ctx.authz.policies.get(f"{self.arn} bucket policy", self.policy_text, PolicyType.RESOURCE)


def _bucket(row: Mapping[str, Any]) -> Bucket:
    block = row["public_access_block"]
    return Bucket(
        name=row["name"],
        owner=row["account_id"],
        region=row["region"],
        ownership=row["object_ownership"] or OBJECT_WRITER,
        acl=Acl.from_json(row["acl"]),
        policy_text=row["policy"],
        block=PublicAccessBlock.from_json(block) if block else None,
        created_at=row["created_at"],
        ownership_controls=row["object_ownership"] is not None,
        versioning=row["versioning"],
        tags_text=row["tags"],
        lifecycle_text=row["lifecycle"],
        cors_text=row["cors"],
        encryption_text=row["encryption"],
        settings_text=row["settings"],
    )


def find_bucket(ctx: OperationContext, name: str) -> Bucket | None:
    """The bucket, decoded; cached across requests while its owner's account is unchanged
    (every write to a bucket's settings touches its owner)."""

    def load() -> tuple[Bucket | None, tuple[str, ...]]:
        row = s3_store.bucket(ctx.tx, name)
        return (_bucket(row), (row["account_id"],)) if row is not None else (None, ())

    found: Bucket | None = ctx.authz.derived(ctx.tx, ("s3-bucket", name), load)
    return found


def get_bucket(ctx: OperationContext, params: Params) -> Bucket:
    """The request's bucket; ``NoSuchBucket`` when it does not exist, and S3's
    ``x-amz-expected-bucket-owner`` check (``bucket-owner-condition``): a bucket of another
    account is ``AccessDenied``."""
    name = str(params.get("Bucket") or "")
    found = find_bucket(ctx, name)
    if found is None:
        raise no_such_bucket(name)
    expected = params.get("ExpectedBucketOwner")
    if expected is not None and expected != found.owner:
        raise error("AccessDenied", "Access Denied", 403)
    return found


def effective_block(ctx: OperationContext, bucket: Bucket) -> PublicAccessBlock:
    """Block Public Access as it applies to ``bucket``: "the most restrictive combination of
    the access point, bucket, and account settings" (``access-control-block-public-access``)."""

    def load() -> tuple[tuple[PublicAccessBlock | None], tuple[str, ...]]:
        text = s3_store.account_public_access_block(ctx.tx, bucket.owner)
        return (PublicAccessBlock.from_json(text) if text else None,), (bucket.owner,)

    (account,) = ctx.authz.derived(ctx.tx, ("s3-account-block", bucket.owner), load)
    block = bucket.block or PublicAccessBlock()
    return block | account if account is not None else block


def canonical_id(ctx: OperationContext, account_id: str) -> str:
    """The account's canonical user id: a function of the account id, which is what the
    accounts table stores for every account too (no query needed)."""
    return canonical_user_id(account_id)


def account_of_canonical(ctx: OperationContext, canonical: str) -> str | None:
    return s3_store.account_of_canonical(ctx.tx, canonical)


def grantee_lookups(ctx: OperationContext) -> dict[str, Callable[[str], Any]]:
    """What the ACL parsers ask of the accounts: the canonical id an e-mail address names,
    and whether a canonical id is an account's (``resolve_email``, ``known_canonical``)."""
    return {
        "resolve_email": lambda email: s3_store.canonical_of_email(ctx.tx, email),
        "known_canonical": lambda canonical: s3_store.account_of_canonical(ctx.tx, canonical) is not None,
    }


def owner_element(ctx: OperationContext, account_id: str) -> dict[str, str]:
    return {"ID": canonical_id(ctx, account_id)}


def encode_config(value: Any) -> str:
    """The configuration as the API took it, as JSON text (timestamps tagged)."""

    def plain(item: Any) -> Any:
        if isinstance(item, datetime):
            return {"$time": item.timestamp()}
        if isinstance(item, Mapping):
            return {str(k): plain(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [plain(v) for v in item]
        return item

    return json.dumps(plain(value), separators=(",", ":"), sort_keys=True)


def decode_config(text: str) -> Any:
    def back(item: Any) -> Any:
        if isinstance(item, dict):
            if set(item) == {"$time"}:
                return datetime.fromtimestamp(item["$time"], UTC)
            return {k: back(v) for k, v in item.items()}
        if isinstance(item, list):
            return [back(v) for v in item]
        return item

    return back(json.loads(text))
