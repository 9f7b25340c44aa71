"""Amazon S3: buckets, objects, multipart uploads, ACLs, Object Ownership and Block Public
Access, every request authorized by S3's workflow on the engine (:mod:`.access`); and the S3
Control account-level Block Public Access settings."""

from localiam.services.s3 import (  # noqa: F401  (registers)
    bucket_configuration,
    bucket_settings,
    bucket_versioning,
    buckets,
    control,
    cors,
    multipart,
    object_listing,
    object_subresources,
    objects,
    post_object,
)
from localiam.services.s3._service import CONTROL, SERVICE

__all__ = ["CONTROL", "SERVICE"]
