"""The rankings stand on a round: the inspection side's shared test data (tests/inspections/conftest.py)."""

from tests.inspections.conftest import _forget_frozen_indicators, inspection  # noqa: F401  (fixtures)
