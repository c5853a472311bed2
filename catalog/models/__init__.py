"""Every model, imported so that ``Base.metadata`` knows all tables."""

from catalog.models.agency import UNASSIGNED_CODE, Agency
from catalog.models.audit import AppendOnlyError, AuditEvent
from catalog.models.change import ChangeSequence, DatasetChange
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
from catalog.models.dcat import (
    RESOURCE_SERIES,
    RESOURCE_SERVICE,
    DcatResource,
    ExportFragment,
    dcat_resource_dataset,
)
from catalog.models.harvest import (
    SOURCE_KINDS,
    HarvestJob,
    HarvestLink,
    HarvestRecord,
    HarvestSource,
)
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
    "RESOURCE_SERIES",
    "RESOURCE_SERVICE",
    "ROLES",
    "SOURCE_KINDS",
    "STATUS_ACTIVE",
    "STATUS_WITHDRAWN",
    "UNASSIGNED_CODE",
    "Agency",
    "ApiToken",
    "AppendOnlyError",
    "AuditEvent",
    "ChangeSequence",
    "ConformanceResult",
    "ConformanceSnapshot",
    "DataSharingAgreement",
    "Dataset",
    "DatasetChange",
    "DcatResource",
    "Distribution",
    "ExportFragment",
    "Feedback",
    "HarvestJob",
    "HarvestLink",
    "HarvestRecord",
    "HarvestSource",
    "LegalAuthority",
    "LinkCheck",
    "PlanFocalPoint",
    "PlanGoal",
    "PlanObjective",
    "PlanPrinciple",
    "PlanVersion",
    "ProgressReport",
    "ReviewComment",
    "ReviewTransition",
    "SharingReview",
    "User",
    "dcat_resource_dataset",
    "user_agency",
]
