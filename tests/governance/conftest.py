"""The governance tests use the plan fixtures of tests/plan_fixtures.py (via tests/conftest.py)."""
