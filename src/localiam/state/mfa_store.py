"""Virtual MFA devices in the store (rows of :data:`localiam.state.schema.mfa_devices`).

The seed is a secret (``API_CreateVirtualMFADevice``: "protect the seed information as you
would your AWS access keys or your passwords"): the one statement that carries it, the insert,
never lets its parameters reach an error or a log (SQLAlchemy prints a failed statement's
parameters in its exception text). Accepting a code moves the device's ``last_used_step``
forward with one conditional update, so two requests racing with the same code cannot both
win, on SQLite or PostgreSQL (RFC 6238 section 5.2: "the verifier MUST NOT accept the second
attempt of the OTP after the successful validation has been issued for the first OTP").
"""

from __future__ import annotations

from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError

from localiam.state import schema
from localiam.state.store import Tx


class DeviceWriteFailed(RuntimeError):
    """Storing a device failed; the message names the device, never its seed."""


def serial_key(serial_number: str) -> str:
    """Serial numbers name devices case-insensitively, as IAM names users (a second device
    ``Mfa1`` beside ``mfa1`` is "MFADevice entity at the same path and name already exists.")."""
    return serial_number.lower()


def add_device(tx: Tx, *, account_id: str, serial_number: str, seed: str, created_at: float) -> None:
    """Insert a new, unassigned device."""
    values = {
        "account_id": account_id,
        "serial_key": serial_key(serial_number),
        "serial_number": serial_number,
        "seed": seed,
        "user_key": None,
        "enabled_at": None,
        "last_used_step": None,
        "drift": 0,
        "created_at": created_at,
    }
    try:
        tx.execute(schema.mfa_devices.insert().values(**values))
    except SQLAlchemyError:
        # ``from None``: the original exception's text holds the statement's parameters.
        raise DeviceWriteFailed(f"could not store MFA device {serial_number}") from None


def accept_step(
    tx: Tx,
    account_id: str,
    key: str,
    step: int,
    *,
    newer_than: int | None = None,
    unassigned_only: bool = False,
    **changes: object,
) -> bool:
    """Record that a code of ``step`` was accepted (and apply ``changes``), unless a code of a
    step from ``newer_than`` (default: ``step``) on was already accepted, or, with
    ``unassigned_only``, the device is enabled for a user meanwhile; ``False`` then, and
    nothing changes."""
    t = schema.mfa_devices
    after = step if newer_than is None else newer_than
    conditions = [
        t.c.account_id == account_id,
        t.c.serial_key == key,
        or_(t.c.last_used_step.is_(None), t.c.last_used_step < after),
    ]
    if unassigned_only:
        conditions.append(t.c.user_key.is_(None))
    stmt = update(t).where(*conditions).values(last_used_step=step, **changes)
    return int(tx.execute(stmt).rowcount) == 1
