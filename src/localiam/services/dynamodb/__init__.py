"""Amazon DynamoDB (``dynamodb``, awsJson 1.0): a durable key-value store with AWS's
fine-grained authorization in front of every item operation. Tables (:mod:`.tables`), time to
live and tags (:mod:`.settings`), resource-based policies (:mod:`.policies`), items
(:mod:`.items`), Query and Scan (:mod:`.reading`), batches (:mod:`.batch`), transactions
(:mod:`.transactions`) and simple PartiQL statements (:mod:`.partiql`); the type system in
:mod:`.values`, expressions in :mod:`.expressions`, authorization in :mod:`.access`."""

from localiam.services.dynamodb import batch, items, partiql, policies, reading, settings, tables, transactions
from localiam.services.dynamodb._service import SERVICE

__all__ = ["SERVICE", "batch", "items", "partiql", "policies", "reading", "settings", "tables", "transactions"]
