"""AWS error types, importable from every layer.

An :class:`AwsError` carries what every protocol needs to render AWS's error body: the error
code (``AccessDenied``, ``NoSuchEntity`` ...), the message, the HTTP status, and whether the
fault is the sender's (query protocol ``<Type>Sender</Type>``) or the service's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AwsError(Exception):
    """An error AWS would return, with its code, message and HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = dict(fields or {})
        """Extra members of the protocol's error body (Organizations' ``Reason`` ...)."""
        self.headers: dict[str, str] = dict(headers or {})
        """Extra headers of the error response (S3's ``x-amz-delete-marker`` ...)."""
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        if self.status < 500:
            self.sender_fault = True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


def client_error(code: str, message: str, status: int = 400) -> AwsError:
    """A sender-fault error with any code (``NoSuchEntity``, ``ValidationError`` ...)."""
    return AwsError(message, code=code, status=status)


class AccessDenied(AwsError):
    code = "AccessDenied"
    status = 403
    sender_fault = True


class ValidationError(AwsError):
    code = "ValidationError"
    status = 400
    sender_fault = True


class AuthFailure(AwsError):
    """An authentication failure: ``InvalidClientTokenId``, ``SignatureDoesNotMatch``,
    ``IncompleteSignature``, ``ExpiredToken``, ``MissingAuthenticationToken``,
    ``RequestExpired`` ... (``CommonErrors`` in every service's API reference)."""

    status = 403
    sender_fault = True


class Unserved(AwsError):
    """A service, or an operation of a service, that AWS has and localiam does not implement.

    HTTP 501 ``NotImplemented``: the code and status S3 (``ErrorResponses``: "A header you
    provided implies functionality that is not implemented") and EC2 (``errors-overview``)
    answer for functionality they do not implement, used by localiam for every protocol
    (:mod:`localiam.wire.unserved`). The fault is reported as the sender's, since retrying the
    same request cannot succeed.
    """

    code = "NotImplemented"
    status = 501
    sender_fault = True
