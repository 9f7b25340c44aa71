"""Functions, versions and aliases (Lambda API Reference: ``API_CreateFunction`` ...).

Creating or updating a function names its execution role: the caller must be allowed
``iam:PassRole`` on it (``lambda-intro-execution-role``: "To create a function ... you need
iam:PassRole"), and the role's trust policy must let ``lambda.amazonaws.com`` assume it, or
Lambda answers "The role defined for the function cannot be assumed by Lambda.". Runtimes:
``python3.x`` only - functions run on the Python that runs localiam."""

from __future__ import annotations

import json
import re
from typing import Any

from localiam.engine import Request, ResourceFacts, authorize
from localiam.engine.principal import Principal, PrincipalKind
from localiam.policy.model import PolicyType
from localiam.services.awslambda import code
from localiam.services.awslambda._service import SERVICE
from localiam.services.awslambda.common import (
    LATEST,
    FunctionRef,
    check_alias_name,
    check_name,
    conflict,
    error,
    function_ref,
    function_row,
    invalid,
    new_revision,
    not_found,
    on_function,
    resolve,
    revision_mismatch,
    timestamp,
)
from localiam.services.awslambda.common import authorize as authorize_on
from localiam.services.awslambda.invoke import retire
from localiam.services.base import OperationContext, Params, Result
from localiam.state import lambda_store
from localiam.state.sts_store import find_role, parse_role_arn

_PYTHON = re.compile(r"python3\.\d{1,2}")
RESERVED_VARIABLES = (
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
)
"""``configuration-envvars-runtime``: variables Lambda sets that a function cannot."""

LAMBDA_SERVICE = Principal(PrincipalKind.SERVICE, "lambda.amazonaws.com")


# ----------------------------------------------------------------------------- configuration
def _check_runtime(runtime: Any) -> str:
    if runtime is None:
        raise invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    text = str(runtime)
    if not _PYTHON.fullmatch(text):
        raise invalid(
            f"The runtime parameter of {text} is not supported here: localiam runs python3.x functions on its own "
            "Python."
        )
    return text


def _check_limits(params: Params) -> None:
    timeout = params.get("Timeout")
    if timeout is not None and not 1 <= int(timeout) <= 900:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy constraint: Member must "
            "have value greater than or equal to 1",
        )
    memory = params.get("MemorySize")
    if memory is not None and not 128 <= int(memory) <= 10240:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy constraint: Member must "
            "have value greater than or equal to 128",
        )
    variables = (params.get("Environment") or {}).get("Variables") or {}
    reserved = [k for k in variables if k in RESERVED_VARIABLES]
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment variables you have "
            "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
            f"in this request: {', '.join(reserved)}"
        )


def check_role(ctx: OperationContext, role_arn: Any) -> str:
    """``iam:PassRole`` for the caller, then the role must exist and trust Lambda."""
    text = str(role_arn or "")
    if parse_role_arn(text) is None:
        raise error(
            "ValidationException",
            f"1 validation error detected: Value '{text}' at 'role' failed to satisfy constraint: Member must satisfy "
            "regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
        )
    ctx.authorize("iam:PassRole", text, context={"iam:PassedToService": "lambda.amazonaws.com"})
    role = find_role(ctx.tx, text)
    cannot = invalid("The role defined for the function cannot be assumed by Lambda.")
    if role is None:
        raise cannot
    trust = ctx.authz.policies.get(f"{role.arn} trust policy", role.trust_policy, PolicyType.TRUST)
    inputs = ctx.authz.inputs(
        ctx.tx, None, resource_account=role.account_id, resource_policy=trust, resource_must_allow=True
    )
    request = Request(
        principal=LAMBDA_SERVICE,
        action="sts:AssumeRole",
        resource=role.arn,
        resource_facts=ResourceFacts(role.account_id),
        context=ctx.request_context(),
        region=ctx.region,
    )
    if not authorize(inputs, request).allowed:
        raise cannot
    return text


def configuration(ref: FunctionRef, config: dict[str, Any], version: str, revision_id: str) -> dict[str, Any]:
    """``FunctionConfiguration`` as the API returns it."""
    out = dict(config)
    out["FunctionName"] = ref.name
    out["FunctionArn"] = ref.arn if version == LATEST else ref.qualified_arn(version)
    out["Version"] = version
    out["RevisionId"] = revision_id
    return out


def _base_config(params: Params, ref: FunctionRef, role: str, sha256: str, size: int, now: float) -> dict[str, Any]:
    variables = (params.get("Environment") or {}).get("Variables")
    config: dict[str, Any] = {
        "Runtime": _check_runtime(params.get("Runtime")),
        "Role": role,
        "Handler": str(params.get("Handler") or ""),
        "CodeSize": size,
        "Description": str(params.get("Description") or ""),
        "Timeout": int(params.get("Timeout") or 3),
        "MemorySize": int(params.get("MemorySize") or 128),
        "LastModified": timestamp(now),
        "CodeSha256": sha256,
        "TracingConfig": {"Mode": "PassThrough"},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
    }
    if not config["Handler"]:
        raise invalid("Runtime and Handler are mandatory parameters for functions created with deployment packages.")
    if variables is not None:
        config["Environment"] = {"Variables": dict(variables)}
    return config


def _zip_of(params: Params) -> bytes:
    code_params = params.get("Code") or {}
    data = code_params.get("ZipFile") if isinstance(code_params, dict) else None
    if data is None:
        data = params.get("ZipFile")
    if data is None:
        if (isinstance(code_params, dict) and code_params.get("S3Bucket")) or params.get("S3Bucket"):
            raise invalid("localiam takes deployment packages as ZipFile; S3Bucket/S3Key are not supported yet.")
        raise invalid("Please provide a source for function code.")
    return bytes(data)


# ----------------------------------------------------------------------------- operations
def _authorize_create(ctx: OperationContext, op: Any, params: Params) -> None:
    ref = function_ref(ctx, params, qualifier=False)
    check_name(ref.name)
    ctx.authorize("lambda:CreateFunction", ref.arn)


@SERVICE.operation("CreateFunction", action="lambda:CreateFunction", authorizer=_authorize_create, writes=True)
def create_function(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    _check_limits(params)
    _check_runtime(params.get("Runtime"))
    role = check_role(ctx, params.get("Role"))
    data = _zip_of(params)
    sha256, size = code.check_zip(data)
    if lambda_store.function(ctx.tx, ref.account, ref.region, ref.name) is not None:
        raise conflict(f"Function already exist: {ref.name}")
    config = _base_config(params, ref, role, sha256, size, ctx.now)
    assert ctx.bodies is not None
    stored = code.store_zip(ctx.bodies, data)
    ctx.keep_only_if_committed(stored)
    revision = new_revision()
    lambda_store.create_function(
        ctx.tx,
        account_id=ref.account,
        region=ref.region,
        name=ref.name,
        config=json.dumps(config),
        code_ref=stored.id,
        tags=json.dumps(dict(params.get("Tags") or {})),
        next_version=1,
        revision_id=revision,
        created_at=ctx.now,
    )
    out = configuration(ref, config, LATEST, revision)
    if params.get("Publish"):
        version = _publish(ctx, ref, description=str(params.get("Description") or ""))
        out = configuration(ref, config, version, revision)
    return out


def _publish(ctx: OperationContext, ref: FunctionRef, *, description: str) -> str:
    row = function_row(ctx, ref)
    number = int(row["next_version"])
    config = json.loads(row["config"])
    if description:
        config["Description"] = description
    lambda_store.create_version(
        ctx.tx,
        account_id=ref.account,
        region=ref.region,
        name=ref.name,
        version=number,
        config=json.dumps(config),
        code_ref=row["code_ref"],
        revision_id=new_revision(),
    )
    lambda_store.update_function(ctx.tx, ref.account, ref.region, ref.name, next_version=number + 1)
    return str(number)


@SERVICE.operation("GetFunction", action="lambda:GetFunction", authorizer=on_function)
def get_function(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    deployed = resolve(ctx, ref)
    row = function_row(ctx, ref)
    out: dict[str, Any] = {
        "Configuration": configuration(ref, deployed.config, deployed.version, deployed.revision_id),
        # AWS adds ``Location``, a presigned URL of the package; localiam serves none, so it
        # gives none rather than a link that does not work.
        "Code": {"RepositoryType": "S3"},
    }
    tags = json.loads(row["tags"])
    if tags:
        out["Tags"] = tags
    return out


@SERVICE.operation(
    "GetFunctionConfiguration",
    action="lambda:GetFunctionConfiguration",
    authorizer=on_function,
)
def get_function_configuration(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    deployed = resolve(ctx, ref)
    return configuration(ref, deployed.config, deployed.version, deployed.revision_id)


def _authorize_list(ctx: OperationContext, op: Any, params: Params) -> None:
    ctx.authorize("lambda:ListFunctions", "*")


@SERVICE.operation("ListFunctions", action="lambda:ListFunctions", authorizer=_authorize_list)
def list_functions(ctx: OperationContext, params: Params) -> Result:
    rows = lambda_store.functions(ctx.tx, ctx.account_id, ctx.region)
    marker = params.get("Marker")
    if marker:
        rows = [r for r in rows if r["name"] > marker]
    limit = int(params.get("MaxItems") or 50)
    out: dict[str, Any] = {}
    if len(rows) > limit:
        rows = rows[:limit]
        out["NextMarker"] = rows[-1]["name"]
    out["Functions"] = [
        configuration(
            FunctionRef(r["account_id"], r["region"], r["name"], None),
            json.loads(r["config"]),
            LATEST,
            r["revision_id"],
        )
        for r in rows
    ]
    return out


@SERVICE.operation(
    "DeleteFunction",
    action="lambda:DeleteFunction",
    authorizer=on_function,
    writes=True,
)
def delete_function(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params)
    function_row(ctx, ref)
    if ref.qualifier not in (None, LATEST):
        if not str(ref.qualifier).isdigit():
            raise invalid("Deletion of aliases is not supported.")
        if lambda_store.version(ctx.tx, ref.account, ref.region, ref.name, int(str(ref.qualifier))) is None:
            raise not_found(f"Function not found: {ref.qualified_arn()}")
        lambda_store.delete_version(ctx.tx, ref.account, ref.region, ref.name, int(str(ref.qualifier)))
        return {}
    refs = lambda_store.delete_function(ctx.tx, ref.account, ref.region, ref.name)
    bodies = ctx.bodies
    if bodies is not None:

        def remove_packages() -> None:
            for code_ref in refs:
                bodies.delete(code_ref)

        ctx.after_commit.append(remove_packages)
    ctx.after_commit.append(lambda: retire(ref.arn))
    return {}


def _check_revision(params: Params, current: str) -> None:
    wanted = params.get("RevisionId")
    if wanted is not None and wanted != current:
        raise revision_mismatch()


@SERVICE.operation(
    "UpdateFunctionCode",
    action="lambda:UpdateFunctionCode",
    authorizer=on_function,
    writes=True,
)
def update_function_code(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    row = function_row(ctx, ref)
    _check_revision(params, row["revision_id"])
    data = _zip_of(params)
    sha256, size = code.check_zip(data)
    assert ctx.bodies is not None
    stored = code.store_zip(ctx.bodies, data)
    ctx.keep_only_if_committed(stored)
    bodies = ctx.bodies
    config = json.loads(row["config"])
    config.update(CodeSha256=sha256, CodeSize=size, LastModified=timestamp(ctx.now))
    revision = new_revision()
    old_ref = row["code_ref"]
    lambda_store.update_function(
        ctx.tx, ref.account, ref.region, ref.name, config=json.dumps(config), code_ref=stored.id, revision_id=revision
    )
    ctx.after_commit.append(lambda: retire(ref.arn))
    still_named = {str(v["code_ref"]) for v in lambda_store.versions(ctx.tx, ref.account, ref.region, ref.name)}
    if old_ref not in still_named:
        ctx.after_commit.append(lambda: bodies.delete(old_ref))
    out = configuration(ref, config, LATEST, revision)
    if params.get("Publish"):
        version = _publish(ctx, ref, description="")
        out = configuration(ref, config, version, revision)
    return out


@SERVICE.operation(
    "UpdateFunctionConfiguration",
    action="lambda:UpdateFunctionConfiguration",
    authorizer=on_function,
    writes=True,
)
def update_function_configuration(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    row = function_row(ctx, ref)
    _check_revision(params, row["revision_id"])
    _check_limits(params)
    config = json.loads(row["config"])
    if params.get("Role") is not None:
        config["Role"] = check_role(ctx, params["Role"])
    if params.get("Runtime") is not None:
        config["Runtime"] = _check_runtime(params["Runtime"])
    for name in ("Handler", "Description"):
        if params.get(name) is not None:
            config[name] = str(params[name])
    for name in ("Timeout", "MemorySize"):
        if params.get(name) is not None:
            config[name] = int(params[name])
    if params.get("Environment") is not None:
        config["Environment"] = {"Variables": dict((params["Environment"] or {}).get("Variables") or {})}
    config["LastModified"] = timestamp(ctx.now)
    revision = new_revision()
    lambda_store.update_function(
        ctx.tx, ref.account, ref.region, ref.name, config=json.dumps(config), revision_id=revision
    )
    ctx.after_commit.append(lambda: retire(ref.arn))
    return configuration(ref, config, LATEST, revision)


@SERVICE.operation(
    "PublishVersion",
    action="lambda:PublishVersion",
    authorizer=on_function,
    writes=True,
)
def publish_version(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    row = function_row(ctx, ref)
    _check_revision(params, row["revision_id"])
    config = json.loads(row["config"])
    if params.get("CodeSha256") is not None and params["CodeSha256"] != config["CodeSha256"]:
        raise invalid(
            f"CodeSHA256 ({params['CodeSha256']}) is different from current CodeSHA256 in $LATEST "
            f"({config['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST."
        )
    versions = lambda_store.versions(ctx.tx, ref.account, ref.region, ref.name)
    if versions:
        last = versions[-1]
        last_config = json.loads(last["config"])
        if last["code_ref"] == row["code_ref"] and {k: v for k, v in last_config.items() if k != "Description"} == {
            k: v for k, v in config.items() if k != "Description"
        }:
            # Nothing changed since the last version: Lambda returns that version.
            return configuration(ref, last_config, str(last["version"]), last["revision_id"])
    version = _publish(ctx, ref, description=str(params.get("Description") or ""))
    found = lambda_store.version(ctx.tx, ref.account, ref.region, ref.name, int(version))
    assert found is not None
    return configuration(ref, json.loads(found["config"]), version, found["revision_id"])


@SERVICE.operation(
    "ListVersionsByFunction",
    action="lambda:ListVersionsByFunction",
    authorizer=on_function,
)
def list_versions(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    row = function_row(ctx, ref)
    out = [configuration(ref, json.loads(row["config"]), LATEST, row["revision_id"])]
    for v in lambda_store.versions(ctx.tx, ref.account, ref.region, ref.name):
        out.append(configuration(ref, json.loads(v["config"]), str(v["version"]), v["revision_id"]))
    return {"Versions": out}


# ----------------------------------------------------------------------------- aliases
def _alias_out(ref: FunctionRef, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "AliasArn": ref.qualified_arn(row["alias"]),
        "Name": row["alias"],
        "FunctionVersion": row["function_version"],
        "Description": row["description"],
        "RevisionId": row["revision_id"],
    }


def _check_version_exists(ctx: OperationContext, ref: FunctionRef, version: str) -> None:
    if version == LATEST:
        return
    if not version.isdigit() or lambda_store.version(ctx.tx, ref.account, ref.region, ref.name, int(version)) is None:
        raise not_found(f"Function not found: {ref.qualified_arn(version)}")


@SERVICE.operation("CreateAlias", action="lambda:CreateAlias", authorizer=on_function, writes=True)
def create_alias(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    function_row(ctx, ref)
    name = str(params.get("Name") or "")
    check_alias_name(name)
    version = str(params.get("FunctionVersion") or "")
    _check_version_exists(ctx, ref, version)
    if lambda_store.alias(ctx.tx, ref.account, ref.region, ref.name, name) is not None:
        raise conflict(f"Alias already exists: {ref.qualified_arn(name)}")
    row = {
        "account_id": ref.account,
        "region": ref.region,
        "name": ref.name,
        "alias": name,
        "function_version": version,
        "description": str(params.get("Description") or ""),
        "revision_id": new_revision(),
    }
    lambda_store.put_alias(ctx.tx, **row)
    return _alias_out(ref, row)


def _alias_row(ctx: OperationContext, ref: FunctionRef, name: str) -> dict[str, Any]:
    function_row(ctx, ref)
    row = lambda_store.alias(ctx.tx, ref.account, ref.region, ref.name, name)
    if row is None:
        raise not_found(f"Cannot find alias arn: {ref.qualified_arn(name)}")
    return row


@SERVICE.operation("GetAlias", action="lambda:GetAlias", authorizer=on_function)
def get_alias(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    return _alias_out(ref, _alias_row(ctx, ref, str(params.get("Name") or "")))


@SERVICE.operation("UpdateAlias", action="lambda:UpdateAlias", authorizer=on_function, writes=True)
def update_alias(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    row = _alias_row(ctx, ref, str(params.get("Name") or ""))
    _check_revision(params, row["revision_id"])
    if params.get("FunctionVersion") is not None:
        _check_version_exists(ctx, ref, str(params["FunctionVersion"]))
        row["function_version"] = str(params["FunctionVersion"])
    if params.get("Description") is not None:
        row["description"] = str(params["Description"])
    row["revision_id"] = new_revision()
    lambda_store.put_alias(ctx.tx, **row)
    return _alias_out(ref, row)


@SERVICE.operation("DeleteAlias", action="lambda:DeleteAlias", authorizer=on_function, writes=True)
def delete_alias(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    function_row(ctx, ref)
    lambda_store.delete_alias(ctx.tx, ref.account, ref.region, ref.name, str(params.get("Name") or ""))
    return {}


@SERVICE.operation("ListAliases", action="lambda:ListAliases", authorizer=on_function)
def list_aliases(ctx: OperationContext, params: Params) -> Result:
    ref = function_ref(ctx, params, qualifier=False)
    function_row(ctx, ref)
    rows = lambda_store.aliases(ctx.tx, ref.account, ref.region, ref.name)
    version = params.get("FunctionVersion")
    if version is not None:
        rows = [r for r in rows if r["function_version"] == version]
    return {"Aliases": [_alias_out(ref, r) for r in rows]}


# ----------------------------------------------------------------------------- tags
def _tagged(ctx: OperationContext, params: Params) -> FunctionRef:
    return function_ref(ctx, {"FunctionName": params.get("Resource")}, qualifier=False)


def _authorize_tags(ctx: OperationContext, op: Any, params: Params) -> None:
    authorize_on(ctx, str(op.action), _tagged(ctx, params))


@SERVICE.operation("ListTags", action="lambda:ListTags", authorizer=_authorize_tags)
def list_tags(ctx: OperationContext, params: Params) -> Result:
    row = function_row(ctx, _tagged(ctx, params))
    return {"Tags": json.loads(row["tags"])}


@SERVICE.operation("TagResource", action="lambda:TagResource", authorizer=_authorize_tags, writes=True)
def tag_resource(ctx: OperationContext, params: Params) -> Result:
    ref = _tagged(ctx, params)
    row = function_row(ctx, ref)
    tags = json.loads(row["tags"])
    tags.update({str(k): str(v) for k, v in (params.get("Tags") or {}).items()})
    if len(tags) > 50:
        raise invalid("Number of tags exceeds resource tag limit.")
    lambda_store.update_function(ctx.tx, ref.account, ref.region, ref.name, tags=json.dumps(tags))
    return {}


@SERVICE.operation("UntagResource", action="lambda:UntagResource", authorizer=_authorize_tags, writes=True)
def untag_resource(ctx: OperationContext, params: Params) -> Result:
    ref = _tagged(ctx, params)
    row = function_row(ctx, ref)
    tags = {k: v for k, v in json.loads(row["tags"]).items() if k not in set(params.get("TagKeys") or [])}
    lambda_store.update_function(ctx.tx, ref.account, ref.region, ref.name, tags=json.dumps(tags))
    return {}
