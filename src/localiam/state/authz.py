"""The bridge from the durable store to the engine: who is calling (from the access key the
request was signed with) and every policy that bears on a request.

- An IAM user's identity policies: its attached managed policies (their default version),
  its inline policies, and those of every group it belongs to; a role session's: its role's
  current policies (AWS evaluates the role's permissions at request time).
- A role session's principal tags are the role's tags overridden by the session tags
  (``id_session-tags``); its session policies are the inline policy and managed ARNs passed to
  the call that created it (``access_policies``, session policies).
- SCPs bind the principal's account, RCPs the resource's, each as root → OUs → account
  levels, and only once the policy type is enabled on the root (``orgs_manage_policies_scps``).

Compiled policies are cached by document text, so a policy is parsed once however many
principals use it. What a request needs before the engine runs is cached too, per access key
(its :class:`KeyRecord` and :class:`Caller`) and per account (organization, SCP and RCP
chains): each entry remembers the accounts it was built from and the store's
:class:`~localiam.state.store.VersionWatch` epoch taken before it was read, and is used only
while none of those accounts changed since (``Store.write`` bumps an account's version when a
transaction touches it; the watch learns of other processes' writes). A transaction that has
written does not use or fill the caches: it sees state no other transaction has.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from localiam.engine import (
    CompiledPolicy,
    OrganizationPolicies,
    PolicyInputs,
    Principal,
    PrincipalKind,
    compile_policy,
)
from localiam.engine.compiled import AclGrant
from localiam.policy.model import PolicyType
from localiam.policy.parse import parse_policy
from localiam.state import schema
from localiam.state.accounts import KeyRecord, lookup_key
from localiam.state.activity import ActivityLog
from localiam.state.aws_managed import AWS_MANAGED, RCP_FULL_AWS_ACCESS
from localiam.state.store import Store, Tx, VersionWatch
from localiam.state.world import canonical_user_id

SCP_TYPE = "SERVICE_CONTROL_POLICY"
NO_PERMISSIONS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "none:NoAction", "Resource": "*"}],
}
"""Stands in for session policies that no longer resolve: such a session may do nothing."""
ROOT_PERMISSIONS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
"""The identity side of a federated user the root user made: the root user may do everything."""
RCP_TYPE = "RESOURCE_CONTROL_POLICY"
_NONE = object()
"""A cached "there is none"."""


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller and the policies attached to it."""

    principal: Principal
    key: KeyRecord
    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    session: tuple[CompiledPolicy, ...] = ()
    user_key: str | None = None
    scoped: tuple[CompiledPolicy, ...] = ()
    """The scope-down policies of a ``GetScopedCredentials`` session, each of which must allow."""


class PolicyCache:
    """Compiled policies keyed by (name, type, document text); bounded LRU."""

    def __init__(self, size: int = 8192) -> None:
        self._items: OrderedDict[tuple[str, PolicyType, str], CompiledPolicy | None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, name: str, document: str, policy_type: PolicyType) -> CompiledPolicy | None:
        key = (name, policy_type, document)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        parsed = parse_policy(document).value
        compiled = compile_policy(name, parsed, policy_type) if parsed is not None else None
        with self._lock:
            self._items[key] = compiled
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return compiled


class _Entry:
    __slots__ = ("deps", "epoch", "value")

    def __init__(self, epoch: int, deps: tuple[str, ...], value: Any) -> None:
        self.epoch = epoch
        self.deps = deps
        self.value = value


class StateCache:
    """Values derived from the store, keyed by anything hashable; bounded LRU. An entry is
    returned only while the accounts it depends on did not change after its epoch."""

    def __init__(self, size: int = 16384) -> None:
        self._items: OrderedDict[Any, _Entry] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, watch: VersionWatch, key: Any) -> Any:
        # A hit takes no lock: each OrderedDict call is atomic under the GIL, and a concurrent
        # eviction of the entry only costs its move to the recent end.
        items = self._items
        entry = items.get(key)
        if entry is None:
            return None
        if not watch.fresh(entry.deps, entry.epoch):
            with self._lock:
                if items.get(key) is entry:
                    del items[key]
            return None
        try:  # noqa: SIM105 - suppress() costs a context manager per hit
            items.move_to_end(key)
        except KeyError:
            pass
        return entry.value

    def put(self, key: Any, epoch: int, deps: tuple[str, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = _Entry(epoch, deps, value)
            self._items.move_to_end(key)
            if len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4] else None


class Authz:
    """Builds engine inputs from the store, and caches them (``caching=False`` to turn that off)."""

    def __init__(self, store: Store, *, caching: bool = True) -> None:
        self.store = store
        self.caching = caching
        self.policies = PolicyCache()
        self.keys = StateCache()
        self.callers = StateCache()
        self.orgs = StateCache()
        self.derived_values = StateCache()
        self.rows: dict[Any, tuple[int, Any]] = {}
        self._rows_lock = threading.Lock()
        self.activity = ActivityLog()
        nothing = self.policies.get("no permissions", json.dumps(NO_PERMISSIONS), PolicyType.SESSION)
        assert nothing is not None
        self._no_permissions = nothing
        everything = self.policies.get("the root user's permissions", json.dumps(ROOT_PERMISSIONS), PolicyType.IDENTITY)
        assert everything is not None
        self._root_permissions = everything

    # --------------------------------------------------------------------- caches
    def _watch(self, tx: Tx) -> VersionWatch | None:
        """The watch to check cached values against in ``tx``, or ``None`` when ``tx`` may
        neither use nor fill the caches (caching off, it wrote, or it began before the watch
        existed so its snapshot has no epoch)."""
        if not self.caching or tx.wrote:
            return None
        if tx.epoch is None:
            if tx.connected:
                self.store.watch()  # from the next transaction on
                return None
            watch = self.store.watch()
            watch.refresh()
            tx.epoch = watch.epoch
            tx.generation = watch.generation
            return watch
        return self.store._watch

    def derived(self, tx: Tx, key: Any, compute: Callable[[], tuple[Any, tuple[str, ...]]]) -> Any:
        """A value another layer derives from the store (an S3 bucket's settings), cached
        while the accounts it depends on are unchanged. ``compute`` returns the value and
        those accounts; ``None`` is never cached (wrap an absence in a tuple to cache it)."""
        watch = self._watch(tx)
        if watch is not None:
            hit = self.derived_values.get(watch, key)
            if hit is not None:
                return hit
        value, deps = compute()
        if value is not None and watch is not None and tx.epoch is not None and not tx.wrote:
            self.derived_values.put(key, tx.epoch, deps, value)
        return value

    def row(self, tx: Tx, key: Any, load: Callable[[], Any]) -> Any:
        """A row of state that changes without touching any account (an S3 object), cached
        only while no write at all was committed since (:attr:`VersionWatch.generation`)."""
        watch = self._watch(tx)
        generation = tx.generation
        if watch is None or generation is None or not watch.tracks_every_write:
            return load()
        hit = self.rows.get(key)
        if hit is not None and hit[0] == generation == watch.generation:
            return hit[1]
        value = load()
        with self._rows_lock:
            self.rows[key] = (generation, value)
            if len(self.rows) > 16384:
                self.rows.pop(next(iter(self.rows)))
        return value

    def key(self, tx: Tx, access_key_id: str) -> KeyRecord | None:
        """The store's record of an access key (:func:`lookup_key`), cached; unknown keys are
        looked up every time, so a key issued by another process works at once."""
        watch = self._watch(tx)
        if watch is not None:
            hit = self.keys.get(watch, access_key_id)
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        record = lookup_key(tx, access_key_id)
        if watch is not None and record is not None and tx.epoch is not None and not tx.wrote:
            self.keys.put(access_key_id, tx.epoch, (record.account_id,), record)
        return record

    # --------------------------------------------------------------------- policies
    def managed(
        self,
        tx: Tx,
        arn: str,
        policy_type: PolicyType = PolicyType.IDENTITY,
        deps: set[str] | None = None,
    ) -> CompiledPolicy | None:
        """The default version of a managed policy (customer or AWS managed). ``deps``
        collects the account the policy lives in."""
        if arn in AWS_MANAGED:
            return self.policies.get(arn, json.dumps(AWS_MANAGED[arn]), policy_type)
        if deps is not None:
            deps.add(_account_of(arn) or "")
        mp = schema.managed_policies
        pv = schema.policy_versions
        row = tx.one_or_none(
            select(pv.c.document)
            .select_from(mp.join(pv, (pv.c.policy_arn == mp.c.arn) & (pv.c.version_id == mp.c.default_version)))
            .where(mp.c.arn == arn)
        )
        return self.policies.get(arn, row.document, policy_type) if row is not None else None

    def _attached(
        self, tx: Tx, account_id: str, principal_type: str, key: str, deps: set[str] | None = None
    ) -> list[CompiledPolicy]:
        t = schema.attachments
        rows = tx.execute(
            select(t.c.policy_arn)
            .where(t.c.account_id == account_id, t.c.principal_type == principal_type, t.c.principal_key == key)
            .order_by(t.c.attached_at, t.c.policy_arn)
        )
        out = []
        for row in rows:
            compiled = self.managed(tx, row.policy_arn, deps=deps)
            if compiled is not None:
                out.append(compiled)
        return out

    def _inline(self, tx: Tx, account_id: str, principal_type: str, key: str, owner_arn: str) -> list[CompiledPolicy]:
        t = schema.inline_policies
        rows = tx.execute(
            select(t.c.name, t.c.document)
            .where(t.c.account_id == account_id, t.c.principal_type == principal_type, t.c.principal_key == key)
            .order_by(t.c.name_key)
        )
        out = []
        for row in rows:
            compiled = self.policies.get(f"{owner_arn} inline policy {row.name}", row.document, PolicyType.IDENTITY)
            if compiled is not None:
                out.append(compiled)
        return out

    def _tags(self, tx: Tx, account_id: str, resource_type: str, key: str) -> dict[str, str]:
        t = schema.tags
        rows = tx.execute(
            select(t.c.key, t.c.value).where(
                t.c.account_id == account_id, t.c.resource_type == resource_type, t.c.resource_key == key
            )
        )
        return {row.key: row.value for row in rows}

    def user_policies(
        self, tx: Tx, account_id: str, user_key: str, deps: set[str] | None = None
    ) -> tuple[str, str, list[CompiledPolicy], CompiledPolicy | None, dict[str, str]] | None:
        """(user ARN, user id, identity policies, boundary, tags) of an IAM user. ``deps``
        collects the accounts of the managed policies it uses."""
        u = schema.users
        row = tx.one_or_none(select(u).where(u.c.account_id == account_id, u.c.name_key == user_key))
        if row is None:
            return None
        arn = f"arn:aws:iam::{account_id}:user{row.path}{row.name}"
        identity = self._attached(tx, account_id, "user", user_key, deps)
        identity += self._inline(tx, account_id, "user", user_key, arn)
        gm, g = schema.group_members, schema.groups
        groups = tx.execute(
            select(g.c.name_key, g.c.name, g.c.path)
            .select_from(gm.join(g, (gm.c.account_id == g.c.account_id) & (gm.c.group_key == g.c.name_key)))
            .where(gm.c.account_id == account_id, gm.c.user_key == user_key)
            .order_by(g.c.name_key)
        )
        for group in groups:
            group_arn = f"arn:aws:iam::{account_id}:group{group.path}{group.name}"
            identity += self._attached(tx, account_id, "group", group.name_key, deps)
            identity += self._inline(tx, account_id, "group", group.name_key, group_arn)
        boundary = self.managed(tx, row.boundary_arn, PolicyType.BOUNDARY, deps) if row.boundary_arn else None
        return arn, row.user_id, identity, boundary, self._tags(tx, account_id, "user", user_key)

    def role_row(self, tx: Tx, account_id: str, role_name: str) -> Any:
        r = schema.roles
        return tx.one_or_none(select(r).where(r.c.account_id == account_id, r.c.name_key == role_name.lower()))

    # --------------------------------------------------------------------- callers
    def caller(self, tx: Tx, key: KeyRecord) -> Caller | None:
        """The principal behind an access key, or ``None`` when it no longer exists; cached
        per access key."""
        watch = self._watch(tx)
        if watch is not None:
            hit = self.callers.get(watch, key.access_key_id)
            if hit is not None and (hit.key is key or hit.key == key):
                return hit  # type: ignore[no-any-return]
        deps = {key.account_id}
        caller = self._resolve_caller(tx, key, deps)
        if watch is not None and caller is not None and tx.epoch is not None and not tx.wrote:
            self.callers.put(key.access_key_id, tx.epoch, tuple(sorted(deps)), caller)
        return caller

    def _resolve_caller(self, tx: Tx, key: KeyRecord, deps: set[str]) -> Caller | None:
        account = key.account_id
        org_id, org_paths = self.org_of(tx, account)
        common: dict[str, Any] = {
            "canonical_user": canonical_user_id(account),
            "organization_id": org_id,
            "organization_paths": org_paths,
        }
        if key.kind == "root":
            p = Principal(PrincipalKind.ROOT, f"arn:aws:iam::{account}:root", account, user_id=account, **common)
            return Caller(p, key)
        if key.kind == "user":
            found = self.user_policies(tx, account, key.user_key or "", deps)
            if found is None:
                return None
            arn, user_id, identity, boundary, tags = found
            name = arn.rsplit("/", 1)[-1]
            p = Principal(PrincipalKind.USER, arn, account, name=name, user_id=user_id, tags=tags, **common)
            return Caller(p, key, tuple(identity), boundary, user_key=key.user_key)
        return self._session_caller(tx, key, common, deps)

    def _session_caller(self, tx: Tx, key: KeyRecord, common: dict[str, Any], deps: set[str]) -> Caller | None:
        caller = self._session_caller_unscoped(tx, key, common, deps)
        texts = key.session.get("scope_policies") or []
        if caller is None or not texts:
            return caller
        scoped = []
        for i, text in enumerate(texts):
            compiled = self.policies.get(f"{key.session['arn']} scope-down policy {i + 1}", text, PolicyType.SESSION)
            scoped.append(compiled if compiled is not None else self._no_permissions)
        return replace(caller, scoped=tuple(scoped))

    def _session_caller_unscoped(self, tx: Tx, key: KeyRecord, common: dict[str, Any], deps: set[str]) -> Caller | None:
        s = key.session
        account = key.account_id
        issued = _iso(s["issued_at"])
        # aws:MultiFactorAuthAge: only for a session whose MFA code was verified.
        mfa_at = s.get("mfa_authenticated_at")
        mfa_time = int(mfa_at) if s.get("mfa") and mfa_at is not None else None
        session_policies: list[CompiledPolicy] = []
        if s.get("policy"):
            compiled = self.policies.get(f"{s['arn']} session policy", s["policy"], PolicyType.SESSION)
            if compiled is not None:
                session_policies.append(compiled)
        for arn in s.get("policy_arns") or []:
            compiled = self.managed(tx, arn, PolicyType.SESSION, deps)
            if compiled is not None:
                session_policies.append(compiled)
        if (s.get("policy") or s.get("policy_arns")) and not session_policies:
            # The session was limited by policies that are gone: it stays limited, to nothing.
            session_policies.append(self._no_permissions)
        if s["kind"] == "assumed-role":
            role_name = s["role_arn"].rsplit("/", 1)[-1]
            row = self.role_row(tx, account, role_name)
            if row is None:
                return None
            role_arn = s["role_arn"]
            identity = self._attached(tx, account, "role", row.name_key, deps)
            identity += self._inline(tx, account, "role", row.name_key, role_arn)
            boundary = self.managed(tx, row.boundary_arn, PolicyType.BOUNDARY, deps) if row.boundary_arn else None
            tags = self._tags(tx, account, "role", row.name_key)
            tags.update(s.get("tags") or {})
            p = Principal(
                PrincipalKind.ASSUMED_ROLE,
                s["arn"],
                account,
                name=role_name,
                role_arn=role_arn,
                session_name=s["session_name"],
                user_id=f"{row.role_id}:{s['session_name']}",
                tags=tags,
                service_linked=bool(row.service_linked),
                provider=s.get("provider"),
                token_issue_time=issued,
                multi_factor_auth=bool(s.get("mfa")),
                multi_factor_auth_time=mfa_time,
                source_identity=s.get("source_identity"),
                federation={k: tuple(v) for k, v in (s.get("federation") or {}).items()},
                **common,
            )
            return Caller(p, key, tuple(identity), boundary, tuple(session_policies))
        if s["kind"] == "assumed-root":
            # AssumeRoot: the member account's root user, limited to the task policy.
            p = Principal(
                PrincipalKind.ROOT,
                f"arn:aws:iam::{account}:root",
                account,
                user_id=account,
                token_issue_time=issued,
                **common,
            )
            return Caller(p, key, (self._root_permissions,), None, tuple(session_policies) or (self._no_permissions,))
        if s["kind"] == "federated-user" and s.get("user_key") is None:
            # GetFederationToken called with the root user's keys: the root user's permissions
            # (everything) intersected with the session policies, so the session policies.
            p = _federated_user(s, account, issued, common)
            return Caller(p, key, (self._root_permissions,), None, tuple(session_policies))
        # GetFederationToken and GetSessionToken sessions act with the calling user's policies.
        if s.get("user_key") is None:
            p = Principal(
                PrincipalKind.ROOT,
                f"arn:aws:iam::{account}:root",
                account,
                user_id=account,
                token_issue_time=issued,
                multi_factor_auth=bool(s.get("mfa")),
                multi_factor_auth_time=mfa_time,
                **common,
            )
            return Caller(p, key)
        found = self.user_policies(tx, account, s["user_key"], deps)
        if found is None:
            return None
        arn, user_id, identity, boundary, tags = found
        if s["kind"] == "federated-user":
            p = _federated_user(s, account, issued, common)
            return Caller(p, key, tuple(identity), boundary, tuple(session_policies), user_key=s["user_key"])
        p = Principal(
            PrincipalKind.USER,
            arn,
            account,
            name=arn.rsplit("/", 1)[-1],
            user_id=user_id,
            tags=tags,
            token_issue_time=issued,
            multi_factor_auth=bool(s.get("mfa")),
            multi_factor_auth_time=mfa_time,
            **common,
        )
        return Caller(p, key, tuple(identity), boundary, user_key=s["user_key"])

    # --------------------------------------------------------------------- organizations
    def org_of(self, tx: Tx, account_id: str) -> tuple[str | None, tuple[str, ...]]:
        """(organization id, ``aws:PrincipalOrgPaths`` value) of a member or management
        account; cached per account (every change to an organization touches all its accounts)."""
        watch = self._watch(tx)
        if watch is not None:
            hit = self.orgs.get(watch, ("org", account_id))
            if hit is not None:
                return hit  # type: ignore[no-any-return]
        found = self._org_of(tx, account_id)
        if watch is not None and tx.epoch is not None and not tx.wrote:
            self.orgs.put(("org", account_id), tx.epoch, (account_id,), found)
        return found

    def _org_of(self, tx: Tx, account_id: str) -> tuple[str | None, tuple[str, ...]]:
        oa = schema.org_accounts
        row = tx.one_or_none(select(oa.c.org_id, oa.c.parent_id).where(oa.c.account_id == account_id))
        if row is None:
            return None, ()
        trail = self._trail(tx, row.parent_id)
        return row.org_id, ("/".join([row.org_id, *trail]) + "/",)

    def _trail(self, tx: Tx, parent_id: str) -> list[str]:
        """Ids from the root down to ``parent_id``."""
        ou = schema.org_units
        trail: list[str] = []
        current: str | None = parent_id
        while current is not None:
            trail.append(current)
            row = tx.one_or_none(select(ou.c.parent_id).where(ou.c.id == current))
            current = row.parent_id if row is not None else None
        return list(reversed(trail))

    def org_chain(self, tx: Tx, account_id: str | None, policy_type: str) -> OrganizationPolicies | None:
        """The SCP or RCP chain (root → OUs → account) that binds ``account_id``, or ``None``
        outside an organization or while the type is disabled; cached per account and type."""
        if account_id is None:
            return None
        watch = self._watch(tx)
        if watch is not None:
            hit = self.orgs.get(watch, (policy_type, account_id))
            if hit is not None:
                return None if hit is _NONE else hit
        chain = self._org_chain(tx, account_id, policy_type)
        if watch is not None and tx.epoch is not None and not tx.wrote:
            self.orgs.put((policy_type, account_id), tx.epoch, (account_id,), _NONE if chain is None else chain)
        return chain

    def _org_chain(self, tx: Tx, account_id: str, policy_type: str) -> OrganizationPolicies | None:
        oa, org = schema.org_accounts, schema.organizations
        row = tx.one_or_none(
            select(oa.c.parent_id, org.c.id, org.c.root_id, org.c.management_account)
            .select_from(oa.join(org, oa.c.org_id == org.c.id))
            .where(oa.c.account_id == account_id)
        )
        if row is None:
            return None
        pt = schema.org_policy_types
        enabled = tx.one_or_none(select(pt.c.type).where(pt.c.root_id == row.root_id, pt.c.type == policy_type))
        if enabled is None:
            return None
        kind = PolicyType.SCP if policy_type == SCP_TYPE else PolicyType.RCP
        levels = []
        trail = self._trail(tx, row.parent_id)
        for target in [*trail, account_id]:
            levels.append(self._attached_org_policies(tx, target, policy_type, kind))
        path = "/".join([row.id, *trail]) + "/"
        return OrganizationPolicies(
            tuple(levels),
            management_account=account_id == row.management_account,
            organization_id=row.id,
            paths=(path,),
        )

    def _attached_org_policies(
        self, tx: Tx, target: str, policy_type: str, kind: PolicyType
    ) -> tuple[CompiledPolicy, ...]:
        op, att = schema.org_policies, schema.org_policy_attachments
        rows = tx.execute(
            select(op.c.id, op.c.name, op.c.document)
            .select_from(att.join(op, att.c.policy_id == op.c.id))
            .where(att.c.target_id == target, op.c.type == policy_type)
            .order_by(op.c.id)
        )
        out = []
        for row in rows:
            compiled = self.policies.get(row.name, row.document, kind)
            if compiled is not None:
                out.append(compiled)
        if kind is PolicyType.RCP and not any(p.name == "RCPFullAWSAccess" for p in out):
            full = self.policies.get("RCPFullAWSAccess", json.dumps(RCP_FULL_AWS_ACCESS), kind)
            assert full is not None
            out.insert(0, full)
        return tuple(out)

    # --------------------------------------------------------------------- inputs
    def inputs(
        self,
        tx: Tx,
        caller: Caller | None,
        *,
        resource_account: str | None,
        resource_policy: CompiledPolicy | None = None,
        resource_must_allow: bool = False,
        acl_grants: tuple[AclGrant, ...] = (),
    ) -> PolicyInputs:
        principal_account = caller.principal.account if caller is not None else None
        return PolicyInputs(
            identity=caller.identity if caller else (),
            boundary=caller.boundary if caller else None,
            session=caller.session if caller else (),
            scoped=caller.scoped if caller else (),
            scps=self.org_chain(tx, principal_account, SCP_TYPE),
            rcps=self.org_chain(tx, resource_account, RCP_TYPE),
            resource=resource_policy,
            resource_must_allow=resource_must_allow,
            acl_grants=acl_grants,
        )

    def with_org(self, tx: Tx, principal: Principal) -> Principal:
        if principal.account is None:
            return principal
        org_id, paths = self.org_of(tx, principal.account)
        return replace(principal, organization_id=org_id, organization_paths=paths) if org_id else principal


def _federated_user(session: dict[str, Any], account: str, issued: str, common: dict[str, Any]) -> Principal:
    """The principal of a ``GetFederationToken`` session (``federated-user/NAME``)."""
    return Principal(
        PrincipalKind.FEDERATED_USER,
        session["arn"],
        account,
        name=session["session_name"],
        user_id=f"{account}:{session['session_name']}",
        tags=session.get("tags") or {},
        token_issue_time=issued,
        multi_factor_auth=bool(session.get("mfa")),
        **common,
    )


def _iso(epoch: float) -> str:
    import datetime as _dt

    # To the millisecond, as the IAM console writes the cut-off of AWSRevokeOlderSessions: a
    # session issued in the same second after a revocation is newer than it.
    moment = _dt.datetime.fromtimestamp(epoch, _dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
