"""Which services a policy grants (``services/iam/granting.py``), and the names of
service-linked roles (``services/iam/service_linked.py``)."""

from __future__ import annotations

import json

import pytest

from localiam.errors import AwsError
from localiam.services.iam.granting import services_granted
from localiam.services.iam.service_linked import role_name_for


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_an_allow_grants_the_services_of_its_actions():
    document = _doc({"Effect": "Allow", "Action": ["s3:GetObject", "IAM:List*"], "Resource": "*"})
    assert services_granted(document) == {"s3", "iam"}


def test_a_deny_grants_nothing_and_wildcard_prefixes_expand():
    assert services_granted(_doc({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})) == set()
    granted = services_granted(_doc({"Effect": "Allow", "Action": "cognito-*:*", "Resource": "*"}))
    assert {"cognito-idp", "cognito-identity"} <= granted
    assert all(p.startswith("cognito-") for p in granted)


def test_everything_and_not_action_grant_every_service():
    assert len(services_granted(_doc({"Effect": "Allow", "Action": "*", "Resource": "*"}))) > 300
    assert len(services_granted(_doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))) > 300


@pytest.mark.parametrize(
    ("service", "suffix", "name"),
    [
        ("autoscaling.amazonaws.com", None, "AWSServiceRoleForAutoScaling"),
        ("autoscaling.amazonaws.com", "web", "AWSServiceRoleForAutoScaling_web"),
        ("ecs.amazonaws.com", None, "AWSServiceRoleForECS"),
        ("spot.amazonaws.com", None, "AWSServiceRoleForEC2Spot"),
        ("ops.apigateway.amazonaws.com", None, "AWSServiceRoleForAPIGateway"),
        ("newthing.amazonaws.com", None, "AWSServiceRoleForNewthing"),
    ],
)
def test_service_linked_role_names(service, suffix, name):
    assert role_name_for(service, suffix) == name


def test_a_suffix_where_the_service_takes_none_is_refused():
    with pytest.raises(AwsError) as caught:
        role_name_for("es.amazonaws.com", "x")
    assert caught.value.message == "Custom suffix is not allowed for es.amazonaws.com"
