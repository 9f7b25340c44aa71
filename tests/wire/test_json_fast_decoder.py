"""The JSON protocols decode a request in one pass that names no paths, and decode it again
with paths when that pass fails, for Coral's message (``json_protocol._decoder``). Both must
give the same params for every request the precise walk takes, in the same member order, and
the fast pass must fail on every request the precise walk refuses: checked here on random
documents, mostly well-typed and sometimes not, for every operation of the JSON services."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from localiam.errors import AwsError
from localiam.wire.json_protocol import _decoder, _structure
from localiam.wire.models import operation, service_model

SERVICES = ("dynamodb", "cognito-idp", "cognito-identity", "organizations")
WRONG = (1, 1.5, True, "text", [], {}, None)


def document(shape: Any, rng: random.Random, depth: int = 0) -> Any:
    """A JSON value for ``shape``; about one value in 25 of the wrong type."""
    if rng.random() < 0.04:
        return rng.choice(WRONG)
    kind = shape.type_name
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return {"any": [1, "two", None]}
        members = list(shape.members.items())
        if depth > 3:
            members = members[:1]
        chosen = rng.sample(members, k=min(len(members), rng.randint(0, 4)))
        out = {str(m.serialization.get("name", name)): document(m, rng, depth + 1) for name, m in chosen}
        if rng.random() < 0.1:
            out["NotAMember"] = "ignored"
        return out
    if kind == "list":
        return [document(shape.member, rng, depth + 1) for _ in range(rng.randint(0, 3 if depth < 4 else 0))]
    if kind == "map":
        return {f"k{i}": document(shape.value, rng, depth + 1) for i in range(rng.randint(0, 3 if depth < 4 else 0))}
    if kind == "string":
        return rng.choice(["a", "", "ü" * 3])
    if kind == "blob":
        return rng.choice([base64.b64encode(b"bytes").decode(), "not base64!"])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "long"):
        return rng.randint(-3, 3)
    if kind in ("float", "double"):
        return rng.choice([1.5, 2, "NaN", "Infinity"])
    if kind == "timestamp":
        return rng.choice([1700000000, 1700000000.5, "2024-01-02T03:04:05Z", "yesterday"])
    return "x"


@pytest.mark.parametrize("service", SERVICES)
def test_the_fast_pass_decodes_as_the_precise_walk(service: str) -> None:
    rng = random.Random(f"fast-decoder {service}")
    made: dict[str, Any] = {}
    compared = refused = 0
    for name in service_model(service).operation_names:
        op = operation(service, name)
        assert op is not None
        if op.input_shape is None:
            continue
        for _ in range(12):
            body = document(op.input_shape, rng)
            if not isinstance(body, dict):
                continue
            try:
                expected = _structure(op.input_shape, body, "")
            except AwsError:
                with pytest.raises(Exception):  # noqa: B017 - any failure: the walk names it
                    _decoder(op.input_shape, made)(body)
                refused += 1
                continue
            got = _decoder(op.input_shape, made)(body)
            assert got == expected, (name, body)
            assert repr(got) == repr(expected), (name, body)  # the same order, all the way down
            compared += 1
    assert compared > 50 and refused > 5
