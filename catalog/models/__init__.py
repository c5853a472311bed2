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
from catalog.models.harvest import (
    SOURCE_KINDS,
    HarvestJob,
    HarvestLink,
    HarvestRecord,
    HarvestSource,
)
from catalog.models.jobs import NOTICE_KINDS, Notice, ScheduledTask
from catalog.models.plan import (
    Feedback,
    PlanFocalPoint,
    PlanGoal,
    PlanObjective,
    PlanPrinciple,
    PlanVersion,
    ProgressReport,
)
from catalog.models.review import (
    DataSharingAgreement,
    LegalAuthority,
    ReviewComment,
    ReviewTransition,
    SharingReview,
)
from catalog.models.user import ROLES, ApiToken, User, user_agency

__all__ = [
    "ACCESS_LEVELS",
    "DCAT_FIELDS",
    "GOVERNANCE_FIELDS",
    "NOTICE_KINDS",
    "ROLES",
    "SOURCE_KINDS",
    "STATUS_ACTIVE",
    "STATUS_WITHDRAWN",
    "UNASSIGNED_CODE",
    "Agency",
    "ApiToken",
    "AppendOnlyError",
    "AuditEvent",
    "ConformanceResult",
    "ConformanceSnapshot",
    "DataSharingAgreement",
    "Dataset",
    "Distribution",
    "Feedback",
    "HarvestJob",
    "HarvestLink",
    "HarvestRecord",
    "HarvestSource",
    "LegalAuthority",
    "LinkCheck",
    "Notice",
    "PlanFocalPoint",
    "PlanGoal",
    "PlanObjective",
    "PlanPrinciple",
    "PlanVersion",
    "ProgressReport",
    "ReviewComment",
    "ReviewTransition",
    "ScheduledTask",
    "SharingReview",
    "User",
    "user_agency",
]
