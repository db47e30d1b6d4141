"""Workflow fixtures: API clients for the personas, and a case ready at each step."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.tokens import token_issue
from matching.selectors import directory_cache
from tests.factories import TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def fresh_directory_cache():
    """Each test's homes are rolled back afterwards: never let a search see old ones."""
    directory_cache.reset()
    yield
    directory_cache.reset()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api():
    """`api(user)`: an APIClient sending that user's token."""

    def make(user) -> APIClient:
        client = APIClient()
        key, _ = token_issue(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def mdt_same_agency_other_team(agency):
    """An MDT member of alice's agency, on a team that does not review her case."""
    return UserFactory(
        username="mira", role="mdt_member", team=TeamFactory(agency=agency, name="KS West MDT")
    )
