"""Personas and service gates.

Personas, after healthchecks' Alice/Bob/Charlie: `alice` is the case worker who
owns the record, `bob` her agency's supervisor (has access), `charlie` a case
worker at another agency (an outsider). `mdt` sits on alice's team, `mdt_other`
on another; `home_admin` runs `home`, `home_admin_other` another home.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.factories import AgencyFactory, HomeFactory, SurvivorFactory, TeamFactory, UserFactory
from tests.worker import worker  # noqa: F401  (a real Celery worker, for the tests that ask)

# How fast hypothesis draws its inputs says how busy the machine is, not whether Harbor
# is right: on two shared cores a directory property test drew 7 inputs in 30 s and
# failed the "too slow" health check with every assertion holding. The other checks stay.
settings.register_profile("harbor", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("harbor")

POSTGRES = os.environ.get("HARBOR_TEST_POSTGRES") == "1"
REDIS = os.environ.get("HARBOR_TEST_REDIS") == "1"
REQUIRED = os.environ.get("HARBOR_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if "postgres" in item.keywords and not POSTGRES:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (run via make test)"))
        if "redis" in item.keywords and not REDIS:
            item.add_marker(pytest.mark.skip(reason="needs Redis (run via make test)"))


def pytest_sessionfinish(session, exitstatus) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if REQUIRED and skipped:
        reporter.write_line(
            f"FAIL: {skipped} test(s) skipped while HARBOR_REQUIRE_SERVICES=1: "
            "every service-bound test must run in CI.",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture
def agency(db):
    return AgencyFactory(code="ks-dcf", name="Kansas DCF", state="KS")


@pytest.fixture
def other_agency(db):
    return AgencyFactory(code="mo-cd", name="Missouri CD", state="MO")


@pytest.fixture
def team(agency):
    return TeamFactory(agency=agency, name="KS Metro MDT")


@pytest.fixture
def other_team(other_agency):
    return TeamFactory(agency=other_agency, name="MO East MDT")


@pytest.fixture
def alice(agency, team):
    return UserFactory(username="alice", role="case_worker", agency=agency, team=team)


@pytest.fixture
def bob(agency):
    return UserFactory(username="bob", role="supervisor", agency=agency)


@pytest.fixture
def charlie(other_agency, other_team):
    return UserFactory(username="charlie", role="case_worker", agency=other_agency, team=other_team)


@pytest.fixture
def other_supervisor(other_agency):
    return UserFactory(username="olga", role="supervisor", agency=other_agency)


@pytest.fixture
def mdt(team):
    return UserFactory(username="mona", role="mdt_member", team=team)


@pytest.fixture
def mdt_other(other_team):
    return UserFactory(username="otto", role="mdt_member", team=other_team)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def home(db):
    return HomeFactory(name="Lighthouse House")


@pytest.fixture
def other_home(db):
    return HomeFactory(name="Cedar Place", state="MO", zip_code="64108")


@pytest.fixture
def home_admin(home):
    from homes.services import home_admin_grant

    user = UserFactory(username="hank", role="home_admin")
    home_admin_grant(actor=None, user=user, home=home)
    return user


@pytest.fixture
def home_admin_other(other_home):
    from homes.services import home_admin_grant

    user = UserFactory(username="hilda", role="home_admin")
    home_admin_grant(actor=None, user=user, home=other_home)
    return user


@pytest.fixture
def survivor(alice, team):
    s = SurvivorFactory(agency=alice.agency, team=team, first_name="Jane", last_name="Roe")
    s.assigned_workers.add(alice)
    return s


@pytest.fixture(autouse=True)
def fresh_django_cache():
    """The sign-in throttle counts in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_directory_cache():
    """The matching directory is cached per process, and each test's homes are rolled
    back or flushed afterwards: never let a search see another test's homes."""
    from matching.selectors import directory_cache

    directory_cache.reset()
    yield
    directory_cache.reset()


@pytest.fixture(autouse=True)
def default_language():
    """A page a Spanish-speaking user asked for activates Spanish in the test's thread (the
    profile middleware, as Django's own, does not deactivate it after the response): each
    test starts and ends in the default language, so a service called directly answers in
    it, as it does outside a request."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
