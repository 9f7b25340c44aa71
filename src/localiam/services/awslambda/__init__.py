"""AWS Lambda: functions that really run (Python handlers in warm worker processes, as their
execution role), versions and aliases, function policies, and Invoke authorized by the engine.

Modules: :mod:`.functions` (functions, versions, aliases, tags), :mod:`.permissions`
(AddPermission, RemovePermission, GetPolicy), :mod:`.invoke`, :mod:`.runtime` and
:mod:`.worker` (the processes handlers run in), :mod:`.code` (deployment packages)."""

from localiam.services.awslambda import functions, invoke, permissions  # noqa: F401  (registers)
from localiam.services.awslambda._service import SERVICE

__all__ = ["SERVICE"]
