"""REST APIs as their owners build them (API Gateway REST API Reference): the API with its
resource policy (``policy``), resources by path part (``{param}`` and ``{proxy+}``), methods
with their authorization (``NONE``, ``AWS_IAM``, ``COGNITO_USER_POOLS``, ``CUSTOM``), integrations
(``AWS_PROXY`` to Lambda, ``MOCK``, ``HTTP_PROXY``), method and integration responses, and
authorizers (``COGNITO_USER_POOLS``, ``TOKEN``, ``REQUEST``). Each call is authorized as the
HTTP method on the path it names (``apigateway:POST`` on ``arn:aws:apigateway:REGION::/restapis``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from localiam.policy.parse import parse_policy
from localiam.services.apigateway._service import (
    LAMBDA_URI,
    SERVICE,
    TAG_RESOURCE,
    api_row,
    api_tags,
    apply_patch,
    bad_request,
    boolean,
    conflict,
    document_of,
    integer,
    listing,
    method_of,
    new_id,
    not_found,
    on,
    request_tags,
    resource_of,
    save,
    timestamp,
)
from localiam.services.base import OperationContext, Params, Result
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM")
INTEGRATION_TYPES = ("AWS", "AWS_PROXY", "HTTP", "HTTP_PROXY", "MOCK")
AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_PATH_PART = re.compile(r"[A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9._-]+\+?\}")


# ----------------------------------------------------------------------------------- APIs
def _policy(value: Any) -> str | None:
    """An API's resource policy, checked as IAM checks resource-based policies."""
    if value in (None, ""):
        return None
    text = str(value)
    result = parse_policy(text)
    if result.errors:
        raise bad_request(f"Invalid policy document. {result.errors[0].message}")
    return text


def _api(ctx: OperationContext, row: Row, document: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": row["id"],
        "name": document["name"],
        "createdDate": timestamp(float(row["created_at"])),
        "apiKeySource": document.get("apiKeySource", "HEADER"),
        "endpointConfiguration": document.get("endpointConfiguration") or {"types": ["EDGE"]},
        "disableExecuteApiEndpoint": bool(document.get("disableExecuteApiEndpoint", False)),
        "rootResourceId": document["rootResourceId"],
    }
    for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
        if document.get(key) is not None:
            out[key] = document[key]
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{row['id']}"))
    if tags:
        out["tags"] = tags
    return out


@SERVICE.operation(
    "CreateRestApi",
    action="apigateway:POST",
    resource=on("/restapis"),
    condition_keys=request_tags,
    writes=True,
)
def create_rest_api(ctx: OperationContext, params: Params) -> Result:
    name = params.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("Invalid REST API name specified")
    api_id, root = new_id(), new_id(10)
    document: dict[str, Any] = {
        "name": name,
        "rootResourceId": root,
        "resources": {root: {"id": root, "path": "/", "methods": {}}},
        "authorizers": {},
        "endpointConfiguration": params.get("endpointConfiguration") or {"types": ["EDGE"]},
        "apiKeySource": params.get("apiKeySource") or "HEADER",
        "disableExecuteApiEndpoint": bool(params.get("disableExecuteApiEndpoint", False)),
        "policy": _policy(params.get("policy")),
    }
    for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize"):
        if params.get(key) is not None:
            document[key] = params[key]
    iam_store.add(
        ctx.tx,
        schema.apigateway_apis,
        id=api_id,
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        document=json.dumps(document),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    tags = {str(k): str(v) for k, v in (params.get("tags") or {}).items()}
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{api_id}", tags.items())
    ctx.tx.touch(ctx.account_id)
    row = api_row(ctx, api_id)
    return _api(ctx, row, document)


@SERVICE.operation(
    "GetRestApi", action="apigateway:GET", resource=on("/restapis/{restApiId}"), resource_policy=api_tags
)
def get_rest_api(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    return _api(ctx, row, document_of(row))


@SERVICE.operation("GetRestApis", action="apigateway:GET", resource=on("/restapis"))
def get_rest_apis(ctx: OperationContext, params: Params) -> Result:
    rows = iam_store.rows(ctx.tx, schema.apigateway_apis, order_by=("created_at", "id"), account_id=ctx.account_id)
    rows = [r for r in rows if r["region"] == ctx.region]
    return listing(rows, params, lambda r: _api(ctx, r, document_of(r)))


@SERVICE.operation(
    "UpdateRestApi",
    action="apigateway:PATCH",
    resource=on("/restapis/{restApiId}"),
    resource_policy=api_tags,
    writes=True,
)
def update_rest_api(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    apply_patch(
        document,
        params.get("patchOperations"),
        {
            "name": str,
            "description": str,
            "version": str,
            "policy": _policy,
            "disableExecuteApiEndpoint": boolean,
            "apiKeySource": str,
            "minimumCompressionSize": integer,
        },
    )
    save(ctx, row, document)
    return _api(ctx, api_row(ctx, row["id"]), document)


@SERVICE.operation(
    "DeleteRestApi",
    action="apigateway:DELETE",
    resource=on("/restapis/{restApiId}"),
    resource_policy=api_tags,
    writes=True,
)
def delete_rest_api(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    api_id = str(row["id"])
    iam_store.remove(ctx.tx, schema.apigateway_stages, api_id=api_id)
    iam_store.remove(ctx.tx, schema.apigateway_deployments, api_id=api_id)
    iam_store.remove(ctx.tx, schema.apigateway_apis, id=api_id)
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{api_id}", None)
    ctx.tx.touch(ctx.account_id)
    return {}


# ----------------------------------------------------------------------------------- resources
def _resource(resource: dict[str, Any], embed: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {k: resource[k] for k in ("id", "parentId", "pathPart", "path") if k in resource}
    methods = resource.get("methods") or {}
    if methods:
        out["resourceMethods"] = {m: (method_view(v) if embed else {}) for m, v in methods.items()}
    return out


@SERVICE.operation(
    "GetResources",
    action="apigateway:GET",
    resource=on("/restapis/{restApiId}/resources"),
    resource_policy=api_tags,
)
def get_resources(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    embed = "methods" in (params.get("embed") or [])
    resources = sorted(document["resources"].values(), key=lambda r: r["path"])
    return listing(resources, params, lambda r: _resource(r, embed))


@SERVICE.operation(
    "GetResource",
    action="apigateway:GET",
    resource=on("/restapis/{restApiId}/resources/{resourceId}"),
    resource_policy=api_tags,
)
def get_resource(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    return _resource(resource_of(document, params.get("resourceId")), "methods" in (params.get("embed") or []))


@SERVICE.operation(
    "CreateResource",
    action="apigateway:POST",
    resource=on("/restapis/{restApiId}/resources/{parentId}"),
    resource_policy=api_tags,
    writes=True,
)
def create_resource(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    parent = resource_of(document, params.get("parentId"))
    part = params.get("pathPart")
    if not isinstance(part, str) or not _PATH_PART.fullmatch(part):
        raise bad_request(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end "
            "and an optional plus sign before the closing brace."
        )
    if parent["path"].endswith("+}"):
        raise bad_request("A greedy path variable ({proxy+}) must be the last part of a path.")
    path = parent["path"].rstrip("/") + "/" + part
    siblings = [r for r in document["resources"].values() if r.get("parentId") == parent["id"]]
    for sibling in siblings:
        if sibling["pathPart"] == part:
            raise conflict(f"Another resource with the same parent already has this name: {part}")
        if sibling["pathPart"].startswith("{") and part.startswith("{"):
            raise bad_request(
                f"A sibling ({sibling['pathPart']}) of this resource already has a variable path part -- "
                "only one is allowed"
            )
    resource_id = new_id(6)
    resource = {"id": resource_id, "parentId": parent["id"], "pathPart": part, "path": path, "methods": {}}
    document["resources"][resource_id] = resource
    save(ctx, row, document)
    return _resource(resource)


@SERVICE.operation(
    "DeleteResource",
    action="apigateway:DELETE",
    resource=on("/restapis/{restApiId}/resources/{resourceId}"),
    resource_policy=api_tags,
    writes=True,
)
def delete_resource(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    resource = resource_of(document, params.get("resourceId"))
    if resource["id"] == document["rootResourceId"]:
        raise bad_request("Cannot delete the root resource.")
    doomed = {resource["id"]}
    changed = True
    while changed:
        more = {r["id"] for r in document["resources"].values() if r.get("parentId") in doomed} - doomed
        changed = bool(more)
        doomed |= more
    for rid in doomed:
        del document["resources"][rid]
    save(ctx, row, document)
    return {}


# ----------------------------------------------------------------------------------- methods
def method_view(method: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in method.items() if v is not None}


def put(ctx: OperationContext, params: Params, change: Any) -> Result:
    """Load the API and the method's resource, let ``change(document, resource)`` edit them and
    return the result, then save."""
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    resource = resource_of(document, params.get("resourceId"))
    result = change(document, resource)
    document["resources"][resource["id"]] = resource
    save(ctx, row, document)
    return dict(result)


METHOD_PATH = "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}"


@SERVICE.operation(
    "PutMethod", action="apigateway:PUT", resource=on(METHOD_PATH), resource_policy=api_tags, writes=True
)
def putmethod_view(ctx: OperationContext, params: Params) -> Result:
    http_method = str(params.get("httpMethod", "")).upper()
    if http_method not in HTTP_METHODS:
        raise bad_request(f"Invalid HttpMethod specified. Valid options are {','.join(HTTP_METHODS)}")
    authorization = params.get("authorizationType")
    if authorization not in AUTHORIZATION_TYPES:
        raise bad_request(
            "Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS"
        )

    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        authorizer = params.get("authorizerId")
        if authorization in ("CUSTOM", "COGNITO_USER_POOLS"):
            found = document["authorizers"].get(str(authorizer))
            if found is None:
                raise bad_request(
                    "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                    "COGNITO_USER_POOLS requires a valid authorizer."
                )
            if (found["type"] == "COGNITO_USER_POOLS") != (authorization == "COGNITO_USER_POOLS"):
                raise bad_request("The authorizer's type does not match the method's authorization type.")
        elif authorizer is not None:
            raise bad_request("An authorizer can only be set for CUSTOM or COGNITO_USER_POOLS authorization.")
        method = {
            "httpMethod": http_method,
            "authorizationType": authorization,
            "authorizerId": authorizer,
            "apiKeyRequired": bool(params.get("apiKeyRequired", False)),
            "requestParameters": params.get("requestParameters"),
            "operationName": params.get("operationName"),
            "authorizationScopes": params.get("authorizationScopes"),
        }
        resource.setdefault("methods", {})[http_method] = method
        return method_view(method)

    return put(ctx, params, change)


@SERVICE.operation("GetMethod", action="apigateway:GET", resource=on(METHOD_PATH), resource_policy=api_tags)
def getmethod_view(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    return method_view(method_of(resource_of(document, params.get("resourceId")), params.get("httpMethod")))


@SERVICE.operation(
    "UpdateMethod", action="apigateway:PATCH", resource=on(METHOD_PATH), resource_policy=api_tags, writes=True
)
def updatemethod_view(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        apply_patch(
            method,
            params.get("patchOperations"),
            {
                "authorizationType": str,
                "authorizerId": str,
                "apiKeyRequired": boolean,
                "operationName": str,
                "authorizationScopes": lambda v: [v] if isinstance(v, str) else v,
            },
        )
        if method["authorizationType"] not in AUTHORIZATION_TYPES:
            raise bad_request("Invalid authorization type specified.")
        resource["methods"][method["httpMethod"]] = method
        return method_view(method)

    return put(ctx, params, change)


@SERVICE.operation(
    "DeleteMethod", action="apigateway:DELETE", resource=on(METHOD_PATH), resource_policy=api_tags, writes=True
)
def deletemethod_view(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        del resource["methods"][method["httpMethod"]]
        return {}

    return put(ctx, params, change)


# ------------------------------------------------------------------------------- integrations
INTEGRATION_PATH = METHOD_PATH + "/integration"


@SERVICE.operation(
    "PutIntegration", action="apigateway:PUT", resource=on(INTEGRATION_PATH), resource_policy=api_tags, writes=True
)
def put_integration(ctx: OperationContext, params: Params) -> Result:
    kind = params.get("type")
    if kind not in INTEGRATION_TYPES:
        raise bad_request("Invalid integration type specified. Valid options are AWS,AWS_PROXY,HTTP,HTTP_PROXY,MOCK")
    uri = params.get("uri")
    if kind == "AWS_PROXY":
        if not isinstance(uri, str) or not LAMBDA_URI.fullmatch(uri):
            raise bad_request("Integrations of type 'AWS_PROXY' currently only supports Lambda function invocations.")
        if str(params.get("integrationHttpMethod", "")).upper() != "POST":
            raise bad_request("Integrations of type 'AWS_PROXY' must use POST as the integration HTTP method.")
    if kind in ("HTTP", "HTTP_PROXY") and not isinstance(uri, str):
        raise bad_request("Invalid HTTP endpoint specified for URI")

    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        integration = {
            "type": kind,
            "httpMethod": params.get("integrationHttpMethod"),
            "uri": uri,
            "credentials": params.get("credentials"),
            "requestParameters": params.get("requestParameters"),
            "requestTemplates": params.get("requestTemplates"),
            "passthroughBehavior": params.get("passthroughBehavior") or "WHEN_NO_MATCH",
            "timeoutInMillis": params.get("timeoutInMillis") or 29000,
            "cacheNamespace": params.get("cacheNamespace") or resource["id"],
            "cacheKeyParameters": params.get("cacheKeyParameters") or [],
        }
        method["methodIntegration"] = method_view(integration)
        resource["methods"][method["httpMethod"]] = method
        return dict(method["methodIntegration"])

    return put(ctx, params, change)


@SERVICE.operation("GetIntegration", action="apigateway:GET", resource=on(INTEGRATION_PATH), resource_policy=api_tags)
def get_integration(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    method = method_of(resource_of(document, params.get("resourceId")), params.get("httpMethod"))
    if "methodIntegration" not in method:
        raise not_found("No integration defined for method")
    return dict(method["methodIntegration"])


@SERVICE.operation(
    "DeleteIntegration",
    action="apigateway:DELETE",
    resource=on(INTEGRATION_PATH),
    resource_policy=api_tags,
    writes=True,
)
def delete_integration(ctx: OperationContext, params: Params) -> Result:
    def change(document: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
        method = method_of(resource, params.get("httpMethod"))
        if method.pop("methodIntegration", None) is None:
            raise not_found("No integration defined for method")
        resource["methods"][method["httpMethod"]] = method
        return {}

    return put(ctx, params, change)


# ----------------------------------------------------------------------------------- authorizers
AUTHORIZERS = "/restapis/{restApiId}/authorizers"


def _authorizer_fields(params: Params, kind: str) -> dict[str, Any]:
    if kind == "COGNITO_USER_POOLS":
        arns = params.get("providerARNs") or []
        if not arns or not all(isinstance(a, str) and ":userpool/" in a for a in arns):
            raise bad_request("Invalid Authorizer: providerARNs must list Cognito user pool ARNs.")
    elif not isinstance(params.get("authorizerUri"), str) or not LAMBDA_URI.fullmatch(params["authorizerUri"]):
        raise bad_request("Invalid Authorizer URI: must be a Lambda function's invocation URI.")
    ttl = params.get("authorizerResultTtlInSeconds", 300)
    if not isinstance(ttl, int) or not 0 <= ttl <= 3600:
        raise bad_request("Invalid authorizer TTL: must be between 0 and 3600 seconds.")
    source = params.get("identitySource") or ("method.request.header.Authorization" if kind != "REQUEST" else None)
    if kind == "REQUEST" and ttl > 0 and not source:
        raise bad_request("Identity source is required when caching is enabled for a REQUEST authorizer.")
    return {
        "type": kind,
        "providerARNs": params.get("providerARNs"),
        "authType": params.get("authType") or ("cognito_user_pools" if kind == "COGNITO_USER_POOLS" else "custom"),
        "authorizerUri": params.get("authorizerUri"),
        "authorizerCredentials": params.get("authorizerCredentials"),
        "identitySource": source,
        "identityValidationExpression": params.get("identityValidationExpression"),
        "authorizerResultTtlInSeconds": ttl,
    }


@SERVICE.operation(
    "CreateAuthorizer", action="apigateway:POST", resource=on(AUTHORIZERS), resource_policy=api_tags, writes=True
)
def create_authorizer(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    kind = params.get("type")
    if kind not in AUTHORIZER_TYPES:
        raise bad_request("Invalid authorizer type specified. Valid options are TOKEN,REQUEST,COGNITO_USER_POOLS")
    name = params.get("name")
    if not isinstance(name, str) or not name:
        raise bad_request("Invalid authorizer name")
    authorizer = {"id": new_id(6), "name": name, **_authorizer_fields(params, str(kind))}
    document["authorizers"][authorizer["id"]] = method_view(authorizer)
    save(ctx, row, document)
    return method_view(authorizer)


@SERVICE.operation(
    "GetAuthorizer",
    action="apigateway:GET",
    resource=on(AUTHORIZERS + "/{authorizerId}"),
    resource_policy=api_tags,
)
def get_authorizer(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    found = document["authorizers"].get(str(params.get("authorizerId")))
    if found is None:
        raise not_found("Invalid Authorizer identifier specified")
    return dict(found)


@SERVICE.operation("GetAuthorizers", action="apigateway:GET", resource=on(AUTHORIZERS), resource_policy=api_tags)
def get_authorizers(ctx: OperationContext, params: Params) -> Result:
    document = document_of(api_row(ctx, params.get("restApiId")))
    return listing(sorted(document["authorizers"].values(), key=lambda a: a["name"]), params)


@SERVICE.operation(
    "UpdateAuthorizer",
    action="apigateway:PATCH",
    resource=on(AUTHORIZERS + "/{authorizerId}"),
    resource_policy=api_tags,
    writes=True,
)
def update_authorizer(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    found = document["authorizers"].get(str(params.get("authorizerId")))
    if found is None:
        raise not_found("Invalid Authorizer identifier specified")
    apply_patch(
        found,
        params.get("patchOperations"),
        {
            "name": str,
            "authorizerUri": str,
            "identitySource": str,
            "identityValidationExpression": str,
            "authorizerResultTtlInSeconds": integer,
            "providerARNs": lambda v: [v] if isinstance(v, str) else v,
        },
    )
    save(ctx, row, document)
    return dict(found)


@SERVICE.operation(
    "DeleteAuthorizer",
    action="apigateway:DELETE",
    resource=on(AUTHORIZERS + "/{authorizerId}"),
    resource_policy=api_tags,
    writes=True,
)
def delete_authorizer(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    authorizer_id = str(params.get("authorizerId"))
    if authorizer_id not in document["authorizers"]:
        raise not_found("Invalid Authorizer identifier specified")
    for resource in document["resources"].values():
        for method in resource.get("methods", {}).values():
            if method.get("authorizerId") == authorizer_id:
                raise conflict(
                    "Cannot delete authorizer, is referenced in method: "
                    + method["httpMethod"]
                    + " "
                    + resource["path"]
                )
    del document["authorizers"][authorizer_id]
    save(ctx, row, document)
    return {}
