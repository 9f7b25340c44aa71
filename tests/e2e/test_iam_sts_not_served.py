"""An IAM or STS operation localiam does not serve (``localiam.services.not_served``) answers
501 ``NotImplemented`` in the query protocol, naming the operation."""

from __future__ import annotations

from e2e_helpers import error_of


def test_an_operation_only_aws_can_serve_answers_not_implemented(server, iam):
    err = error_of(iam.get_account_properties)
    assert (err["Code"], err["status"]) == ("NotImplemented", 501)
    assert "GetAccountProperties" in err["Message"]
    err = error_of(
        server.client("sts").get_trust_bundles, ProviderArn="arn:aws:iam::123456789012:workload-identity-provider/x"
    )
    assert (err["Code"], err["status"]) == ("NotImplemented", 501)
