"""An API answer is freed as soon as the server has sent it (core.cycles)."""

from __future__ import annotations

import gc
import io
import json
import weakref

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from accounts.tokens import token_issue
from tests.factories import HomeFactory

WHAT_IF = {"age": 15, "gender": "female", "guardianship": "parent", "custody_state": "KS"}


def served(handler: WSGIHandler, token: str) -> weakref.ref:
    """A what-if search through the whole middleware stack, as gunicorn serves it: the
    body read, the response closed; then a weak reference to the response."""
    body = json.dumps(WHAT_IF).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/match/",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Token {token}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    statuses = []
    # As Django's test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = handler(environ, lambda status, headers, exc_info=None: statuses.append(status))
        answer = json.loads(b"".join(response))
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses == ["200 OK"]
    assert [r["home"]["name"] for r in answer["results"]] == ["Lighthouse House"]
    return weakref.ref(response)


@pytest.fixture
def token(alice):
    HomeFactory(name="Lighthouse House")
    return token_issue(user=alice)[0]


@pytest.mark.django_db
def test_a_search_answer_is_freed_when_sent_not_left_for_the_collector(token):
    gc.disable()  # only reference counting may free it
    try:
        assert served(WSGIHandler(), token)() is None
    finally:
        gc.enable()


@pytest.mark.django_db
def test_without_the_middleware_rest_frameworks_cycle_keeps_the_answer(token):
    """Why the middleware exists: should Django REST framework stop tying a response to
    its view, this fails, and the middleware can go."""
    without = [m for m in settings.MIDDLEWARE if m != "core.cycles.ResponseCycleMiddleware"]
    with override_settings(MIDDLEWARE=without):
        gc.disable()
        try:
            assert served(WSGIHandler(), token)() is not None
        finally:
            gc.enable()
