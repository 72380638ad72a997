"""Fixtures of the participation tests."""

import pytest

from .factories import import_csv, make_survey


@pytest.fixture
def survey(small_plan, users):
    return make_survey(small_plan, users["admin"])


@pytest.fixture
def filled_survey(survey, users):
    import_csv(survey, users["admin"])
    return survey
