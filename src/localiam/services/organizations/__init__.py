"""AWS Organizations: the organization tree, its accounts, and service and resource control
policies (Organizations API Reference).

Operations live in small modules that register them on :data:`SERVICE` with the IAM action,
resource ARN and condition keys of the Service Authorization Reference: :mod:`.organization`
(the organization, its root, policy types), :mod:`.accounts`, :mod:`.units` (OUs and the tree),
:mod:`.policies` and :mod:`.attachments`. Only the management account may call them
(``DescribeOrganization`` excepted); every change touches every account of the organization,
whose SCP and RCP chains it may change.
"""

from localiam.services.organizations import accounts, attachments, organization, policies, units
from localiam.services.organizations._service import SERVICE, OrganizationsError

__all__ = ["SERVICE", "OrganizationsError", "accounts", "attachments", "organization", "policies", "units"]
