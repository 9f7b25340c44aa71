"""Amazon API Gateway REST APIs (``apigateway``): the control plane (:mod:`.restapis`,
:mod:`.deployments`; API keys and usage plans in :mod:`.keys`) and the invocation of deployed
stages with IAM, Cognito user pool and Lambda authorizers and API keys in front of Lambda proxy,
mock and HTTP proxy integrations (:mod:`.execute`)."""

from localiam.services.apigateway import deployments, keys, responses, restapis
from localiam.services.apigateway._service import SERVICE

__all__ = ["SERVICE", "deployments", "keys", "responses", "restapis"]
