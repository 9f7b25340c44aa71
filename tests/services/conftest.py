"""Calling service operations the way the server will: inside one ``store.write()``
transaction, authorize the operation's declared action (resource ARN, condition keys,
resource facts) for the caller behind an access key, then run the handler.

Every successful result is checked against botocore's output shape for the operation, so a
handler cannot return a member, a type or a missing required field that boto3 would not see
from AWS.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import pytest
from botocore.model import Shape

from localiam.errors import AwsError
from localiam.policy import catalog
from localiam.services.base import OperationContext, Params, Result, Service
from localiam.state.accounts import create_account, lookup_key
from localiam.state.authz import Authz
from localiam.state.store import Store

_MODELS: dict[str, Any] = {}


def service_model(name: str) -> Any:
    if name not in _MODELS:
        _MODELS[name] = botocore.session.get_session().get_service_model(name)
    return _MODELS[name]


def check_shape(shape: Shape, value: Any, where: str = "") -> None:
    """``value`` fits botocore's ``shape``: known members only, required ones present, types right."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), f"{where}: expected a structure, got {value!r}"
        unknown = set(value) - set(shape.members)
        assert not unknown, f"{where}: members {sorted(unknown)} are not in {shape.name}"
        missing = [m for m in shape.required_members if m not in value]
        assert not missing, f"{where}: required members {missing} of {shape.name} are missing"
        for name, member in value.items():
            check_shape(shape.members[name], member, f"{where}.{name}")
    elif kind == "list":
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        for i, item in enumerate(value):
            check_shape(shape.member, item, f"{where}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), f"{where}: expected a map"
        for k, v in value.items():
            check_shape(shape.key, k, f"{where} key")
            check_shape(shape.value, v, f"{where}[{k}]")
    elif kind == "string":
        assert isinstance(value, str), f"{where}: expected a string, got {value!r}"
    elif kind in ("integer", "long"):
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: expected an integer, got {value!r}"
    elif kind == "boolean":
        assert isinstance(value, bool), f"{where}: expected a boolean, got {value!r}"
    elif kind == "blob":
        assert isinstance(value, bytes), f"{where}: expected bytes, got {type(value).__name__}"
    elif kind == "timestamp":
        assert isinstance(value, dt.datetime) and value.tzinfo is not None, f"{where}: expected an aware datetime"
    else:  # pragma: no cover - shapes IAM does not use
        raise AssertionError(f"{where}: unchecked shape type {kind}")


def check_output(service: str, operation: str, result: Result) -> None:
    output = service_model(service).operation_model(operation).output_shape
    if output is None:
        assert result == {}, f"{operation} has no output, returned {result!r}"
    else:
        check_shape(output, result, operation)


def check_declaration(action: str, resource: str, keys: Mapping[str, object]) -> None:
    """What an operation declares agrees with the Service Authorization Reference: the
    resource is of a type the action takes (or ``*`` when it takes none; the root user's ARN
    stands for the root user), and every condition key is one the action supports."""
    prefix, name = action.split(":", 1)
    patterns = catalog.resource_arn_patterns(prefix, name)
    if patterns:
        assert resource.endswith(":root") or any(fnmatch.fnmatchcase(resource, p) for p in patterns), (action, resource)
    else:
        # Actions with no resource type: ``*``, or what IAM prints for a listing
        # (``arn:aws:iam::ACCOUNT:user/`` for ListUsers, ``policy path /`` for ListPolicies).
        listing = re.fullmatch(r"arn:aws:iam::\d{12}:(user|role|group)/.*|policy path /.*", resource)
        assert resource == "*" or listing is not None, (action, resource)
    for key in keys:
        assert catalog.action_supports_condition_key(prefix, name, key), f"{action} does not support {key}"


def invoke(store: Store, authz: Authz, service: Service, key_id: str, operation: str, params: Params) -> Result:
    """Authorize the declared action, then run the handler, in one write transaction."""
    op = service.operations[operation]
    with store.write() as tx:
        record = lookup_key(tx, key_id)
        caller = authz.caller(tx, record) if record is not None else None
        ctx = OperationContext(store, authz, tx, caller, service)
        if op.action is not None:
            resource = op.resource(ctx, params) if op.resource is not None else "*"
            keys = op.condition_keys(ctx, params) if op.condition_keys is not None else None
            check_declaration(op.action, resource, keys or {})
            facts = op.resource_policy(ctx, params) if op.resource_policy is not None else None
            ctx.authorize(op.action, resource, context=keys, resource_policy=facts)
        return op.handler(ctx, params)


@dataclass
class Client:
    """Calls one service's operations with one access key: ``client("CreateUser", UserName="x")``."""

    store: Store
    authz: Authz
    service: Service
    key_id: str
    account_id: str
    calls: list[str] = field(default_factory=list)

    def __call__(self, operation: str, **params: Any) -> Result:
        before = self.version()
        result = invoke(self.store, self.authz, self.service, self.key_id, operation, params)
        check_output(self.service.name, operation, result)
        if self.service.operations[operation].writes:
            assert self.version() > before, f"{operation} did not touch the account's version"
        self.calls.append(operation)
        return result

    def version(self) -> int:
        with self.store.read() as tx:
            return self.store.versions(tx, {self.account_id}).get(self.account_id, 0)

    def raw(self, operation: str, **params: Any) -> Result:
        """Without the output-shape check (root-user answers leave out user fields)."""
        return invoke(self.store, self.authz, self.service, self.key_id, operation, params)

    def error(self, operation: str, **params: Any) -> AwsError:
        with pytest.raises(AwsError) as info:
            self(operation, **params)
        return info.value

    def with_key(self, key_id: str) -> Client:
        return Client(self.store, self.authz, self.service, key_id, self.account_id)


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.ephemeral()
    yield s
    s.close()


@pytest.fixture
def client_for(store: Store) -> Callable[[Service], Client]:
    """A client of ``service`` holding the root credentials of a fresh account."""
    authz = Authz(store)
    with store.write() as tx:
        root = create_account(tx)

    def make(service: Service) -> Client:
        return Client(store, authz, service, root.access_key_id, root.account_id)

    return make
