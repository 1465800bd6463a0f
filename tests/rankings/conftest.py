"""The rankings stand on a round: the inspection side's shared test data (tests/inspections/conftest.py)."""

from tests.inspections.conftest import inspection  # noqa: F401  (a fixture)
