"""The services the endpoint serves, by the name their botocore model uses."""

from __future__ import annotations

from localiam.services.base import Service


def default_services() -> dict[str, Service]:
    from localiam.services import (
        apigateway,
        awslambda,
        cognito_identity,
        cognito_idp,
        dynamodb,
        iam,
        organizations,
        s3,
        sts,
    )

    return {
        "iam": iam.SERVICE,
        "sts": sts.SERVICE,
        "organizations": organizations.SERVICE,
        "s3": s3.SERVICE,
        "s3control": s3.CONTROL,
        "lambda": awslambda.SERVICE,
        "cognito-idp": cognito_idp.SERVICE,
        "cognito-identity": cognito_identity.SERVICE,
        "apigateway": apigateway.SERVICE,
        "dynamodb": dynamodb.SERVICE,
    }
