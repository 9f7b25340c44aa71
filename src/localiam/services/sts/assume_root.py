"""``AssumeRoot``: a privileged session as the root user of a member account, scoped to one
task policy (STS API Reference ``API_AssumeRoot``; IAM User Guide
``id_root-user-privileged-task``).

"You must use credentials from an Organizations management account or a delegated
administrator account for IAM to call AssumeRoot. You cannot use root user credentials to make
this call. Before you can launch a privileged session, you must have centralized root access in
your organization" (IAM's ``EnableOrganizationsRootSessions``). The target is a member
account's id (or ``arn:aws:iam::ACCOUNT:root``); the task policy is one of the AWS managed
``root-task/`` policies and becomes the session policy: the session acts as
``arn:aws:iam::ACCOUNT:root`` and may do only what that policy allows (SCPs still apply).
Sessions last at most 900 seconds, 900 by default.

The caller needs ``sts:AssumeRoot`` on the target's root ARN, with ``sts:TaskPolicyArn``
(Service Authorization Reference, ``list_awssecuritytokenservice``). The refusals for a
caller that is not allowed by the organization's set-up are ``AccessDenied`` in localiam's
words (AWS documents no wording for them).
"""

from __future__ import annotations

import re

from localiam.errors import AccessDenied, ValidationError
from localiam.services.base import OperationContext, Params, Result
from localiam.services.sts._service import SERVICE, credential_kind, credentials, duration, signed_caller
from localiam.state import iam_store, schema
from localiam.state.aws_managed import AWS_MANAGED_PREFIX, ROOT_TASK_POLICIES
from localiam.state.org_store import organization_of
from localiam.state.sts_store import issue_session

MAX_DURATION = 900
TASK_POLICIES = tuple(AWS_MANAGED_PREFIX + name for name in ROOT_TASK_POLICIES)
_TARGET = re.compile(r"(\d{12})|arn:aws:iam::(\d{12}):root")


def _target(params: Params) -> str:
    raw = str(params.get("TargetPrincipal") or "")
    match = _TARGET.fullmatch(raw)
    if match is None:
        raise ValidationError(f"The TargetPrincipal {raw} is not an account id or an account's root user ARN.")
    return match.group(1) or match.group(2)


def _task_policy(params: Params) -> str:
    descriptor = params.get("TaskPolicyArn") or {}
    return str(descriptor.get("arn") or "") if isinstance(descriptor, dict) else ""


def _resource(ctx: OperationContext, params: Params) -> str:
    return f"arn:aws:iam::{_target(params)}:root"


def _keys(ctx: OperationContext, params: Params) -> dict[str, str | list[str]]:
    arn = _task_policy(params)
    return {"sts:TaskPolicyArn": arn} if arn else {}


@SERVICE.operation("AssumeRoot", action="sts:AssumeRoot", resource=_resource, condition_keys=_keys, writes=True)
def assume_root(ctx: OperationContext, params: Params) -> Result:
    caller = signed_caller(ctx)
    if credential_kind(caller) in ("root", "root-session"):
        raise AccessDenied("AssumeRoot cannot be called with root user credentials.")
    target = _target(params)
    task_policy = _task_policy(params)
    if task_policy not in TASK_POLICIES:
        raise ValidationError(f"The TaskPolicyArn {task_policy} is not a root task policy.")
    seconds = duration(params, default=MAX_DURATION, minimum=0, maximum=MAX_DURATION)
    org = organization_of(ctx.tx, ctx.account_id)
    if org is None or org.management_account != ctx.account_id:
        raise AccessDenied("AssumeRoot can be called only from the management account of an organization.")
    settings = iam_store.one(ctx.tx, schema.iam_account_settings, account_id=org.management_account)
    if settings is None or not settings["root_sessions"]:
        raise AccessDenied("The organization has not enabled root sessions (EnableOrganizationsRootSessions).")
    member = organization_of(ctx.tx, target)
    if member is None or member.id != org.id or target == org.management_account:
        raise AccessDenied(f"The account {target} is not a member account of the organization {org.id}.")
    issued = issue_session(
        ctx.tx,
        account_id=target,
        kind="assumed-root",
        arn=f"arn:aws:iam::{target}:root",
        duration=seconds,
        policy_arns=(task_policy,),
    )
    return {"Credentials": credentials(issued)}
