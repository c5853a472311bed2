"""schemathesis against /api/v1/openapi.json: no server errors, responses match the schema.

Driven through hypothesis directly (schemathesis' pytest plugin does not run on pytest 9 yet).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

# No 500s; every response documented and matching its schema. (Acceptance of schema-valid
# bodies is not checked: the spec does not spell out every DCAT pattern our schemas enforce.)
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]

pytestmark = pytest.mark.slow


def test_api_never_fails_and_matches_its_schema(app, make_dataset, make_user, token_for):
    make_dataset(title="Births by town", agency="DPH")
    make_dataset(
        title="Inmate counts", agency="DOC", accessLevel="non-public", rights="CJIS restricted."
    )
    headers = {"Authorization": f"Bearer {token_for(make_user('steward', agencies=('DPH',)))}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def exercise(case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
