"""Which service, in which protocol, a request is for.

Every service listens on one port, so the request itself says where it goes. Resolvers are tried
in order; the first that recognises the request wins:

1. ``X-Amz-Target: {targetPrefix}.{Operation}`` names an awsJson service (Organizations).
2. Form fields with ``Action`` are the query protocol: the service is the SigV4 credential
   scope's (``.../us-east-1/iam/aws4_request``) when it is a query service; otherwise (unsigned
   requests such as STS ``AssumeRoleWithWebIdentity`` and ``AssumeRoleWithSAML``, whose model
   says ``authtype: none``) the query service whose model has that ``Action`` and ``Version``.

Before them all, a request for a service localiam does not serve (by credential scope,
``X-Amz-Target`` or Host: :mod:`.unserved`) is refused with HTTP 501 ``NotImplemented`` in that
service's own protocol, naming the service, the operation and the services localiam serves.

Routing decides nothing about authentication: :attr:`Operation.unsigned` tells the server which
operations may arrive without a signature. rest-xml (S3) and rest-json (Lambda) add a resolver
that looks at the host and path, and a protocol class in :data:`PROTOCOLS`, when their service is
registered: S3's (:mod:`.s3_addressing`) before the query resolver and a last-resort one for
anonymous reads; S3 Control's (``/v20180820/``) first; Lambda's
(:func:`~localiam.wire.rest_json.rest_json_resolver`: credential scope ``lambda``, or no
credential scope and a path under one of Lambda's API versions such as ``/2015-03-31/``) after
S3's and before the query resolver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from localiam.errors import AwsError, client_error
from localiam.wire.http import HttpRequest, host_name
from localiam.wire.json_protocol import JsonProtocol
from localiam.wire.models import operation, protocol_of, service_model
from localiam.wire.protocol import Protocol
from localiam.wire.query import QueryProtocol, form_params
from localiam.wire.unserved import (
    error_protocol,
    guessed_protocol,
    requested_operation,
    service_of_host,
    service_of_scope,
    service_of_target,
    signing_name,
    unserved_service_error,
)


def _rest_xml(service: str) -> Protocol:
    from localiam.wire.rest_xml import RestXmlProtocol

    return RestXmlProtocol(service, None) if service != "s3" else RestXmlProtocol(service)


def _rest_json(service: str) -> Protocol:
    from localiam.wire.rest_json import RestJsonProtocol

    return RestJsonProtocol(service)


# Protocol name in the botocore model -> the class that speaks it for one service.
PROTOCOLS: dict[str, Callable[[str], Protocol]] = {
    "query": QueryProtocol,
    "json": JsonProtocol,
    "rest-xml": _rest_xml,
    "rest-json": _rest_json,
}

DEFAULT_SERVICES = ("iam", "sts", "organizations")


@dataclass(frozen=True, slots=True)
class Route:
    """The service a request is for and the protocol that parses it and renders its answers."""

    service: str
    protocol: Protocol


class RoutingError(AwsError):
    """No registered service takes the request; ``protocol`` renders this error the way the
    request's own protocol would."""

    def __init__(self, error: AwsError, protocol: Protocol) -> None:
        super().__init__(error.message, code=error.code, status=error.status)
        self.sender_fault = error.sender_fault
        self.protocol = protocol
        self.error = error


def credential_scope_service(request: HttpRequest) -> str | None:
    """The service named in the SigV4 credential scope (header or presigned query), if any
    (read once per request: routing asks for it several times)."""
    return request.memo("scope_service", lambda: _scope_service(request))


def _scope_service(request: HttpRequest) -> str | None:
    credential = None
    authorization = request.header("authorization") or ""
    if authorization.startswith("AWS4-"):
        for part in authorization.split(" ", 1)[-1].split(","):
            key, _, value = part.strip().partition("=")
            if key == "Credential":
                credential = value
    if credential is None:
        credential = dict(request.query_pairs()).get("X-Amz-Credential") or None
    scope = (credential or "").split("/")
    return scope[3] if len(scope) == 5 else None


Resolver = Callable[[HttpRequest], Route | None]


def _takes_unsigned(service: str) -> bool:
    """Whether some operation of ``service`` is called without a signature (``authtype: none``)."""
    model = service_model(service)
    return any(model.operation_model(name).auth_type == "none" for name in model.operation_names)


class Router:
    """Routes requests to the registered services (IAM, STS and Organizations by default)."""

    def __init__(self, services: Iterable[str] = DEFAULT_SERVICES) -> None:
        self.protocols: dict[str, Protocol] = {}
        for service in services:
            factory = PROTOCOLS.get(protocol_of(service))
            if factory is None:
                raise ValueError(f"no wire protocol for {service} ({protocol_of(service)})")
            self.protocols[service] = factory(service)
        self._targets = {
            p.target_prefix: service for service, p in self.protocols.items() if isinstance(p, JsonProtocol)
        }
        self._query = [service for service, p in self.protocols.items() if isinstance(p, QueryProtocol)]
        self._unsigned_query = next(
            (s for s in self._query if _takes_unsigned(s)), self._query[0] if self._query else ""
        )
        # The ordered resolvers; rest protocols insert theirs before the query one.
        self.resolvers: list[Resolver] = [self._by_target, self._by_action]
        if "s3control" in self.protocols:
            self.resolvers.insert(0, self._s3_control)
        if "s3" in self.protocols:
            from localiam.wire.s3_addressing import s3_anonymous_resolver, s3_resolver

            self.resolvers.insert(1, s3_resolver(self))
            self.resolvers.append(s3_anonymous_resolver(self))
        if "lambda" in self.protocols:
            from localiam.wire.rest_json import rest_json_resolver

            # After S3's (an unsigned request with S3's marks is S3's), before the query one.
            self.resolvers.insert(self.resolvers.index(self._by_action), rest_json_resolver(self, "lambda"))
        if "apigateway" in self.protocols:
            from localiam.wire.rest_json import rest_json_resolver

            # Signed only: an unsigned /restapis/... is S3's (a bucket may be named "restapis").
            self.resolvers.insert(
                self.resolvers.index(self._by_action), rest_json_resolver(self, "apigateway", unsigned=False)
            )
        # First of all: a request for a service nobody here serves is refused in its own protocol.
        self._signing_names = frozenset(signing_name(service) for service in self.protocols)
        self.resolvers.insert(0, self._unserved)

    def _s3_control(self, request: HttpRequest) -> Route | None:
        if request.raw_path.startswith("/v20180820/"):
            return self._route("s3control")
        return None

    def route(self, request: HttpRequest) -> Route:
        """The route of ``request``; raises :class:`RoutingError` when no service takes it."""
        for resolver in self.resolvers:
            found = resolver(request)
            if found is not None:
                return found
        raise self._unroutable(request)

    def route_head(self, request: HttpRequest) -> Route:
        """The route of a request whose body is not read yet, so that a refusal (a body over its
        ceiling) speaks the request's protocol: as :meth:`route`, except that a POSTed form is the
        query protocol's (its ``Action`` is in the body): the credential scope's query service,
        or, unsigned, the one with operations that take unsigned requests (STS's
        ``AssumeRoleWithWebIdentity``, ``authtype: none``), the only ones an unsigned form can
        call; and that a request no service takes is the protocol's that would answer it."""
        content_type = (request.header("content-type") or "").lower()
        if (
            self._query
            and request.method.upper() == "POST"
            and content_type.startswith("application/x-www-form-urlencoded")
            and request.header("x-amz-target") is None
        ):
            scope = credential_scope_service(request)
            if scope in self._query:
                return self._route(scope)
            if scope is None:
                return self._route(self._unsigned_query)
        try:
            return self.route(request)
        except RoutingError as exc:
            return Route(exc.protocol.service, exc.protocol)

    def _route(self, service: str) -> Route:
        return Route(service, self.protocols[service])

    def _unserved(self, request: HttpRequest) -> Route | None:
        """Raises :class:`RoutingError` (501 ``NotImplemented``, in the protocol of the service
        the request is for) when the credential scope, else the ``X-Amz-Target``, else the Host
        names a service that no registered one is (:mod:`.unserved`); ``None`` otherwise."""
        scope = credential_scope_service(request)
        target = request.header("x-amz-target")
        if scope is not None:
            if scope in self._signing_names:
                return None
            raise self._not_served(service_of_scope(scope, target), scope, request)
        if target is not None:
            prefix = target.rpartition(".")[0]
            if prefix in self._targets:
                return None
            raise self._not_served(service_of_target(prefix), prefix or target, request)
        service = service_of_host(host_name(request))
        if service is not None and service not in self.protocols:
            raise self._not_served(service, service, request)
        return None

    def _not_served(self, service: str | None, label: str, request: HttpRequest) -> RoutingError:
        if service is None:  # a name botocore does not know either
            operation = (request.header("x-amz-target") or "").rpartition(".")[2] or form_params(request).get("Action")
            error = unserved_service_error(label, operation, self.protocols)
            return RoutingError(error, guessed_protocol(request, label))
        error = unserved_service_error(service, requested_operation(service, request), self.protocols)
        return RoutingError(error, error_protocol(service))

    def _by_target(self, request: HttpRequest) -> Route | None:
        target = request.header("x-amz-target")
        if target is None:
            return None
        service = self._targets.get(target.rpartition(".")[0])
        if service is None:
            raise self._unroutable(request)
        return self._route(service)

    def _by_action(self, request: HttpRequest) -> Route | None:
        params = form_params(request)
        action = params.get("Action")
        if not action or not self._query:
            return None
        scope = credential_scope_service(request)
        if scope in self._query:
            return self._route(scope)
        version = params.get("Version")
        for service in self._query:
            api_version = service_model(service).metadata["apiVersion"]
            if operation(service, action) is not None and version in (None, api_version):
                return self._route(service)
        # An Action nobody has: the service whose API version the client asked for says so.
        for service in self._query:
            if service_model(service).metadata["apiVersion"] == version:
                return self._route(service)
        return self._route(self._query[0])

    def _unroutable(self, request: HttpRequest) -> RoutingError:
        json_protocols = [p for p in self.protocols.values() if isinstance(p, JsonProtocol)]
        content_type = (request.header("content-type") or "").lower()
        if json_protocols and (request.header("x-amz-target") is not None or "json" in content_type):
            return RoutingError(client_error("UnknownOperationException", ""), json_protocols[0])
        protocol = next(iter(self.protocols.values()))
        for candidate in self.protocols.values():
            if isinstance(candidate, QueryProtocol):
                protocol = candidate
                break
        error = client_error("MissingAction", "The request is missing an action or a required parameter.")
        return RoutingError(error, protocol)
