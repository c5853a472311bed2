"""Every model, imported so that ``Base.metadata`` knows all tables."""

from catalog.models.agency import UNASSIGNED_CODE, Agency
from catalog.models.audit import AppendOnlyError, AuditEvent
from catalog.models.conformance import ConformanceResult, ConformanceSnapshot, LinkCheck
from catalog.models.dataset import (
    ACCESS_LEVELS,
    DCAT_FIELDS,
    GOVERNANCE_FIELDS,
    STATUS_ACTIVE,
    STATUS_WITHDRAWN,
    Dataset,
    Distribution,
)
from catalog.models.user import ROLES, ApiToken, User, user_agency

__all__ = [
    "ACCESS_LEVELS",
    "DCAT_FIELDS",
    "GOVERNANCE_FIELDS",
    "ROLES",
    "STATUS_ACTIVE",
    "STATUS_WITHDRAWN",
    "UNASSIGNED_CODE",
    "Agency",
    "ApiToken",
    "AppendOnlyError",
    "AuditEvent",
    "ConformanceResult",
    "ConformanceSnapshot",
    "Dataset",
    "Distribution",
    "LinkCheck",
    "User",
    "user_agency",
]
