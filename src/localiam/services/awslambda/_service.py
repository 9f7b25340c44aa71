"""The Lambda service registry."""

from __future__ import annotations

from localiam.services.base import Service

SERVICE = Service("lambda", access_denied_code="AccessDeniedException")
