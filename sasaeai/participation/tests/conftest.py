"""Fixtures of the participation tests: the small questionnaire, empty and filled with the CSV."""
import pytest

from .test_surveys_support import import_csv, make_survey


@pytest.fixture
def survey(small_plan, users):
    return make_survey(small_plan, users["admin"])


@pytest.fixture
def filled_survey(survey, users):
    import_csv(survey, users["admin"])
    return survey
