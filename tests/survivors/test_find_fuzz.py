"""Finding a case takes whatever a browser or a script sends: no search or status, however
strange, makes the dashboard or the API list answer with a server error."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tokens import token_issue
from survivors.models import Status

pytestmark = pytest.mark.postgres

VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a\x00b", "%", "_", "\\", "'", "😀", "x" * 101, "ks-dcf"]),
    st.sampled_from(Status.values),
)
QUERIES = st.dictionaries(st.sampled_from(["search", "status", "limit", "offset"]), VALUES)


@pytest.mark.parametrize("persona", ["alice", "bob", "mdt", "home_admin"])
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES)
def test_it_never_answers_500_to_a_search(request, survivor, persona, query):
    user = request.getfixturevalue(persona)
    page = Client()
    page.force_login(user)
    key, _ = token_issue(user=user)
    with transaction.atomic():
        shown = page.get("/", query)
        listed = Client().get("/api/v1/survivors/", query, HTTP_AUTHORIZATION=f"Token {key}")
        transaction.set_rollback(True)
    assert shown.status_code in (200, 400)
    assert listed.status_code in (200, 400)
