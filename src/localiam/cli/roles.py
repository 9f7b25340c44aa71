"""``localiam roles revoke-sessions``: what the IAM console's "Revoke active sessions" button does.

IAM User Guide ``id_roles_use_revoke-sessions``: IAM "immediately attaches a policy named
``AWSRevokeOlderSessions`` to the role. The policy denies all access to users who assumed the
role before the moment you chose Revoke active sessions. Any user who assumes the role after
you chose Revoke active sessions is not affected"; choosing it again refreshes the time
stamp. "You cannot revoke the session for a service-linked role." The document is the one
``id_credentials_temp_control-access_disable-perms`` shows (a single ``Deny`` of ``*`` on
``*`` with ``DateLessThan`` ``aws:TokenIssueTime``); the time is written to the millisecond,
as the console writes it, so a session issued earlier in the same second is revoked too.

The policy is written straight into the store, in one transaction that bumps the account's
version, so a running ``localiam serve`` on the same data directory applies it to the very
next request.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import click

from localiam.cli.config import ROOT_CREDENTIALS, data_dir, database_url
from localiam.state import iam_store, schema
from localiam.state.store import Store, StoreError, Tx

POLICY_NAME = "AWSRevokeOlderSessions"


def _stamp(instant: _dt.datetime) -> str:
    """``2024-10-10T09:43:48.085Z``."""
    return instant.astimezone(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def revoke_document(issued_before: _dt.datetime) -> str:
    """The ``AWSRevokeOlderSessions`` policy for sessions issued before ``issued_before``."""
    stamp = _stamp(issued_before)
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": stamp}},
        },
    }
    return json.dumps(document, indent=2)


def revoke_older_sessions(tx: Tx, account_id: str, role_name: str, issued_before: _dt.datetime) -> str:
    """Put (or refresh) the role's ``AWSRevokeOlderSessions`` inline policy; the role's ARN.

    Raises :class:`click.ClickException` with IAM's wording when the role does not exist
    ("The role with name NAME cannot be found.") or is service-linked."""
    role = iam_store.one(tx, schema.roles, account_id=account_id, name_key=role_name.lower())
    if role is None:
        raise click.ClickException(f"NoSuchEntity: The role with name {role_name} cannot be found.")
    if role["service_linked"]:
        raise click.ClickException(f"You cannot revoke the sessions of the service-linked role {role['name']}.")
    owner = {"account_id": account_id, "principal_type": "role", "principal_key": role["name_key"]}
    document = revoke_document(issued_before)
    key = {**owner, "name_key": POLICY_NAME.lower()}
    if not iam_store.change(tx, schema.inline_policies, key, name=POLICY_NAME, document=document):
        iam_store.add(tx, schema.inline_policies, **key, name=POLICY_NAME, document=document)
    tx.touch(account_id)
    return f"arn:aws:iam::{account_id}:role{role['path']}{role['name']}"


def _management_account(directory: Path) -> str:
    path = directory / ROOT_CREDENTIALS
    try:
        return str(json.loads(path.read_text())["AccountId"])
    except (OSError, ValueError, KeyError) as exc:
        raise click.ClickException(f"cannot read the management account from {path}; pass --account-id") from exc


def _role_and_account(role: str, account_id: str | None) -> tuple[str, str | None]:
    """``ROLE`` is a name or a role ARN (whose account wins over none given)."""
    if not role.startswith("arn:"):
        return role, account_id
    parts = role.split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        raise click.BadParameter(f"{role} is not a role name or role ARN", param_hint="ROLE")
    if account_id is not None and account_id != parts[4]:
        raise click.BadParameter(f"{role} is not in account {account_id}", param_hint="ROLE")
    return parts[5].rsplit("/", 1)[-1], parts[4]


@click.group()
def roles() -> None:
    """Manage IAM roles."""


@roles.command("revoke-sessions")
@click.argument("role")
@click.option("--account-id", default=None, help="The role's account (default: the management account).")
@click.option("--data-dir", "data_dir_option", type=click.Path(path_type=Path, file_okay=False), default=None)
@click.option("--database", default=None, help="postgresql://... instead of the data dir's SQLite file.")
def revoke_sessions(role: str, account_id: str | None, data_dir_option: Path | None, database: str | None) -> None:
    """Deny every session of ROLE issued before now (inline policy AWSRevokeOlderSessions)."""
    name, account_id = _role_and_account(role, account_id)
    directory = data_dir(data_dir_option)
    account = account_id or _management_account(directory)
    try:
        store = Store(database_url(directory, database))
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        now = _dt.datetime.now(_dt.UTC)
        with store.write() as tx:
            arn = revoke_older_sessions(tx, account, name, now)
    finally:
        store.close()
    click.echo(f"Revoked the sessions of {arn} issued before {_stamp(now)} (inline policy {POLICY_NAME}).")
