"""Deployments, stages and tags (API Gateway REST API Reference ``CreateDeployment``,
``CreateStage``, ``UpdateStage``, ``TagResource``). A deployment is a snapshot of the API's
resources, methods and authorizers: invocations of a stage use its deployment's snapshot, so a
change to the API reaches callers only when it is deployed again, as on AWS.
"""

from __future__ import annotations

import json
import re
from typing import Any

from localiam.services.apigateway._service import (
    SERVICE,
    TAG_RESOURCE,
    api_row,
    api_tags,
    apply_patch,
    bad_request,
    boolean,
    conflict,
    document_of,
    management_arn,
    new_id,
    not_found,
    on,
    request_tags,
    timestamp,
)
from localiam.services.base import OperationContext, Params, ResourcePolicy, Result
from localiam.state import iam_store, schema
from localiam.state.iam_store import Row

_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_VARIABLE = re.compile(r"[A-Za-z0-9_]{1,64}")


def snapshot(document: dict[str, Any]) -> dict[str, Any]:
    """What a deployment keeps of the API."""
    return {
        "resources": document["resources"],
        "authorizers": document["authorizers"],
        "policy": document.get("policy"),
        "binaryMediaTypes": document.get("binaryMediaTypes") or [],
    }


def _has_methods(document: dict[str, Any]) -> bool:
    return any(r.get("methods") for r in document["resources"].values())


def _variables(raw: Any) -> dict[str, str]:
    variables = {str(k): str(v) for k, v in (raw or {}).items()}
    for name in variables:
        if not _VARIABLE.fullmatch(name):
            raise bad_request(f"Stage variable names can only contain alphanumeric characters and underscores: {name}")
    return variables


def _deployment(row: Row) -> dict[str, Any]:
    out: dict[str, Any] = {"id": row["id"], "createdDate": timestamp(float(row["created_at"]))}
    if row["description"]:
        out["description"] = row["description"]
    return out


def _stage(ctx: OperationContext, row: Row) -> dict[str, Any]:
    config = json.loads(str(row["config"]))
    out: dict[str, Any] = {
        "deploymentId": row["deployment_id"],
        "stageName": row["name"],
        "createdDate": timestamp(float(row["created_at"])),
        "lastUpdatedDate": timestamp(float(row["updated_at"])),
        "cacheClusterEnabled": bool(config.get("cacheClusterEnabled", False)),
        "tracingEnabled": bool(config.get("tracingEnabled", False)),
        "methodSettings": {},
    }
    for key in ("description", "variables"):
        if config.get(key):
            out[key] = config[key]
    tags = dict(
        iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{row['api_id']}/stages/{row['name']}")
    )
    if tags:
        out["tags"] = tags
    return out


def _write_stage(
    ctx: OperationContext, api_id: str, name: str, deployment_id: str, config: dict[str, Any], tags: dict[str, str]
) -> Row:
    if not _STAGE_NAME.fullmatch(name):
        raise bad_request("Stage name only allows a-zA-Z0-9_-")
    if iam_store.one(ctx.tx, schema.apigateway_stages, api_id=api_id, name=name) is not None:
        raise conflict("Stage already exists")
    iam_store.add(
        ctx.tx,
        schema.apigateway_stages,
        api_id=api_id,
        name=name,
        deployment_id=deployment_id,
        config=json.dumps(config),
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    if tags:
        iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{api_id}/stages/{name}", tags.items())
    ctx.tx.touch(ctx.account_id)
    found = iam_store.one(ctx.tx, schema.apigateway_stages, api_id=api_id, name=name)
    assert found is not None
    return found


# ----------------------------------------------------------------------------------- deployments
DEPLOYMENTS = "/restapis/{restApiId}/deployments"


@SERVICE.operation(
    "CreateDeployment", action="apigateway:POST", resource=on(DEPLOYMENTS), resource_policy=api_tags, writes=True
)
def create_deployment(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    document = document_of(row)
    if not _has_methods(document):
        raise bad_request("The REST API doesn't contain any methods")
    for resource in document["resources"].values():
        for method in resource.get("methods", {}).values():
            if "methodIntegration" not in method:
                raise bad_request("No integration defined for method")
    deployment_id = new_id()
    iam_store.add(
        ctx.tx,
        schema.apigateway_deployments,
        api_id=row["id"],
        id=deployment_id,
        description=params.get("description"),
        snapshot=json.dumps(snapshot(document)),
        created_at=ctx.now,
    )
    stage_name = params.get("stageName")
    if stage_name:
        existing = iam_store.one(ctx.tx, schema.apigateway_stages, api_id=row["id"], name=stage_name)
        if existing is not None:
            config = json.loads(str(existing["config"]))
            if params.get("variables"):
                config["variables"] = {**config.get("variables", {}), **_variables(params["variables"])}
            iam_store.change(
                ctx.tx,
                schema.apigateway_stages,
                {"api_id": row["id"], "name": stage_name},
                deployment_id=deployment_id,
                config=json.dumps(config),
                updated_at=ctx.now,
            )
        else:
            config = {"description": params.get("stageDescription"), "variables": _variables(params.get("variables"))}
            _write_stage(ctx, str(row["id"]), str(stage_name), deployment_id, config, {})
    ctx.tx.touch(ctx.account_id)
    found = iam_store.one(ctx.tx, schema.apigateway_deployments, api_id=row["id"], id=deployment_id)
    assert found is not None
    return _deployment(found)


def _deployment_row(ctx: OperationContext, api_id: str, deployment_id: Any) -> Row:
    found = iam_store.one(ctx.tx, schema.apigateway_deployments, api_id=api_id, id=str(deployment_id))
    if found is None:
        raise not_found("Invalid Deployment identifier specified")
    return found


@SERVICE.operation(
    "GetDeployment",
    action="apigateway:GET",
    resource=on(DEPLOYMENTS + "/{deploymentId}"),
    resource_policy=api_tags,
)
def get_deployment(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    return _deployment(_deployment_row(ctx, str(row["id"]), params.get("deploymentId")))


@SERVICE.operation("GetDeployments", action="apigateway:GET", resource=on(DEPLOYMENTS), resource_policy=api_tags)
def get_deployments(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    rows = iam_store.rows(ctx.tx, schema.apigateway_deployments, order_by=("created_at", "id"), api_id=row["id"])
    return {"items": [_deployment(r) for r in rows]}


@SERVICE.operation(
    "DeleteDeployment",
    action="apigateway:DELETE",
    resource=on(DEPLOYMENTS + "/{deploymentId}"),
    resource_policy=api_tags,
    writes=True,
)
def delete_deployment(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    found = _deployment_row(ctx, str(row["id"]), params.get("deploymentId"))
    if iam_store.one(ctx.tx, schema.apigateway_stages, api_id=row["id"], deployment_id=found["id"]) is not None:
        raise bad_request("Active stages pointing to this deployment must be moved or deleted")
    iam_store.remove(ctx.tx, schema.apigateway_deployments, api_id=row["id"], id=found["id"])
    ctx.tx.touch(ctx.account_id)
    return {}


# ----------------------------------------------------------------------------------- stages
STAGES = "/restapis/{restApiId}/stages"


def _stage_row(ctx: OperationContext, api_id: str, name: Any) -> Row:
    found = iam_store.one(ctx.tx, schema.apigateway_stages, api_id=api_id, name=str(name))
    if found is None:
        raise not_found("Invalid Stage identifier specified")
    return found


@SERVICE.operation(
    "CreateStage",
    action="apigateway:POST",
    resource=on(STAGES),
    resource_policy=api_tags,
    condition_keys=request_tags,
    writes=True,
)
def create_stage(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    deployment = _deployment_row(ctx, str(row["id"]), params.get("deploymentId"))
    config = {
        "description": params.get("description"),
        "variables": _variables(params.get("variables")),
        "cacheClusterEnabled": bool(params.get("cacheClusterEnabled", False)),
        "tracingEnabled": bool(params.get("tracingEnabled", False)),
    }
    tags = {str(k): str(v) for k, v in (params.get("tags") or {}).items()}
    return _stage(
        ctx, _write_stage(ctx, str(row["id"]), str(params.get("stageName")), str(deployment["id"]), config, tags)
    )


@SERVICE.operation("GetStage", action="apigateway:GET", resource=on(STAGES + "/{stageName}"), resource_policy=api_tags)
def get_stage(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    return _stage(ctx, _stage_row(ctx, str(row["id"]), params.get("stageName")))


@SERVICE.operation("GetStages", action="apigateway:GET", resource=on(STAGES), resource_policy=api_tags)
def get_stages(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    rows = iam_store.rows(ctx.tx, schema.apigateway_stages, order_by=("name",), api_id=row["id"])
    wanted = params.get("deploymentId")
    return {"item": [_stage(ctx, r) for r in rows if wanted is None or r["deployment_id"] == wanted]}


@SERVICE.operation(
    "UpdateStage",
    action="apigateway:PATCH",
    resource=on(STAGES + "/{stageName}"),
    resource_policy=api_tags,
    writes=True,
)
def update_stage(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    stage = _stage_row(ctx, str(row["id"]), params.get("stageName"))
    config = json.loads(str(stage["config"]))
    config["deploymentId"] = stage["deployment_id"]
    apply_patch(
        config,
        params.get("patchOperations"),
        {
            "description": str,
            "variables": str,
            "deploymentId": str,
            "cacheClusterEnabled": boolean,
            "tracingEnabled": boolean,
        },
    )
    deployment_id = str(config.pop("deploymentId"))
    _deployment_row(ctx, str(row["id"]), deployment_id)
    config["variables"] = _variables(config.get("variables"))
    iam_store.change(
        ctx.tx,
        schema.apigateway_stages,
        {"api_id": row["id"], "name": stage["name"]},
        deployment_id=deployment_id,
        config=json.dumps(config),
        updated_at=ctx.now,
    )
    ctx.tx.touch(ctx.account_id)
    return _stage(ctx, _stage_row(ctx, str(row["id"]), stage["name"]))


@SERVICE.operation(
    "DeleteStage",
    action="apigateway:DELETE",
    resource=on(STAGES + "/{stageName}"),
    resource_policy=api_tags,
    writes=True,
)
def delete_stage(ctx: OperationContext, params: Params) -> Result:
    row = api_row(ctx, params.get("restApiId"))
    stage = _stage_row(ctx, str(row["id"]), params.get("stageName"))
    iam_store.remove(ctx.tx, schema.apigateway_stages, api_id=row["id"], name=stage["name"])
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, f"/restapis/{row['id']}/stages/{stage['name']}", None)
    ctx.tx.touch(ctx.account_id)
    return {}


# ----------------------------------------------------------------------------------- tags
_TAGGABLE = re.compile(r"arn:aws:apigateway:([a-z0-9-]+)::(/restapis/[a-z0-9]+(?:/stages/[A-Za-z0-9_-]+)?)")


def _tagged(ctx: OperationContext, params: Params) -> str:
    """The path of the API or stage a tag operation names (both must exist)."""
    match = _TAGGABLE.fullmatch(str(params.get("resourceArn", "")))
    if match is None or match.group(1) != ctx.region:
        raise bad_request(f"Invalid resource ARN: {params.get('resourceArn')}")
    path = match.group(2)
    parts = path.split("/")
    api = api_row(ctx, parts[2])
    if len(parts) == 5:
        _stage_row(ctx, str(api["id"]), parts[4])
    return path


def _tag_arn(ctx: OperationContext, params: Params) -> str:
    return management_arn(ctx.region, f"/tags/{params.get('resourceArn')}")


def _tag_policy(ctx: OperationContext, params: Params) -> ResourcePolicy:
    match = _TAGGABLE.fullmatch(str(params.get("resourceArn", "")))
    tags = dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, match.group(2))) if match else {}
    return ResourcePolicy(None, None, tags=tags)


@SERVICE.operation(
    "TagResource",
    action="apigateway:PUT",
    resource=_tag_arn,
    resource_policy=_tag_policy,
    condition_keys=request_tags,
    writes=True,
)
def tag_resource(ctx: OperationContext, params: Params) -> Result:
    path = _tagged(ctx, params)
    tags = {str(k): str(v) for k, v in (params.get("tags") or {}).items()}
    if len({**dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, path)), **tags}) > 50:
        raise bad_request("A resource can have at most 50 tags.")
    iam_store.put_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, path, tags.items())
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation(
    "UntagResource",
    action="apigateway:DELETE",
    resource=_tag_arn,
    resource_policy=_tag_policy,
    condition_keys=lambda _ctx, params: {"aws:TagKeys": [str(k) for k in params.get("tagKeys") or []]},
    writes=True,
)
def untag_resource(ctx: OperationContext, params: Params) -> Result:
    path = _tagged(ctx, params)
    iam_store.drop_tags(ctx.tx, ctx.account_id, TAG_RESOURCE, path, [str(k) for k in params.get("tagKeys") or []])
    ctx.tx.touch(ctx.account_id)
    return {}


@SERVICE.operation("GetTags", action="apigateway:GET", resource=_tag_arn, resource_policy=_tag_policy)
def get_tags(ctx: OperationContext, params: Params) -> Result:
    return {"tags": dict(iam_store.tags_of(ctx.tx, ctx.account_id, TAG_RESOURCE, _tagged(ctx, params)))}
