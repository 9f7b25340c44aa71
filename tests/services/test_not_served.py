"""Issue 20's rule: every IAM and STS operation of botocore's models is served, or listed in
``localiam.services.not_served`` with the reason it is not."""

from __future__ import annotations

import botocore.session
import pytest

from localiam.services.iam import SERVICE as IAM
from localiam.services.not_served import INSIDE_AWS, NOT_YET, not_served
from localiam.services.sts import SERVICE as STS

SERVICES = {"iam": IAM, "sts": STS}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_operation_is_served_or_listed_with_a_reason(name):
    model = botocore.session.get_session().get_service_model(name)
    served = set(SERVICES[name].operations)
    listed = not_served(name)
    assert sorted(op for op in model.operation_names if op not in served and op not in listed) == []
    assert sorted(op for op in listed if op in served) == []
    assert sorted(op for op in listed if op not in model.operation_names) == []
    assert all(reason.strip().endswith(".") for reason in listed.values())


def test_an_operation_is_listed_once():
    for name in SERVICES:
        assert set(INSIDE_AWS.get(name, {})).isdisjoint(NOT_YET.get(name, {}))
