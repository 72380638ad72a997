"""The demo (the five source plans, sample councils and running data) is built once for the tests
that read it; each test runs in a transaction that is rolled back, so what one test changes no
other test sees."""

import io

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("demo", stdout=io.StringIO())
    yield
    with django_db_blocker.unblock():
        call_command("flush", "--noinput", verbosity=0)


@pytest.fixture
def demo(demo_loaded, db):
    """The demo data, built once; this test's changes are rolled back."""
