"""Calling Organizations and STS handlers in a test world."""

from __future__ import annotations

import json
from typing import Any

from sts_harness import World

from localiam.services.organizations import SERVICE as ORGS

MGMT = "111111111111"


def orgs(world: World, key: str, operation: str, **params: Any) -> dict[str, Any]:
    return world.call(ORGS, operation, params, key)


def scp(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def new_policy(world: World, key: str, name: str, content: str, policy_type: str = "SERVICE_CONTROL_POLICY") -> str:
    result = orgs(world, key, "CreatePolicy", Name=name, Description=name, Type=policy_type, Content=content)
    return str(result["Policy"]["PolicySummary"]["Id"])
