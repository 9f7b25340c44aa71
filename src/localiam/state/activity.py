"""Which IAM entities used which services, for IAM's last accessed reports (IAM User Guide
``access_policies_last-accessed``: "the last time an IAM entity ... attempted to access an AWS
service", counted for requests that were allowed; role sessions count for their role).

The server notes every allowed request of a user or a role session in memory, cheaply (a dict
update under a lock); the notes are written to the store, in ``iam_access_activity``, by the
first write transaction that asks for them (``GenerateServiceLastAccessedDetails``), and reports
read the store. What a process noted and never wrote is lost when it stops, as are the notes of
the requests made since the last report was generated.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from localiam.engine import Decision, Principal, PrincipalKind
from localiam.state import schema
from localiam.state.store import Tx

_TRACKED = frozenset({PrincipalKind.USER, PrincipalKind.ASSUMED_ROLE})


@dataclass(frozen=True, slots=True)
class Access:
    account_id: str
    entity_arn: str
    action: str
    region: str
    at: float


class ActivityLog:
    """Allowed requests by entity and action, latest only."""

    def __init__(self) -> None:
        self._notes: dict[tuple[str, str, str], Access] = {}
        self._lock = threading.Lock()

    def note(self, account_id: str, entity_arn: str, action: str, region: str, at: float) -> None:
        with self._lock:
            self._notes[(account_id, entity_arn, action.lower())] = Access(account_id, entity_arn, action, region, at)

    def note_decisions(self, principal: Principal, decisions: Sequence[Decision], region: str, at: float) -> None:
        """Note the allowed decisions of a request made by ``principal``: a user's, or a role
        session's for its role (decisions made for other callers, such as a trust policy's for
        a federated user, are not the principal's use)."""
        if principal.kind not in _TRACKED or not principal.account:
            return
        for decision in decisions:
            if decision.allowed and decision.subject[0] == principal.arn:
                self.note(principal.account, principal.principal_arn, decision.subject[1], region, at)

    def write(self, tx: Tx, account_id: str) -> None:
        """Write the notes of ``account_id`` into the store (inside a write transaction)."""
        with self._lock:
            mine = [a for k, a in self._notes.items() if k[0] == account_id]
            for access in mine:
                self._notes.pop((access.account_id, access.entity_arn, access.action.lower()), None)
        t = schema.iam_access_activity
        for access in mine:
            service, _, name = access.action.partition(":")
            where = (
                (t.c.account_id == access.account_id)
                & (t.c.entity_arn == access.entity_arn)
                & (t.c.action == access.action.lower())
            )
            found = tx.one_or_none(select(t.c.last_at).where(where))
            values = {"service": service.lower(), "action_name": name, "region": access.region, "last_at": access.at}
            if found is None:
                tx.execute(
                    t.insert().values(
                        account_id=access.account_id,
                        entity_arn=access.entity_arn,
                        action=access.action.lower(),
                        **values,
                    )
                )
            elif float(found.last_at) < access.at:
                tx.execute(t.update().where(where).values(**values))


def accesses(tx: Tx, account_id: str, entity_arns: list[str]) -> list[Access]:
    """What the store holds of ``entity_arns``' use of services."""
    if not entity_arns:
        return []
    t = schema.iam_access_activity
    rows = tx.execute(select(t).where(t.c.account_id == account_id, t.c.entity_arn.in_(entity_arns)))
    return [
        Access(r.account_id, r.entity_arn, f"{r.service}:{r.action_name}", r.region, float(r.last_at)) for r in rows
    ]
