"""``GetScopedCredentials``: a scoped-down copy of the caller's own temporary credentials
(STS API Reference ``API_GetScopedCredentials``).

- Only temporary credentials may call it (a role session, a federated user's session, a
  ``GetSessionToken`` session): long-term keys of an IAM user or the root user are refused.
- ``Policy`` (at most 2,048 characters, checked as a session policy) and ``DurationSeconds``
  (1 to 129,600) are each optional, but one must be given.
- The new credentials keep the caller's identity: the same ARN, role, session name, tags,
  source identity, session policies and federation keys. Their permissions are the
  intersection of the calling session's and the scope-down policy: the engine asks each
  scope-down policy of the chain alone after everything else allowed (resource-based grants
  included), so a scoped session can only lose permissions, and scoping again narrows again.
- Without ``DurationSeconds`` they end when the calling session ends; with it, never later
  than that.
- ``MinimumSessionTokenSize`` pads the session token to at least that many bytes (at most
  4,096), ``ScopedSessionDescription`` (256 characters) is recorded only in CloudTrail on AWS.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import replace

from localiam.errors import AccessDenied, ValidationError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.sts._service import SERVICE, constraint_error, credentials, signed_caller
from localiam.services.sts.session_inputs import session_policy
from localiam.state import schema
from localiam.state.sts_store import IssuedCredentials, find_role, issue_session

MAX_DURATION = 129600
MAX_TOKEN_SIZE = 4096
_TOKEN_PAD = string.ascii_letters + string.digits + "+/"


def _duration(params: Params) -> int | None:
    value = params.get("DurationSeconds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise constraint_error(value, "durationSeconds", "Member must be a number")
    if value < 1:
        raise constraint_error(value, "durationSeconds", "Member must have value greater than or equal to 1")
    if value > MAX_DURATION:
        raise constraint_error(value, "durationSeconds", f"Member must have value less than or equal to {MAX_DURATION}")
    return value


def _token_size(params: Params) -> int:
    wanted = params.get("MinimumSessionTokenSize") or 0
    if isinstance(wanted, bool) or not isinstance(wanted, int) or not 0 <= wanted <= MAX_TOKEN_SIZE:
        raise constraint_error(
            wanted, "minimumSessionTokenSize", f"Member must have value less than or equal to {MAX_TOKEN_SIZE}"
        )
    return wanted


def _padded(ctx: OperationContext, issued: IssuedCredentials, wanted: int) -> IssuedCredentials:
    """``issued`` with its session token padded to ``wanted`` bytes (kept so in the store)."""
    if len(issued.session_token) >= wanted:
        return issued
    token = issued.session_token + "".join(
        secrets.choice(_TOKEN_PAD) for _ in range(wanted - len(issued.session_token))
    )
    t = schema.sessions
    ctx.tx.execute(t.update().where(t.c.access_key_id == issued.access_key_id).values(session_token=token))
    return replace(issued, session_token=token)


@SERVICE.operation("GetScopedCredentials", action=None, writes=True)
def get_scoped_credentials(ctx: OperationContext, params: Params) -> Result:
    caller = signed_caller(ctx)
    if caller.key.kind != "session":
        raise AccessDenied("Cannot call GetScopedCredentials with long-term credentials")
    description = params.get("ScopedSessionDescription")
    if description is not None and (not isinstance(description, str) or len(description) > 256):
        raise constraint_error(
            description, "scopedSessionDescription", "Member must have length less than or equal to 256"
        )
    policy = session_policy(params)
    seconds = _duration(params)
    token_size = _token_size(params)
    if policy is None and seconds is None:
        raise ValidationError("At least one of Policy or DurationSeconds must be specified.")
    s = dict(caller.key.session)
    ends = float(s["expires_at"])
    if seconds is not None:
        ends = min(ends, ctx.now + seconds)
    chain = list(s.get("scope_policies") or []) + ([policy] if policy is not None else [])
    role = find_role(ctx.tx, str(s["role_arn"])) if s.get("role_arn") else None
    issued = issue_session(
        ctx.tx,
        account_id=str(s["account_id"]),
        kind=str(s["kind"]),
        arn=str(s["arn"]),
        duration=max(1, int(ends - ctx.now)),
        role=role,
        user_key=s.get("user_key"),
        session_name=s.get("session_name"),
        policy=s.get("policy"),
        policy_arns=s.get("policy_arns") or (),
        tags=s.get("tags") or None,
        transitive_tag_keys=s.get("transitive_tag_keys") or (),
        source_identity=s.get("source_identity"),
        mfa=bool(s.get("mfa")),
        mfa_authenticated_at=s.get("mfa_authenticated_at"),
        chained=bool(s.get("chained")),
        provider=s.get("provider"),
        federation=s.get("federation") or None,
        scope_policies=chain,
        expires_at=ends,
    )
    issued = _padded(ctx, issued, token_size)
    result: Result = {
        "Credentials": credentials(issued),
        "SessionTokenSize": len(issued.session_token),
        "ScopedPoliciesCount": len(chain),
    }
    if s.get("source_identity"):
        result["SourceIdentity"] = s["source_identity"]
    return result
