"""The S3 and S3 Control service registries."""

from __future__ import annotations

from localiam.services.base import Service

SERVICE = Service("s3")
CONTROL = Service("s3control")
