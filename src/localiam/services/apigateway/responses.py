"""Method responses and integration responses (API Gateway REST API Reference
``PutMethodResponse``, ``GetMethodResponse``, ``DeleteMethodResponse``, ``PutIntegrationResponse``,
``GetIntegrationResponse``, ``DeleteIntegrationResponse``): what a method may answer, and how an
integration's answer maps onto it (a ``MOCK`` integration answers from these templates)."""

from __future__ import annotations

from typing import Any

from localiam.services.apigateway._service import (
    SERVICE,
    api_row,
    api_tags,
    document_of,
    method_of,
    not_found,
    on,
    resource_of,
)
from localiam.services.apigateway.restapis import INTEGRATION_PATH, METHOD_PATH, method_view, put
from localiam.services.base import OperationContext, Params, Result

METHOD_RESPONSE = METHOD_PATH + "/responses/{statusCode}"
INTEGRATION_RESPONSE = INTEGRATION_PATH + "/responses/{statusCode}"


def _method(ctx: OperationContext, params: Params) -> dict[str, Any]:
    document = document_of(api_row(ctx, params.get("restApiId")))
    return method_of(resource_of(document, params.get("resourceId")), params.get("httpMethod"))


@SERVICE.operation(
    "PutMethodResponse",
    action="apigateway:PUT",
    resource=on(METHOD_PATH + "/responses/{statusCode}"),
    resource_policy=api_tags,
    writes=True,
)
def put_method_response(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        response = {
            "statusCode": str(params.get("statusCode")),
            "responseParameters": params.get("responseParameters"),
            "responseModels": params.get("responseModels"),
        }
        method.setdefault("methodResponses", {})[response["statusCode"]] = method_view(response)
        resource["methods"][method["httpMethod"]] = method
        return method_view(response)

    return put(ctx, params, change)


@SERVICE.operation("GetMethodResponse", action="apigateway:GET", resource=on(METHOD_RESPONSE), resource_policy=api_tags)
def get_method_response(ctx: OperationContext, params: Params) -> Result:
    found = _method(ctx, params).get("methodResponses", {}).get(str(params.get("statusCode")))
    if found is None:
        raise not_found("Invalid Response status code specified")
    return dict(found)


@SERVICE.operation(
    "DeleteMethodResponse",
    action="apigateway:DELETE",
    resource=on(METHOD_RESPONSE),
    resource_policy=api_tags,
    writes=True,
)
def delete_method_response(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        if method.get("methodResponses", {}).pop(str(params.get("statusCode")), None) is None:
            raise not_found("Invalid Response status code specified")
        resource["methods"][method["httpMethod"]] = method
        return {}

    return put(ctx, params, change)


@SERVICE.operation(
    "PutIntegrationResponse",
    action="apigateway:PUT",
    resource=on(INTEGRATION_PATH + "/responses/{statusCode}"),
    resource_policy=api_tags,
    writes=True,
)
def put_integration_response(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        integration = method.get("methodIntegration")
        if integration is None:
            raise not_found("No integration defined for method")
        response = {
            "statusCode": str(params.get("statusCode")),
            "selectionPattern": params.get("selectionPattern"),
            "responseParameters": params.get("responseParameters"),
            "responseTemplates": params.get("responseTemplates"),
        }
        integration.setdefault("integrationResponses", {})[response["statusCode"]] = method_view(response)
        resource["methods"][method["httpMethod"]] = method
        return method_view(response)

    return put(ctx, params, change)


@SERVICE.operation(
    "GetIntegrationResponse", action="apigateway:GET", resource=on(INTEGRATION_RESPONSE), resource_policy=api_tags
)
def get_integration_response(ctx: OperationContext, params: Params) -> Result:
    integration = _method(ctx, params).get("methodIntegration") or {}
    found = integration.get("integrationResponses", {}).get(str(params.get("statusCode")))
    if found is None:
        raise not_found("Invalid Response status code specified")
    return dict(found)


@SERVICE.operation(
    "DeleteIntegrationResponse",
    action="apigateway:DELETE",
    resource=on(INTEGRATION_RESPONSE),
    resource_policy=api_tags,
    writes=True,
)
def delete_integration_response(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        responses = (method.get("methodIntegration") or {}).get("integrationResponses", {})
        if responses.pop(str(params.get("statusCode")), None) is None:
            raise not_found("Invalid Response status code specified")
        resource["methods"][method["httpMethod"]] = method
        return {}

    return put(ctx, params, change)
