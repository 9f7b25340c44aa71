"""Account-wide IAM settings kept in one row per account (``iam_account_settings``): the
password policy and its check, the account alias, when the credential report was generated,
the STS global endpoint's token version and the organization's centralized root access.

``check_against_policy`` applies the account password policy (IAM User Guide
``id_credentials_passwords_account-policy``) to a new password; ``PasswordPolicyViolation``
"Password does not conform to the account password policy." is AWS's observed answer.
"""

from __future__ import annotations

import json
from typing import Any

from localiam.errors import client_error
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row
from localiam.state.store import Tx

SYMBOLS = set("!@#$%^&*()_+-=[]{}|'")
"""``id_credentials_passwords_account-policy``: "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"."""


def settings_of(tx: Tx, account_id: str) -> Row | None:
    return iam_store.one(tx, schema.iam_account_settings, account_id=account_id)


def policy_of(tx: Tx, account_id: str) -> dict[str, Any] | None:
    row = iam_store.one(tx, schema.iam_account_settings, account_id=account_id)
    if row is None or not row["password_policy"]:
        return None
    return dict(json.loads(row["password_policy"]))


def save_setting(tx: Tx, account_id: str, **values: Any) -> None:
    """Set account settings, creating the account's row on first use."""
    if not iam_store.change(tx, schema.iam_account_settings, {"account_id": account_id}, **values):
        defaults = {"root_credentials_management": False, "root_sessions": False, "outbound_enabled": False}
        iam_store.add(tx, schema.iam_account_settings, account_id=account_id, **{**defaults, **values})


def check_against_policy(tx: Tx, account_id: str, password: str) -> None:
    policy = policy_of(tx, account_id)
    if policy is None:
        return
    problems = [
        len(password) < int(policy["MinimumPasswordLength"]),
        policy["RequireSymbols"] and not any(c in SYMBOLS for c in password),
        policy["RequireNumbers"] and not any(c.isdigit() for c in password),
        policy["RequireUppercaseCharacters"] and not any("A" <= c <= "Z" for c in password),
        policy["RequireLowercaseCharacters"] and not any("a" <= c <= "z" for c in password),
    ]
    if any(problems):
        raise client_error("PasswordPolicyViolation", "Password does not conform to the account password policy.", 400)
