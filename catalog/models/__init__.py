"""Every model, imported so that ``Base.metadata`` knows all tables."""

from catalog.models.access_request import AccessRequest
from catalog.models.agency import UNASSIGNED_CODE, Agency
from catalog.models.audit import AppendOnlyError, AuditEvent
from catalog.models.change import ChangeSequence, DatasetChange
from catalog.models.conformance import ConformanceResult, ConformanceSnapshot, LinkCheck
from catalog.models.cycle import (
    AccessPlanEntry,
    HighValueDataset,
    InventoryCycle,
    InventorySubmission,
)
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
    SOURCE_ROLES,
    HarvestJob,
    HarvestLink,
    HarvestRecord,
    HarvestSource,
)
from catalog.models.jobs import NOTICE_KINDS, Notice, ScheduledTask
from catalog.models.ownership import SIGN_OFF_FIELDS, FieldOverride, PendingChange
from catalog.models.plan import (
    Feedback,
    PlanFocalPoint,
    PlanGoal,
    PlanObjective,
    PlanPrinciple,
    PlanVersion,
    ProgressReport,
)
from catalog.models.plan_snapshot import PlanSnapshot
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
    "RESOURCE_SERIES",
    "RESOURCE_SERVICE",
    "ROLES",
    "SIGN_OFF_FIELDS",
    "SOURCE_KINDS",
    "SOURCE_ROLES",
    "STATUS_ACTIVE",
    "STATUS_WITHDRAWN",
    "UNASSIGNED_CODE",
    "AccessPlanEntry",
    "AccessRequest",
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
    "FieldOverride",
    "HarvestJob",
    "HarvestLink",
    "HarvestRecord",
    "HarvestSource",
    "HighValueDataset",
    "InventoryCycle",
    "InventorySubmission",
    "LegalAuthority",
    "LinkCheck",
    "Notice",
    "PendingChange",
    "PlanFocalPoint",
    "PlanGoal",
    "PlanObjective",
    "PlanPrinciple",
    "PlanSnapshot",
    "PlanVersion",
    "ProgressReport",
    "ReviewComment",
    "ReviewTransition",
    "ScheduledTask",
    "SharingReview",
    "User",
    "dcat_resource_dataset",
    "user_agency",
]
